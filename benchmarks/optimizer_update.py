"""Time and memory of one Adam update of the face VAE-GAN's 89.6 M parameters: Keras' Adam
against ``FusedAdam``.

Each cell runs in a fresh process: it builds the ``faces`` model, makes fixed random
gradients, builds the optimizer, then times ``apply_gradients`` inside a ``tf.function`` (the
way ``fit`` runs it without XLA). Peak RSS is read before and after the timed updates; the
difference is what the updates add (the first, traced one included). A benchmark, not a test.

Example:
    python benchmarks/optimizer_update.py --repeats 3 --json benchmarks/optimizer_update.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

KINDS = ("keras.optimizers.Adam", "vaegan_tf FusedAdam")
GIB = 1024**3


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def measure(kind: str, updates: int) -> dict:
    """Runs in the child process: one cell."""
    import keras
    import tensorflow as tf

    import vaegan_tf

    model = vaegan_tf.build_vaegan("faces", seed=0)
    variables = [v for network in model.networks.values() for v in network.trainable_variables]
    gradients = [tf.random.normal(v.shape, seed=i) * 1e-3 for i, v in enumerate(variables)]
    optimizer = (keras.optimizers.Adam if kind == KINDS[0] else vaegan_tf.FusedAdam)(5e-4)
    optimizer.build(variables)

    @tf.function
    def update(gradients: list) -> None:
        optimizer.apply_gradients(zip(gradients, variables, strict=True))

    rss_before = peak_rss_bytes()
    update(gradients)  # trace (and, for FusedAdam, compile); its peak counts too
    seconds = []
    for _ in range(updates):
        started = time.perf_counter()
        update(gradients)
        seconds.append(time.perf_counter() - started)
    return {"kind": kind, "parameters": sum(int(tf.size(v)) for v in variables),
            "update_ms": 1000 * statistics.median(seconds),
            "peak_rss_added": peak_rss_bytes() - rss_before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=10, help="timed updates per cell")
    parser.add_argument("--repeats", type=int, default=3, help="rounds (median shown)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.updates)))
        return
    results = []
    for round_ in range(args.repeats):
        for kind in KINDS:
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
            output = subprocess.run([sys.executable, __file__, "--child", kind, "--updates",
                                     str(args.updates)], capture_output=True, text=True,
                                    check=True, env=env).stdout
            results.append(json.loads(output.strip().splitlines()[-1]))
            print(f"  round {round_} {kind:24s} {results[-1]['update_ms']:7.1f} ms", flush=True)
    print(f"\nOne Adam update of the face VAE-GAN ({results[0]['parameters']:,} parameters), "
          f"{os.cpu_count()} CPU(s); median (range) of {args.repeats} rounds\n")
    print("| optimizer | update ms | peak RSS added, GiB |\n|---|---:|---:|")
    for kind in KINDS:
        cells = [r for r in results if r["kind"] == kind]
        times = [r["update_ms"] for r in cells]
        added = [r["peak_rss_added"] / GIB for r in cells]
        print(f"| {kind} | {statistics.median(times):.0f} ({min(times):.0f}–{max(times):.0f}) "
              f"| {statistics.median(added):.2f} ({min(added):.2f}–{max(added):.2f}) |")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"cpus": os.cpu_count(), "repeats": args.repeats, "results": results},
                      file, indent=1)


if __name__ == "__main__":
    main()

"""Images per second of the MNIST VAE-GAN train step: eager vs tf.function vs XLA, oneDNN on/off.

Each cell runs in a fresh Python process, because TF_ENABLE_ONEDNN_OPTS only takes effect
before TensorFlow is imported. Each cell warms up (tracing/compiling), then times ``model.fit``
over ``--steps`` batches of 100 real MNIST digits. Table 1 repeats one in-memory batch; table 2
feeds ``vaegan_tf.data.mnist`` itself, with and without ``drop_remainder`` (a static versus a
dynamic batch dimension). Cells are run ``--repeats`` times, interleaved, and reported as the
median with the range, because single runs on a shared 2-core VM vary by tens of percent.
A benchmark, not a test.

Example:
    python benchmarks/train_step.py --steps 60 --json benchmarks/train_step_results.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

MODES = ("eager", "tf.function", "xla")


def measure(mode: str, steps: int, batch_size: int, batches: str = "fixed") -> dict:
    """Runs in the child process: times ``steps`` train steps in one mode.

    ``batches``: ``"fixed"`` (one batch repeated), ``"static"`` or ``"dynamic"`` (the MNIST
    pipeline with or without ``drop_remainder``).
    """
    import tensorflow as tf

    import vaegan_tf
    from vaegan_tf import data

    model = vaegan_tf.build_vaegan("mnist", seed=0)
    model.compile(**vaegan_tf.adam_optimizers(), run_eagerly=mode == "eager",
                  jit_compile=mode == "xla")
    warmup_steps = 3
    if batches == "fixed":
        batch = next(iter(data.mnist("train", batch_size=batch_size, limit=batch_size)))
        warmup = tf.data.Dataset.from_tensors(batch).repeat(warmup_steps)
        timed = tf.data.Dataset.from_tensors(batch).repeat(steps)
    else:
        timed = data.mnist("train", batch_size=batch_size, limit=steps * batch_size, seed=0,
                           drop_remainder=batches == "static")
        warmup = timed.take(warmup_steps)
    started = time.perf_counter()
    model.fit(warmup, epochs=1, verbose=0, shuffle=False)
    warmup_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model.fit(timed, epochs=1, verbose=0, shuffle=False)
    seconds = time.perf_counter() - started
    return {
        "mode": mode,
        "batches": batches,
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        "steps": steps,
        "batch_size": batch_size,
        "seconds": seconds,
        "images_per_second": steps * batch_size / seconds,
        "warmup_seconds": warmup_seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="timed steps per cell")
    parser.add_argument("--eager-steps", type=int, default=20, help="timed steps, eager mode")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3, help="runs per cell (median shown)")
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--child", nargs=4, metavar=("MODE", "STEPS", "BATCH", "BATCHES"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, steps, batch_size, batches = args.child
        print(json.dumps(measure(mode, int(steps), int(batch_size), batches)))
        return 0

    cells = [(onednn, mode, "fixed") for onednn in ("0", "1") for mode in MODES]
    cells += [("1", mode, batches) for mode in MODES[1:] for batches in ("dynamic", "static")]
    results = []
    for onednn, mode, batches in [cell for _ in range(args.repeats) for cell in cells]:
        steps = args.eager_steps if mode == "eager" else args.steps
        env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": onednn, "TF_CPP_MIN_LOG_LEVEL": "3"}
        child = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(steps), str(args.batch_size),
             batches],
            env=env, capture_output=True, text=True, check=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        results.append(result)
        print(f"  oneDNN={onednn} {mode:12s} {batches:8s} {result['images_per_second']:8.1f}"
              " img/s", file=sys.stderr)

    def cell(mode: str, onednn: str, batches: str) -> str:
        rates = [r["images_per_second"] for r in results
                 if (r["mode"], r["onednn"], r["batches"]) == (mode, onednn, batches)]
        return f"{statistics.median(rates):.0f} ({min(rates):.0f}–{max(rates):.0f})"

    def warmup(mode: str) -> float:
        return statistics.median(r["warmup_seconds"] for r in results
                                 if (r["mode"], r["onednn"], r["batches"]) == (mode, "1", "fixed"))

    print(f"\nMNIST VAE-GAN train step, batch {args.batch_size}, {os.cpu_count()} CPU(s); "
          f"images/s, median (range) of {args.repeats} runs\n")
    print("One in-memory batch, repeated:\n")
    print("| mode | oneDNN off | oneDNN on | warm-up, oneDNN on (s) |")
    print("|---|---:|---:|---:|")
    for mode in MODES:
        print(f"| {mode} | {cell(mode, '0', 'fixed')} | {cell(mode, '1', 'fixed')} "
              f"| {warmup(mode):.1f} |")
    print("\nThe MNIST pipeline, oneDNN on:\n")
    print("| mode | batch shape (None, 28, 28, 1) | batch shape (100, 28, 28, 1) |")
    print("|---|---:|---:|")
    for mode in MODES[1:]:
        print(f"| {mode} | {cell(mode, '1', 'dynamic')} | {cell(mode, '1', 'static')} |")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"batch_size": args.batch_size, "cpus": os.cpu_count(),
                       "repeats": args.repeats, "results": results}, file, indent=2)
            file.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Images per second of the MNIST VAE-GAN train step: eager vs tf.function vs XLA, oneDNN on/off.

Each (oneDNN, mode) cell runs in a fresh Python process, because TF_ENABLE_ONEDNN_OPTS only
takes effect before TensorFlow is imported. Each cell warms up (tracing/compiling), then times
``model.fit`` over ``--steps`` batches of 100 real MNIST digits. A benchmark, not a test.

Example:
    python benchmarks/train_step.py --steps 60 --json benchmarks/train_step_results.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

MODES = ("eager", "tf.function", "xla")


def measure(mode: str, steps: int, batch_size: int) -> dict:
    """Runs in the child process: times ``steps`` train steps in one mode."""
    import tensorflow as tf

    import vaegan_tf
    from vaegan_tf import data

    model = vaegan_tf.build_vaegan("mnist", seed=0)
    model.compile(**vaegan_tf.adam_optimizers(), run_eagerly=mode == "eager",
                  jit_compile=mode == "xla")
    batch = next(iter(data.mnist("train", batch_size=batch_size, limit=batch_size)))
    warmup_steps = 3
    warmup = tf.data.Dataset.from_tensors(batch).repeat(warmup_steps)
    timed = tf.data.Dataset.from_tensors(batch).repeat(steps)
    started = time.perf_counter()
    model.fit(warmup, epochs=1, verbose=0, shuffle=False)
    warmup_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model.fit(timed, epochs=1, verbose=0, shuffle=False)
    seconds = time.perf_counter() - started
    return {
        "mode": mode,
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
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "STEPS", "BATCH"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, steps, batch_size = args.child
        print(json.dumps(measure(mode, int(steps), int(batch_size))))
        return 0

    results = []
    for onednn in ("0", "1"):
        for mode in MODES:
            steps = args.eager_steps if mode == "eager" else args.steps
            env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": onednn, "TF_CPP_MIN_LOG_LEVEL": "3"}
            child = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(steps), str(args.batch_size)],
                env=env, capture_output=True, text=True, check=True,
            )
            result = json.loads(child.stdout.strip().splitlines()[-1])
            results.append(result)
            print(f"  oneDNN={onednn} {mode:12s} {result['images_per_second']:8.1f} img/s",
                  file=sys.stderr)

    print(f"\nMNIST VAE-GAN train step, batch {args.batch_size}, {os.cpu_count()} CPU(s)\n")
    print("| mode | oneDNN off (img/s) | oneDNN on (img/s) | warm-up on (s) |")
    print("|---|---:|---:|---:|")
    for mode in MODES:
        off, on = (next(r for r in results if r["mode"] == mode and r["onednn"] == flag)
                   for flag in ("0", "1"))
        print(f"| {mode} | {off['images_per_second']:.1f} | {on['images_per_second']:.1f} "
              f"| {on['warmup_seconds']:.1f} |")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"batch_size": args.batch_size, "cpus": os.cpu_count(),
                       "results": results}, file, indent=2)
            file.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

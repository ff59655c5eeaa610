"""Memory and speed of the face VAE-GAN (64x64x3, ~90 M parameters): train step and checkpoint.

Each cell runs in a fresh Python process (peak RSS is per process, and TF_ENABLE_ONEDNN_OPTS
only acts before TensorFlow is imported). A cell builds and compiles the ``faces`` model,
warms up, times ``model.fit`` over ``--steps`` batches of real lfw-mini faces, then saves the
whole model as ``.keras`` once, as a run's checkpoint does every epoch (``save_atomically``).
Speed is given from the timed fit's start to its last batch's end and at its median step
(steadier on a shared machine). The seconds from the last batch's end until ``fit`` returns are
reported apart: the cell's own ``Dataset.from_tensors(batch).repeat(steps)`` keeps tf.data's
defaults, as a user's dataset would, and tearing down its iterator often waits 3-4 s for the
autotuning thread (the library's pipelines turn autotuning off: ``data.pipeline.prefetched``).
Peak RSS (``ru_maxrss``) is read after each phase. Cells are repeated ``--repeats`` times,
interleaved; the tables show medians and ranges. A benchmark, not a test.

With ``--baseline DIR`` (a checkout of another commit, e.g. ``git worktree add /tmp/before
d21d6e1``, the code before issue 14) the tf.function cell also runs on that checkout's
``vaegan_tf``, interleaved with this one's: the side-by-side ratio on one machine.
``--set FIELD=JSON ...`` adds a tf.function cell of this code with those preset fields
changed; ``--precision POLICY`` one whose networks compute under that Keras dtype policy
(e.g. ``mixed_bfloat16``, which oneDNN runs on AMX tiles where the CPU has them).

Example:
    python benchmarks/face_step.py --steps 10 --json benchmarks/face_step_results.json
    python benchmarks/face_step.py --modes tf.function --baseline /tmp/before --repeats 3
    python benchmarks/face_step.py --modes tf.function --set discriminator_joint_batch=true
    python benchmarks/face_step.py --modes tf.function --precision mixed_bfloat16
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODES = ("tf.function", "xla")
OVERRIDES_VARIABLE = "FACE_STEP_PRESET_OVERRIDES"  # the parent's --set, for the child
PRECISION_VARIABLE = "FACE_STEP_PRECISION"  # the parent's --precision, for the child
GIB = 1024**3


@dataclasses.dataclass(frozen=True)
class Cell:
    tree: str  # the checkout whose vaegan_tf the cell runs
    overrides: dict = dataclasses.field(default_factory=dict)  # preset fields changed
    precision: str = "float32"  # the Keras dtype policy the networks are built under


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def measure(mode: str, steps: int, batch_size: int, preset_name: str,
            overrides: dict | None = None, precision: str = "float32") -> dict:
    """Runs in the child process: one cell (``overrides``: preset fields to change;
    ``precision``: the Keras dtype policy the networks are built under)."""
    import keras
    import tensorflow as tf

    import vaegan_tf
    from vaegan_tf import data
    from vaegan_tf.callbacks import save_atomically

    started = time.perf_counter()
    keras.mixed_precision.set_global_policy(precision)
    model = vaegan_tf.build_vaegan(preset_name, seed=0, **(overrides or {}))
    keras.mixed_precision.set_global_policy("float32")
    model.compile(**vaegan_tf.adam_optimizers(), jit_compile=mode == "xla")
    parameters = {name: network.count_params() for name, network in model.networks.items()}
    build_seconds = time.perf_counter() - started
    rss_built = peak_rss_bytes()

    train, _ = data.lfw_mini(batch_size=batch_size, seed=0)
    batch = next(iter(train))
    started = time.perf_counter()
    model.fit(tf.data.Dataset.from_tensors(batch).repeat(2), epochs=1, verbose=0)
    warmup_seconds = time.perf_counter() - started
    rss_warm = peak_rss_bytes()
    ends = [time.perf_counter()]
    step_ends = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: ends.append(time.perf_counter()))
    started = ends[0]
    model.fit(tf.data.Dataset.from_tensors(batch).repeat(steps), epochs=1, verbose=0,
              callbacks=[step_ends])
    fit_exit_seconds = time.perf_counter() - ends[-1]
    step_seconds = statistics.median(b - a for a, b in itertools.pairwise(ends))
    seconds = ends[-1] - started
    rss_trained = peak_rss_bytes()

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "model.keras"
        started = time.perf_counter()
        save_atomically(model, path)  # as the run's checkpoint: weights streamed to disk
        save_seconds = time.perf_counter() - started
        checkpoint_bytes = path.stat().st_size
    return {
        "mode": mode,
        "preset": preset_name,
        "precision": precision,
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        "batch_size": batch_size,
        "steps": steps,
        "parameters": parameters,
        "build_seconds": build_seconds,
        "warmup_seconds": warmup_seconds,
        "seconds": seconds,
        "fit_exit_seconds": fit_exit_seconds,
        "images_per_second": steps * batch_size / seconds,
        "images_per_second_median_step": batch_size / step_seconds,
        "peak_rss_built": rss_built,
        "peak_rss_after_steps": max(rss_warm, rss_trained),
        "peak_rss_after_save": peak_rss_bytes(),
        "save_seconds": save_seconds,
        "checkpoint_bytes": checkpoint_bytes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="timed steps per cell")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--preset", default="faces")
    parser.add_argument("--repeats", type=int, default=2, help="runs per cell (median shown)")
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--set", nargs="+", metavar="FIELD=JSON",
                        help="preset fields for one more tf.function cell, e.g. "
                             "discriminator_joint_batch=true")
    parser.add_argument("--precision", default=None, metavar="POLICY",
                        help="a Keras dtype policy for one more tf.function cell, e.g. "
                             "mixed_bfloat16")
    parser.add_argument("--baseline", default=None, metavar="DIR",
                        help="a checkout of another commit: its tf.function cell runs too")
    parser.add_argument("--child", nargs=4, metavar=("MODE", "STEPS", "BATCH", "PRESET"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, steps, batch_size, preset_name = args.child
        overrides = json.loads(os.environ.get(OVERRIDES_VARIABLE, "{}"))
        precision = os.environ.get(PRECISION_VARIABLE, "float32")
        print(json.dumps(measure(mode, int(steps), int(batch_size), preset_name, overrides,
                                 precision)))
        return 0

    here = str(Path(__file__).resolve().parents[1])
    # each cell: the checkout whose vaegan_tf it runs, preset fields changed, dtype policy
    cells = {mode: Cell(here) for mode in args.modes}
    if args.baseline:
        cells[f"tf.function, {args.baseline}"] = Cell(str(Path(args.baseline).resolve()))
    if args.set:
        changed = {key: json.loads(value) for key, value in
                   (setting.split("=", 1) for setting in args.set)}
        cells[f"tf.function, {' '.join(args.set)}"] = Cell(here, overrides=changed)
    if args.precision:
        cells[f"tf.function, {args.precision}"] = Cell(here, precision=args.precision)
    results = []
    for mode in [mode for _ in range(args.repeats) for mode in cells]:
        cell = cells[mode]
        env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
               OVERRIDES_VARIABLE: json.dumps(cell.overrides),
               PRECISION_VARIABLE: cell.precision,
               "PYTHONPATH": os.pathsep.join(filter(None, [cell.tree,
                                                          os.environ.get("PYTHONPATH")]))}
        child = subprocess.run(
            [sys.executable, __file__, "--child", mode.split(",")[0], str(args.steps),
             str(args.batch_size), args.preset],
            env=env, capture_output=True, text=True, check=True, cwd=cell.tree,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        result.update(mode=mode, code=cell.tree, overrides=cell.overrides)
        results.append(result)
        print(f"  {mode:12s} {result['images_per_second']:6.1f} img/s "
              f"({result['images_per_second_median_step']:.1f} at the median step), peak RSS "
              f"{result['peak_rss_after_save'] / GIB:.2f} GiB", file=sys.stderr)

    def median(mode: str, key: str, scale: float = 1.0) -> str:
        values = [r[key] / scale for r in results if r["mode"] == mode]
        return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"

    parameters = results[0]["parameters"]
    print(f"\nFace VAE-GAN ({args.preset}), batch {args.batch_size}, {os.cpu_count()} CPU(s), "
          f"oneDNN on; median (range) of {args.repeats} runs")
    print("parameters: " + ", ".join(f"{name} {count / 1e6:.2f} M"
                                     for name, count in parameters.items())
          + f"; total {sum(parameters.values()) / 1e6:.2f} M\n")
    print("| mode | images/s | images/s, median step | fit exit (s) | warm-up (s) "
          "| peak RSS built (GiB) | after steps (GiB) | after save (GiB) | save (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for mode in cells:
        columns = [median(mode, "images_per_second"),
                 median(mode, "images_per_second_median_step"),
                 median(mode, "fit_exit_seconds"), median(mode, "warmup_seconds"),
                 median(mode, "peak_rss_built", GIB), median(mode, "peak_rss_after_steps", GIB),
                 median(mode, "peak_rss_after_save", GIB), median(mode, "save_seconds")]
        print(f"| {mode} | " + " | ".join(columns) + " |")
    if args.baseline and "tf.function" in args.modes:
        def speeds(mode: str) -> list[float]:
            return [r["images_per_second_median_step"] for r in results if r["mode"] == mode]
        ours, theirs = speeds("tf.function"), speeds(f"tf.function, {args.baseline}")
        rounds = [a / b for a, b in zip(ours, theirs, strict=True)]
        print(f"\ntf.function speed (median step), this code / {args.baseline}: "
              f"{statistics.median(ours) / statistics.median(theirs):.2f}x (ratio of medians); "
              f"per round {statistics.median(rounds):.2f}x ({min(rounds):.2f}–{max(rounds):.2f})")
    print(f"\ncheckpoint (.keras, weights + 3 Adam states): "
          f"{results[0]['checkpoint_bytes'] / GIB:.2f} GiB")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"cpus": os.cpu_count(), "repeats": args.repeats, "results": results},
                      file, indent=2)
            file.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

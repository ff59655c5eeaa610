"""vaegan_tf's MNIST VAE-GAN step against the plain Keras reference (``plain_keras_step.py``).

Every cell runs in a fresh Python process, cells interleaved, ``--repeats`` rounds; each
fits one epoch of ``--warmup + --steps`` batches of 100 real MNIST digits from the same
``vaegan_tf.data.mnist`` pipeline and records the wall clock at every batch end: the rate is
the timed steps' images over the time from the end of the last warm-up batch to the end of
the last batch. Reported as the median with the range, and as a ratio to the plain reference
of the same round (the machine is shared: only ratios measured side by side mean much).
A benchmark, not a test.

Example:
    python benchmarks/step_comparison.py --repeats 3 --json benchmarks/step_comparison.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from provenance import provenance

CELLS = {
    "plain Keras, XLA (Keras' default)": ("plain", {"jit_compile": True}),
    "plain Keras, tf.function": ("plain", {"jit_compile": False}),
    "vaegan_tf, default (fast paths on, tf.function)": ("vaegan_tf", {"env": {
        "VAEGAN_TF_FAST_PATHS": "auto"}}),
    "vaegan_tf, --fast-paths off (Keras' layers and Adam; XLA)": ("vaegan_tf", {"env": {
        "VAEGAN_TF_FAST_PATHS": "off"}}),
    "vaegan_tf, XLA (--jit on)": ("vaegan_tf", {"jit": "on"}),
    "vaegan_tf, XLA, mixed_bfloat16": ("vaegan_tf", {"jit": "on",
                                                     "precision": "mixed_bfloat16"}),
    "vaegan_tf, mixed_bfloat16 (default: no XLA)": ("vaegan_tf", {"precision":
                                                                  "mixed_bfloat16"}),
    "vaegan_tf, mixed_float16 (default: XLA)": ("vaegan_tf", {"precision": "mixed_float16"}),
    # Tried, no faster (see the README): not run unless named with --cells.
    "vaegan_tf, mixed_float16 without XLA": ("vaegan_tf", {"jit": "off",
                                                          "precision": "mixed_float16"}),
    "vaegan_tf, XLA, 5 steps per execution": ("vaegan_tf", {"jit": "on",
                                                            "steps_per_execution": 5}),
    "vaegan_tf, XLA, thunk runtime off": ("vaegan_tf", {"jit": "on", "env": {
        "XLA_FLAGS": "--xla_cpu_use_thunk_runtime=false"}}),
    "vaegan_tf, XLA, oneDNN in XLA": ("vaegan_tf", {"jit": "on", "env": {
        "XLA_FLAGS": "--xla_cpu_use_onednn=true"}}),
    "vaegan_tf, XLA, oneDNN custom calls": ("vaegan_tf", {"jit": "on", "env": {
        "XLA_FLAGS": "--xla_cpu_experimental_onednn_custom_call=true"}}),
    "vaegan_tf, XLA, XNNPACK": ("vaegan_tf", {"jit": "on", "env": {
        "XLA_FLAGS": "--xla_cpu_use_xnnpack=true"}}),
    "vaegan_tf, tf.function, XLA auto-clustering": ("vaegan_tf", {"jit": "off", "env": {
        "TF_XLA_FLAGS": "--tf_xla_auto_jit=2 --tf_xla_cpu_global_jit"}}),
    "vaegan_tf, tf.function, XLA clusters of fusible ops": ("vaegan_tf", {"jit": "off", "env": {
        "TF_XLA_FLAGS": "--tf_xla_auto_jit=2 --tf_xla_cpu_global_jit "
                        "--tf_xla_ops_to_cluster=FUSIBLE"}}),
}
DEFAULT_CELLS = list(CELLS)[:8]
REFERENCE = "plain Keras, XLA (Keras' default)"


def measure(cell: str, steps: int, warmup: int, batch_size: int) -> dict:
    """In the child process: one cell, one fit."""
    import keras

    from vaegan_tf import data

    kind, options = CELLS[cell]
    options = {key: value for key, value in options.items() if key != "env"}
    keras.utils.set_random_seed(0)
    if kind == "plain":
        sys.path.insert(0, str(Path(__file__).parent))
        from plain_keras_step import plain_model

        model = plain_model(**options)
    else:
        from vaegan_tf import cli, get_preset

        steps_per_execution = options.pop("steps_per_execution", None)
        model = cli.compiled_model(get_preset("mnist"), 0, **options)
        if steps_per_execution:
            model.compile(**{f"{name}_optimizer": model.optimizer_of(name)
                             for name in model.network_names},
                          jit_compile=True, steps_per_execution=steps_per_execution)
    batches = data.mnist("train", batch_size=batch_size, limit=(warmup + steps) * batch_size,
                         seed=0)
    ends: list[tuple[int, float]] = []  # (batches done, time); one per execution
    clock = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: ends.append((batch + 1, time.perf_counter())))
    model.fit(batches, epochs=1, verbose=0, callbacks=[clock])
    start_batch, start = next(end for end in ends if end[0] >= warmup)
    timed = ends[-1][0] - start_batch
    seconds = ends[-1][1] - start
    return {"cell": cell, "steps": timed, "batch_size": batch_size, "seconds": seconds,
            "images_per_second": timed * batch_size / seconds}


def comparison_table(results: list[dict]) -> str:
    """The results as a Markdown table, cells in their order of appearance: images per second,
    median (range) over rounds, and the ratio to ``REFERENCE`` of the same round, median of the
    per-round ratios (range). ``docs/hooks.py`` renders the committed result files with it."""
    reference = {r["round"]: r["images_per_second"] for r in results if r["cell"] == REFERENCE}
    rows = ["| implementation | img/s | ratio to plain Keras, XLA, same round |",
            "|---|---:|---:|"]
    for cell in dict.fromkeys(r["cell"] for r in results):
        rates = [r["images_per_second"] for r in results if r["cell"] == cell]
        ratios = [r["images_per_second"] / reference[r["round"]] for r in results
                  if r["cell"] == cell]
        rows.append(f"| {cell} | {statistics.median(rates):.0f} ({min(rates):.0f}–"
                    f"{max(rates):.0f}) | {statistics.median(ratios):.2f} "
                    f"({min(ratios):.2f}–{max(ratios):.2f}) |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per cell")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3, help="rounds (median shown)")
    parser.add_argument("--cells", nargs="*", default=DEFAULT_CELLS, choices=list(CELLS))
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.steps, args.warmup, args.batch_size)))
        return 0
    cells = args.cells if REFERENCE in args.cells else [REFERENCE, *args.cells]
    results = []
    for round_number in range(args.repeats):
        for cell in cells:
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **CELLS[cell][1].get("env", {})}
            child = subprocess.run(
                [sys.executable, __file__, "--child", cell, "--steps", str(args.steps),
                 "--warmup", str(args.warmup), "--batch-size", str(args.batch_size)],
                env=env, capture_output=True, text=True, check=True)
            result = {**json.loads(child.stdout.strip().splitlines()[-1]), "round": round_number}
            results.append(result)
            print(f"  round {round_number} {cell:32s} {result['images_per_second']:7.1f} img/s",
                  file=sys.stderr)

    print(f"\nMNIST VAE-GAN step, batch {args.batch_size}, {os.cpu_count()} CPU(s), "
          f"{args.steps} timed steps after {args.warmup}; median (range) of {args.repeats} "
          "rounds\n")
    print(comparison_table(results))
    if args.json:
        with open(args.json, "w") as file:
            json.dump({**provenance(), "batch_size": args.batch_size,
                       "steps": args.steps, "warmup": args.warmup, "results": results},
                      file, indent=2)
            file.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Backward pass of a wide dense layer: Keras' ``Dense`` against ``vaegan_tf.layers.Dense``.

Both layers compute the same products; they differ in how the input gradient ``upstream ·
kernelᵀ`` is formed: Keras (TensorFlow's MatMul gradient) as a MatMul with a transposed
operand, vaegan_tf as an Einsum, which oneDNN runs as its matmul primitive on the kernel as
stored. Each cell times one traced
function (``tf.function``, or XLA with ``--xla``) that runs the layer forward and takes the
gradient of ``Σ outputs · upstream`` with respect to the inputs, or to the inputs and the
kernel, on the shapes of the face and MNIST VAE-GANs' big dense layers. Rounds interleave
the two layers; medians and ranges over rounds. A benchmark, not a test.

Example:
    python benchmarks/dense_gradient.py --repeats 5 --json benchmarks/dense_gradient.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

# (name, batch, inputs, units): the layers whose gradients dominate the face step's profile.
SHAPES = (
    ("faces D dense (after minibatch discrimination)", 64, 14 * 14 * 128 + 16, 1024),
    ("faces encoder dense", 64, 14 * 14 * 128, 1024),
    ("faces decoder dense 1024 → 15·15·128", 64, 1024, 28800),
    ("MNIST D dense", 100, 3200, 1024),
    ("MNIST decoder dense 1024 → 7·7·128", 100, 1024, 6272),
)
WANTS = ("input gradient", "input and kernel gradients")


def time_cell(layer_class: type, batch: int, inputs: int, units: int, want: str, xla: bool,
              calls: int) -> float:
    import tensorflow as tf

    layer = layer_class(units)
    layer.build((None, inputs))
    x = tf.random.normal([batch, inputs], seed=1)
    upstream = tf.random.normal([batch, units], seed=2)

    @tf.function(jit_compile=xla)
    def backward() -> list:
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x) * upstream)
        sources = [x] if want == WANTS[0] else [x, layer.kernel.value]
        return tape.gradient(loss, sources)

    backward()
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        [gradient.numpy() for gradient in backward()]
        seconds.append(time.perf_counter() - started)
    return 1000 * statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--calls", type=int, default=7, help="timed calls per cell and round")
    parser.add_argument("--xla", action="store_true", help="compile each cell with XLA")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    import keras

    from vaegan_tf.layers import Dense

    layers = {"keras.layers.Dense": keras.layers.Dense, "vaegan_tf.layers.Dense": Dense}
    results = []
    for round_ in range(args.repeats):
        for (name, batch, inputs, units), want, (layer_name, layer_class) in (
                (shape, want, layer) for shape in SHAPES for want in WANTS
                for layer in layers.items()):
            results.append({"shape": name, "batch": batch, "inputs": inputs, "units": units,
                            "gradients": want, "layer": layer_name, "round": round_,
                            "ms": time_cell(layer_class, batch, inputs, units, want, args.xla,
                                            args.calls)})
        print(f"round {round_} done", flush=True)

    def times(shape: str, want: str, layer: str) -> list[float]:
        return [r["ms"] for r in results
                if (r["shape"], r["gradients"], r["layer"]) == (shape, want, layer)]

    print(f"\nForward + backward of one dense layer, {'XLA' if args.xla else 'tf.function'}, "
          f"{os.cpu_count()} CPU(s); ms, median (range) of {args.repeats} rounds\n")
    print("| layer shape | gradients | Keras | vaegan_tf | speed-up |\n|---|---|---:|---:|---:|")
    for name, batch, inputs, units in SHAPES:
        for want in WANTS:
            keras_ms, ours_ms = (times(name, want, layer) for layer in layers)
            ratios = [k / o for k, o in zip(keras_ms, ours_ms, strict=True)]
            print(f"| {name}: {batch}×{inputs} → {units} | {want} | "
                  f"{statistics.median(keras_ms):.1f} ({min(keras_ms):.1f}–{max(keras_ms):.1f}) | "
                  f"{statistics.median(ours_ms):.1f} ({min(ours_ms):.1f}–{max(ours_ms):.1f}) | "
                  f"{statistics.median(ratios):.2f}× |")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"cpus": os.cpu_count(), "xla": args.xla, "repeats": args.repeats,
                       "results": results}, file, indent=1)


if __name__ == "__main__":
    main()

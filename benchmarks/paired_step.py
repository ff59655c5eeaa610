"""What one of vaegan_tf's layers buys in the whole train step: paired steps in one process.

This machine's speed drifts by ±5 % over minutes, more than the few per cent one change to a
layer is worth, so fresh processes run one after the other cannot resolve it. Here the step
is built twice in one process, on the same weights and batch: once as it is, once with one
of vaegan_tf's layers computed the way it was before, or with every fast path off (the
``VARIANTS`` below patch the layer, or set the switch, while that model is built and its step
traced; the traced graph keeps it). The two steps then alternate,
ABBA, ``--steps`` pairs after warm-up, and each pair gives a ratio (before ÷ now, the
speed-up); the table shows the median step times and the median ratio with its quartiles.
Both models train as they go (the steps are real Adam steps), a step's time does not depend
on the values. A benchmark, not a test.

Example:
    python benchmarks/paired_step.py --json benchmarks/paired_step.json
    python benchmarks/paired_step.py --variants keras-batch-norm --preset mnist --xla
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator

from provenance import provenance

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def patched(owner: object, name: str, replacement: object) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        setattr(owner, name, original)


def keras_batch_norm() -> contextlib.AbstractContextManager:
    """Keras' own batch norm (a dozen element-wise ops) instead of the fused kernel."""
    import keras

    from vaegan_tf import layers
    return patched(layers.BatchNormalization, "call", keras.layers.BatchNormalization.call)


def transposed_product_gradient() -> contextlib.AbstractContextManager:
    """Dense's input gradient as ``(kernel · upstreamᵀ)ᵀ``, its form before the Einsum."""
    import tensorflow as tf

    from vaegan_tf import layers
    return patched(layers, "_input_gradient", lambda upstream, kernel: tf.transpose(
        tf.matmul(kernel, upstream, transpose_b=True)))


def keras_dense() -> contextlib.AbstractContextManager:
    """Keras' Dense (TensorFlow's MatMul gradient, the kernel read transposed; under
    ``call_per_batch`` on the batches' rows concatenated)."""
    import keras
    import tensorflow as tf

    from vaegan_tf import layers
    stack = contextlib.ExitStack()
    stack.enter_context(patched(layers.Dense, "call", keras.layers.Dense.call))
    stack.enter_context(patched(layers.Dense, "call_parts", lambda self, parts: layers.split_rows(
        self(tf.concat(parts, axis=0)), parts)))
    return stack


def keras_layers() -> contextlib.AbstractContextManager:
    """Keras' BatchNormalization and Dense both at once."""
    stack = contextlib.ExitStack()
    for variant in (keras_batch_norm, keras_dense):
        stack.enter_context(variant())
    return stack


def fast_paths_off() -> contextlib.AbstractContextManager:
    """Every fast path off (``--fast-paths off``): Keras' layers and Adam, the networks
    called once per batch."""
    from vaegan_tf import fast_paths

    @contextlib.contextmanager
    def switched() -> Iterator[None]:
        fast_paths.set_fast_paths("off")
        try:
            yield
        finally:
            fast_paths.set_fast_paths(None)

    return switched()


def separate_dense_calls() -> contextlib.AbstractContextManager:
    """The decoder and D called once per batch, their Dense layers too (``call_per_batch``
    calls each Dense layer once on all batches' rows)."""
    from vaegan_tf import vaegan
    return patched(vaegan, "call_per_batch", lambda network, batches, training=None: [
        network(batch, training=training) for batch in batches])


def joined_input_gradient() -> contextlib.AbstractContextManager:
    """``call_per_batch``'s Dense layers with one input gradient over all batches' rows (as one
    concatenated call: zero rows for the batches a backward pass does not need)."""
    import tensorflow as tf

    from vaegan_tf import layers
    affine = layers._affine

    def joined_affine(parts, kernel, bias=None):
        (outputs,) = affine([tf.concat(parts, axis=0)], kernel, bias)
        return layers.split_rows(outputs, parts)

    return patched(layers, "_affine", joined_affine)


def keras_conv() -> contextlib.AbstractContextManager:
    """Keras' Conv2D and Conv2DTranspose: oneDNN's transposed-convolution kernel for the
    image-side products (D's input gradient, the decoder's last layer)."""
    import keras

    from vaegan_tf import layers
    stack = contextlib.ExitStack()
    stack.enter_context(patched(layers.Conv2D, "convolution_op",
                                keras.layers.Conv2D.convolution_op))
    stack.enter_context(patched(layers.Conv2DTranspose, "call", keras.layers.Conv2DTranspose.call))
    return stack


def xla_fused_adam() -> contextlib.AbstractContextManager:
    """``FusedAdam`` as it was first written: each variable's update one small XLA function
    (the same expression) instead of TensorFlow's Adam kernel."""
    import tensorflow as tf

    from vaegan_tf import optimizers, private_api

    @tf.function(jit_compile=True, autograph=False)
    def update(variable, momentum, velocity, gradient, alpha, one_minus_beta_1,
               one_minus_beta_2, epsilon):
        momentum.assign_add((gradient - momentum) * one_minus_beta_1)
        velocity.assign_add((tf.square(gradient) - velocity) * one_minus_beta_2)
        variable.assign_sub((momentum * alpha) / (tf.sqrt(velocity) + epsilon))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1_power = tf.pow(tf.cast(self.beta_1, dtype), step)
        beta_2_power = tf.pow(tf.cast(self.beta_2, dtype), step)
        alpha = tf.cast(learning_rate, dtype) * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        momentum, velocity = private_api.adam_slots(self, variable)
        update(optimizers._tf_variable(variable), optimizers._tf_variable(momentum),
               optimizers._tf_variable(velocity), tf.cast(gradient, dtype),
               alpha, tf.constant(1 - self.beta_1, dtype), tf.constant(1 - self.beta_2, dtype),
               tf.constant(self.epsilon, dtype))

    return patched(optimizers.FusedAdam, "update_step", update_step)


VARIANTS: dict[str, Callable[[], contextlib.AbstractContextManager]] = {
    "keras-batch-norm": keras_batch_norm,
    "transposed-product-gradient": transposed_product_gradient,
    "keras-dense": keras_dense,
    "keras-layers": keras_layers,
    "fast-paths-off": fast_paths_off,
    "separate-dense-calls": separate_dense_calls,
    "joined-input-gradient": joined_input_gradient,
    "keras-conv": keras_conv,
    "xla-fused-adam": xla_fused_adam,
}
BATCH_SIZES = {"faces": 64, "mnist": 100}


def first_batch(preset: str):
    from vaegan_tf import data
    if preset == "mnist":
        return next(iter(data.mnist("train", batch_size=BATCH_SIZES[preset],
                                    limit=BATCH_SIZES[preset])))
    train, _ = data.lfw_mini(batch_size=BATCH_SIZES[preset], seed=0)
    return next(iter(train))


def compiled(preset: str, xla: bool):
    import vaegan_tf
    model = vaegan_tf.build_vaegan(preset, seed=0)
    model.compile(**vaegan_tf.adam_optimizers(), jit_compile=xla)
    return model


def timed_step(model, batch) -> float:
    started = time.perf_counter()
    model.train_on_batch(batch)  # returns the losses as NumPy: the step has finished
    return time.perf_counter() - started


def paired(variant: str, preset: str, steps: int, xla: bool, warmup: int = 3) -> dict:
    """Times the step as it is against the step with ``variant`` patched in."""
    batch = first_batch(preset)
    now = compiled(preset, xla)
    with VARIANTS[variant]():  # built and traced here, with the layer as it was
        before = compiled(preset, xla)
        before.train_on_batch(batch)
    now.train_on_batch(batch)
    for _ in range(warmup):
        timed_step(now, batch)
        timed_step(before, batch)
    times_now, times_before = [], []
    for pair in range(steps):
        order = [(now, times_now), (before, times_before)]
        for model, times in order if pair % 2 == 0 else order[::-1]:
            times.append(timed_step(model, batch))
    ratios = [b / a for a, b in zip(times_now, times_before, strict=True)]
    quartiles = statistics.quantiles(ratios, n=4)
    return {"variant": variant, "preset": preset, "xla": xla, "pairs": steps,
            "batch_size": BATCH_SIZES[preset],
            "ms_now": 1000 * statistics.median(times_now),
            "ms_before": 1000 * statistics.median(times_before),
            "speed_up": statistics.median(ratios),
            "speed_up_quartiles": [quartiles[0], quartiles[2]]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS),
                        default=list(VARIANTS))
    parser.add_argument("--preset", nargs="+", choices=list(BATCH_SIZES),
                        default=list(BATCH_SIZES))
    parser.add_argument("--steps", type=int, default=24, help="timed pairs per comparison")
    parser.add_argument("--xla", action="store_true", help="compile both steps with XLA")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)

    results = []
    for preset in args.preset:
        for variant in args.variants:
            result = paired(variant, preset, args.steps, args.xla)
            results.append(result)
            print(f"  {preset} {variant}: {result['speed_up']:.3f}", file=sys.stderr)

    mode = "XLA" if args.xla else "tf.function"
    print(f"\nVAE-GAN train step ({mode}), {os.cpu_count()} CPU(s), {args.steps} alternating "
          "pairs per row; speed-up = the step before ÷ now, median and quartiles over pairs\n")
    print("| preset | before (the layer as it was) | ms before | ms now | speed-up |")
    print("|---|---|---:|---:|---:|")
    for r in results:
        low, high = r["speed_up_quartiles"]
        described = " ".join(VARIANTS[r["variant"]].__doc__.split())
        print(f"| {r['preset']} | {r['variant']}: {described} "
              f"| {r['ms_before']:.1f} | {r['ms_now']:.1f} "
              f"| {r['speed_up']:.3f} ({low:.3f}–{high:.3f}) |")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({**provenance(), "results": results}, file, indent=2)
            file.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

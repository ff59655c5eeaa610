"""Run by tests/test_distribute.py in a fresh process (the CPU is split into two logical
devices before TensorFlow starts): one train step of each model on one device and on two
mirrored replicas, from the same weights and data; prints the differences as JSON."""

import json

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from vaegan_tf import get_preset  # noqa: E402
from vaegan_tf.adversarial import replicas_in_sync  # noqa: E402
from vaegan_tf.models import build_model  # noqa: E402

TOY = {"vaegan": {"latent_dim": 8, "dense_units": 16, "conv_filters": (8, 16),
                  "decoder_filters": 8},
       "gan": {"latent_dim": 8, "dense_units": 16, "generator_filters": 4,
               "discriminator_filters": 4}}
CASES = {
    "mnist": {},
    "mnist, soft and noisy labels": {"real_label_range": (0.7, 1.2),
                                     "fake_label_range": (0.0, 0.3),
                                     "label_flip_probability": 0.25},
    "mnist, equilibrium gate": {"equilibrium_margin": 0.2},
    # The GAN losses differ only in pure functions; WGAN-GP has the critic steps and the
    # penalty's draws, the conditional DCGAN the labels.
    "dcgan-mnist": {}, "wgan-gp-mnist": {}, "cdcgan-mnist": {},
    # The generator's moving average, updated once across the replicas (merge_call).
    "dcgan-mnist, generator average": {"ema_decay": 0.5},
    # ... and its standing statistics, refreshed in the cross-replica context before sampling.
    "dcgan-mnist, generator average, standing statistics": {"ema_decay": 0.5,
                                                            "ema_standing_samples": 16},
    # Spectral normalization's power-iteration vectors, updated on every replica alike.
    "sngan-mnist": {},
}
STRATEGY = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


def preset_of(case):
    name = case.split(",")[0]
    base = get_preset(name)
    return base.replace(**TOY[base.family], **CASES[case])


def compiled(preset, weights=None):
    model = build_model(preset, seed=3)
    model.compile(**{f"{name}_optimizer": keras.optimizers.SGD(0.01)
                     for name in model.network_names}, jit_compile=False)
    if weights is not None:
        model.set_weights(weights)
    return model


def one_device_order(images, steps, replicas=2):
    """The rows one device must see so that its critic batch k holds what the replicas' critic
    batches k hold: each replica takes a contiguous slice and splits it into ``steps``."""
    local = len(images) // replicas
    per_step = local // steps
    order = [replica * local + step * per_step + row for step in range(steps)
             for replica in range(replicas) for row in range(per_step)]
    return images[order]


def step(case):
    keras.utils.set_random_seed(0)  # the same initial weights in every run of the test
    preset = preset_of(case)
    rng = np.random.default_rng(0)
    steps = getattr(preset, "discriminator_steps", 1)
    count = 8 * steps
    images = rng.uniform(-1, 1, (count, 28, 28, 1)).astype("float32")
    labels = rng.integers(0, 10, count)
    conditional = getattr(preset, "num_classes", 0)
    single = compiled(preset)
    weights = single.get_weights()
    with STRATEGY.scope():
        mirrored = compiled(preset, weights)

    def data(order):
        rows = (order(images, steps), order(labels, steps)) if conditional else order(
            images, steps)
        return tf.data.Dataset.from_tensors(rows)

    one = single.fit(data(one_device_order), epochs=1, verbose=0, check_images=False)
    two = mirrored.fit(data(lambda rows, steps: rows), epochs=1, verbose=0,
                       check_images=False)
    weight_gaps = [float(np.max(np.abs(a - b)))
                   for a, b in zip(single.get_weights(), mirrored.get_weights(), strict=True)]
    moved = max(float(np.max(np.abs(a - b)))
                for a, b in zip(weights, single.get_weights(), strict=True))
    result = {"weights": max(weight_gaps), "moved": moved, "replicas": replica_gap(mirrored),
              "losses": {key: [one.history[key][0], two.history[key][0]]
                         for key in one.history}}
    if preset.ema_standing_samples:
        result["samples"] = float(np.max(np.abs(np.asarray(single.sample(4, seed=0))
                                                - np.asarray(mirrored.sample(4, seed=0)))))
        result["refreshed"] = [
            float(tf.convert_to_tensor(model.model_state["ema_standing_at"].value))
            for model in (single, mirrored)]
    return result


def replica_gap(model):
    """The largest difference between the two replicas' copies of any variable."""
    return max(float(np.max(np.abs(np.asarray(values[0]) - np.asarray(values[1]))))
               for values in (variable.value.values for variable in model.variables)
               if len(values) == 2)


def disagreeing_gate():
    """The gated VAE-GAN with replica 1's costs pushed far above the equilibrium band and
    replica 0's in it: alone they would take different branches around the optimizers'
    all-reduce (a hang); the gate decides on the replicas' mean costs (above the band: D
    trains, the decoder does not)."""
    with STRATEGY.scope():
        model = compiled(preset_of("mnist, equilibrium gate"))
    forward = model._forward

    def pushed(images, training):
        batch_losses, real_cost, fake_cost = forward(images, training)
        push = 10.0 * tf.cast(replicas_in_sync()[1], real_cost.dtype)
        return batch_losses, real_cost + push, fake_cost + push

    model._forward = pushed
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    history = model.fit(tf.data.Dataset.from_tensors(images), epochs=1, verbose=0,
                        check_images=False).history
    return {"replicas": replica_gap(model),
            "updated": {name: history[f"{name}_updated"][0]
                        for name in ("decoder", "discriminator")}}


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--gate", action="store_true", help="also the disagreeing-gate step")
    args = parser.parse_args()
    result = {"steps": {case: step(case) for case in args.cases}}
    if args.gate:
        result["disagreeing_gate"] = disagreeing_gate()
    print(json.dumps(result))

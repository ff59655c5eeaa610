"""One worker of a two-worker ``MultiWorkerMirroredStrategy`` over loopback, run by
tests/test_multi_worker.py: TF_CONFIG names the cluster and this worker's index. Each worker
trains a toy VAE-GAN and a toy DCGAN one epoch each (two steps of a global batch of 8), then
the same models on one device from the same initial weights on the same global batches, and
prints the comparisons as JSON."""

import json
import sys

import numpy as np
import tensorflow as tf

from vaegan_tf import get_preset
from vaegan_tf.models import build_model

strategy = tf.distribute.MultiWorkerMirroredStrategy()
PRESETS = {
    "mnist": get_preset("mnist", latent_dim=8, dense_units=16, conv_filters=(8, 16),
                        decoder_filters=8),
    "dcgan-mnist": get_preset("dcgan-mnist", latent_dim=8, dense_units=16,
                              generator_filters=4, discriminator_filters=4),
}


def compiled(preset, weights=None):
    model = build_model(preset, seed=3)
    model.compile(**{f"{name}_optimizer": tf.keras.optimizers.SGD(0.1)
                     for name in model.network_names}, jit_compile=False)
    if weights is not None:
        model.set_weights(weights)
    return model


def compare(preset):
    with strategy.scope():
        distributed = compiled(preset)
    initial = distributed.get_weights()
    images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    # Keras splits each global batch of 8 between the workers in order (worker 0 rows 0-3,
    # worker 1 rows 4-7), as the replicas' draws are split: one device on the same batches
    # matches row for row.
    history = distributed.fit(tf.data.Dataset.from_tensor_slices(images).batch(8), epochs=1,
                              verbose=0, check_images=False).history
    single = compiled(preset, initial)
    one = single.fit(tf.data.Dataset.from_tensor_slices(images).batch(8), epochs=1,
                     verbose=0, check_images=False).history
    return {
        "checksum": float(sum(np.abs(w).sum() for w in distributed.get_weights())),
        "moved": max(float(np.max(np.abs(a - b))) for a, b in zip(
            initial, single.get_weights(), strict=True)),
        "weights": max(float(np.max(np.abs(a - b))) for a, b in zip(
            distributed.get_weights(), single.get_weights(), strict=True)),
        "losses": {key: [history[key][0], one[key][0]] for key in one},
    }


print(json.dumps({"worker": sys.argv[1],
                  "models": {name: compare(preset) for name, preset in PRESETS.items()}}))

"""One worker of a two-worker ``MultiWorkerMirroredStrategy`` over loopback, run by
tests/test_distribute.py: TF_CONFIG names the cluster and this worker's index; each worker
trains the toy VAE-GAN one epoch and prints its final weights' checksum as JSON."""

import json
import sys

import numpy as np
import tensorflow as tf

from vaegan_tf import get_preset
from vaegan_tf.models import build_model

strategy = tf.distribute.MultiWorkerMirroredStrategy()
preset = get_preset("mnist").replace(latent_dim=8, dense_units=16, conv_filters=(8, 16),
                                     decoder_filters=8)
with strategy.scope():
    model = build_model(preset, seed=3)
    model.compile(**{f"{name}_optimizer": tf.keras.optimizers.SGD(0.1)
                     for name in model.network_names}, jit_compile=False)
images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
data = tf.data.Dataset.from_tensor_slices(images).batch(8)
history = model.fit(data, epochs=1, verbose=0, check_images=False).history
print(json.dumps({"worker": sys.argv[1], "checksum": float(sum(
    np.abs(w).sum() for w in model.get_weights())), "loss": history["encoder_loss"][0]}))

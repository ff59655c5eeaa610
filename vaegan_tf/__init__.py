"""vaegan-tf: a Keras 3 / TensorFlow toolkit for VAE-GANs and GANs, starting from a faithful NTUT
port."""

import os

# oneDNN kernels: 263 vs 189 images/s (median) on the train step (benchmarks/train_step.py).
# They only take effect if set before TensorFlow is first imported; a user's own setting wins.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

from vaegan_tf import callbacks, data  # so `vaegan_tf.data.mnist` works after `import vaegan_tf`
from vaegan_tf.adversarial import AdversarialModel
from vaegan_tf.gan import GAN, build_gan
from vaegan_tf.models import MODELS, build_model, optimizers_for
from vaegan_tf.presets import PRESETS, GANPreset, PresetBase, VAEGANPreset, get_preset
from vaegan_tf.vaegan import VAEGAN, adam_optimizers, build_vaegan

__version__ = "0.1.0"

__all__ = [
    "GAN",
    "MODELS",
    "PRESETS",
    "VAEGAN",
    "AdversarialModel",
    "GANPreset",
    "PresetBase",
    "VAEGANPreset",
    "__version__",
    "adam_optimizers",
    "build_gan",
    "build_model",
    "build_vaegan",
    "callbacks",
    "data",
    "get_preset",
    "optimizers_for",
]

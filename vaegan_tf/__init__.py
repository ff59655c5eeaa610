"""vaegan-tf: a Keras 3 / TensorFlow toolkit for VAE-GANs and GANs, starting from a faithful NTUT
port.

Importing the package imports no TensorFlow: the names below load their module on first use
(``vaegan_tf.build_vaegan``, ``vaegan_tf.data.mnist``, ...), so the command line's ``--help``
and argument errors answer at once.
"""

import importlib
import os
from typing import Any

# oneDNN kernels: 263 vs 189 images/s (median) on the train step (benchmarks/train_step.py).
# They only take effect if set before TensorFlow is first imported; a user's own setting wins.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

__version__ = "0.2.0"

_EXPORTS = {
    "vaegan_tf.adversarial": ("AdversarialModel",),
    "vaegan_tf.gan": ("GAN", "build_gan"),
    "vaegan_tf.models": ("MODELS", "build_model", "optimizers_for"),
    "vaegan_tf.optimizers": ("FusedAdam",),
    "vaegan_tf.presets": ("PRESETS", "BEGANPreset", "GANPreset", "InfoGANPreset", "LarsenPreset",
                          "PresetBase",
                          "VAEGANPreset", "VAEPreset", "get_preset"),
    "vaegan_tf.vaegan": ("VAEGAN", "adam_optimizers", "build_vaegan"),
    "vaegan_tf.vae": ("VAE", "build_vae"),
    "vaegan_tf.began": ("BEGAN", "build_began"),
    "vaegan_tf.larsen": ("LarsenVAEGAN", "build_larsen"),
    "vaegan_tf.infogan": ("InfoGAN", "build_infogan"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
_SUBPACKAGES = ("callbacks", "data")


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"vaegan_tf.{name}")
    if name in _MODULE_OF:
        return getattr(importlib.import_module(_MODULE_OF[name]), name)
    raise AttributeError(f"module 'vaegan_tf' has no attribute {name!r}")


__all__ = sorted([*_MODULE_OF, *_SUBPACKAGES, "__version__"])

"""Input pipelines: ``tf.data`` datasets in the value range a model preset expects.

The names load their module on first use, so ``vaegan_tf.data.LFW_MINI`` and
``MNIST_SHAPE`` cost no TensorFlow import (the command line's option defaults use them).
"""

import importlib
from typing import Any

LFW_MINI = "lfw-mini"
"""``--data lfw-mini``: the 100 LFW face crops scikit-image ships (a smoke dataset)."""
MNIST_SHAPE = (28, 28, 1)
"""(height, width, channels) of an MNIST image as the pipelines and models see it."""

_EXPORTS = {
    "vaegan_tf.data.face_images": (
        "ImageSplit", "attribute_rows", "celeba_attributes", "image_folder", "lfw_mini",
        "list_images", "load_faces", "prepare_image", "split_image_folder"),
    "vaegan_tf.data.mnist_loader": ("MnistArrays", "arrays_dataset", "load_mnist",
                                    "locate_mnist", "mnist"),
    "vaegan_tf.data.user_arrays": ("idx_folder_splits", "npz_splits", "read_idx",
                                   "user_datasets"),
    "vaegan_tf.data.pipeline": ("EpochShuffle", "scale_images", "split_indices",
                                "validation_count", "with_epoch_shuffle"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    if name in _MODULE_OF:
        return getattr(importlib.import_module(_MODULE_OF[name]), name)
    raise AttributeError(f"module 'vaegan_tf.data' has no attribute {name!r}")


__all__ = sorted([*_MODULE_OF, "LFW_MINI", "MNIST_SHAPE"])

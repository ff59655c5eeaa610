"""FID and KID for RGB images on InceptionV3 pool features, from locally available weights.

The ImageNet weights are never downloaded here: they are looked up in the Keras cache
(``$KERAS_HOME/models/``, default ``~/.keras/models/``), where ``keras.applications`` leaves
them after a download on a machine with internet access.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from vaegan_tf.metrics import scores
from vaegan_tf.metrics.classifier import file_sha256
from vaegan_tf.plotting import to_unit_range

INCEPTION_SIZE = 299
NOTOP_WEIGHTS = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
NOTOP_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/" + NOTOP_WEIGHTS
)


def imagenet_weights_path() -> Path:
    """Where the Keras cache keeps InceptionV3's no-top ImageNet weights."""
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home) / "models" / NOTOP_WEIGHTS


def _resolve_weights(weights: str | os.PathLike | None) -> Path | None:
    if weights is None:
        return None
    path = imagenet_weights_path() if weights == "imagenet" else Path(weights)
    if not path.is_file():
        raise FileNotFoundError(
            f"InceptionV3 weights not found at {path}. On a machine with internet access, "
            f"download {NOTOP_URL} (or run keras.applications.InceptionV3(include_top=False)) "
            f"and copy the file to {imagenet_weights_path()}, or pass weights=PATH."
        )
    return path


@functools.lru_cache(maxsize=2)
def _inception(weights_path: Path | None) -> keras.Model:
    model = keras.applications.InceptionV3(
        include_top=False, weights=None, pooling="avg",
        input_shape=(INCEPTION_SIZE, INCEPTION_SIZE, 3),
    )
    if weights_path is not None:
        model.load_weights(weights_path)
    return model


def inception_features(
    images: np.ndarray,
    value_range: tuple[float, float] = (-1.0, 1.0),
    weights: str | os.PathLike | None = "imagenet",
    batch_size: int = 50,
) -> np.ndarray:
    """2048-d average-pool features of InceptionV3 for (N, H, W, 1 or 3) images.

    Images are mapped to [-1, 1] (InceptionV3's preprocessing), gray is repeated to RGB, and
    each batch is resized bilinearly to 299×299.

    Args:
        images: Images in ``value_range``.
        value_range: Their pixel range.
        weights: ``"imagenet"`` (from the Keras cache; never downloaded), a weights file, or
            None for random weights (tests only: such features mean nothing).
        batch_size: Images per forward pass.

    Raises:
        FileNotFoundError: the weights file is missing; the message says where to put it.
    """
    model = _inception(_resolve_weights(weights))
    images = to_unit_range(images, value_range) * 2.0 - 1.0
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    features = []
    for start in range(0, len(images), batch_size):
        batch = tf.image.resize(images[start:start + batch_size],
                                (INCEPTION_SIZE, INCEPTION_SIZE), method="bilinear")
        features.append(np.asarray(model(batch, training=False)))
    return np.concatenate(features)


def inception_scores(
    images: np.ndarray,
    reference_images: np.ndarray,
    value_range: tuple[float, float] = (-1.0, 1.0),
    weights: str | os.PathLike | None = "imagenet",
    reference_name: str = "reference",
    seed: int = 0,
) -> dict[str, Any]:
    """FID and KID (cubic kernel, unbiased) between two image sets on InceptionV3 features.

    Biases: FID falls with more samples (compare only at equal counts; 10 000+ is the usual
    protocol, and a few hundred faces give a large, noisy FID); both scores reflect ImageNet
    features, which weigh textures heavily.
    """
    weights_path = _resolve_weights(weights)
    features = inception_features(images, value_range, weights)
    reference = inception_features(reference_images, value_range, weights)
    kid, kid_std = scores.kernel_inception_distance(
        features, reference, subsets=100, subset_size=1000, seed=seed)
    return {
        "fid": scores.frechet_distance(scores.feature_statistics(features),
                                       scores.feature_statistics(reference)),
        "kid": kid,
        "kid_std": kid_std,
        "protocol": {
            "samples": len(images),
            "reference": reference_name,
            "reference_samples": len(reference_images),
            "feature_extractor": "keras.applications.InceptionV3 avg-pool (2048-d), 299x299",
            "weights": str(weights_path) if weights_path else "random (weights=None)",
            "weights_sha256": file_sha256(weights_path) if weights_path else None,
            "kid": {"kernel": "cubic polynomial", "subsets": 100, "subset_size": 1000},
        },
    }

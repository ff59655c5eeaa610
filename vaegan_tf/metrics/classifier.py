"""The small MNIST classifier whose outputs and features the MNIST metrics are computed on.

Its weights ship inside the package (``weights/mnist_classifier.weights.h5``, under 1 MB),
trained by ``scripts/train_mnist_classifier.py``; ``weights/mnist_classifier.json`` records
its test accuracy, the command and the file's SHA-256.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import keras

from vaegan_tf.data import MNIST_SHAPE

WEIGHTS_FILE = "mnist_classifier.weights.h5"
RECORD_FILE = "mnist_classifier.json"
FEATURES_LAYER = "features"
FEATURE_DIM = 128


def weights_directory() -> Path:
    """The package folder that holds the shipped classifier weights and their record."""
    return Path(str(resources.files("vaegan_tf.metrics") / "weights"))


def build_mnist_classifier() -> keras.Model:
    """An untrained classifier: 28×28×1 images in [0, 1] → 10 logits.

    Two 3×3 conv pairs with max-pooling, then a 128-unit ReLU layer named ``features`` (the
    penultimate features used for MNIST-FID/KID), dropout 0.3 and the 10-way output; ~0.2 M
    parameters.
    """
    inputs = keras.Input(MNIST_SHAPE, name="image")
    x = inputs
    for filters in (32, 64):
        x = keras.layers.Conv2D(filters, 3, activation="relu")(x)
        x = keras.layers.Conv2D(filters, 3, activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    features = keras.layers.Dense(FEATURE_DIM, activation="relu", name=FEATURES_LAYER)(x)
    x = keras.layers.Dropout(0.3)(features)
    logits = keras.layers.Dense(10, name="logits")(x)
    return keras.Model(inputs, logits, name="mnist_classifier")


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def mnist_classifier() -> keras.Model:
    """The shipped classifier as a model with two outputs: ``[probabilities, features]``.

    Raises:
        FileNotFoundError: the weights file is missing (run
            ``scripts/train_mnist_classifier.py`` to recreate it).
    """
    path = weights_directory() / WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing; recreate it with scripts/train_mnist_classifier.py"
        )
    classifier = build_mnist_classifier()
    classifier.load_weights(path)
    probabilities = keras.layers.Softmax()(classifier.output)
    return keras.Model(
        classifier.input,
        [probabilities, classifier.get_layer(FEATURES_LAYER).output],
        name="mnist_classifier_with_features",
    )


def classifier_record() -> dict[str, Any]:
    """The shipped weights' record: test accuracy, command, SHA-256 (see the module doc)."""
    return json.loads((weights_directory() / RECORD_FILE).read_text())

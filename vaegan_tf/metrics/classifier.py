"""The small classifiers whose outputs and features the sample-quality scores are computed on.

One ships inside the package per dataset (``weights/NAME_classifier.weights.h5``, each under
1 MB): ``mnist`` (trained by ``scripts/train_mnist_classifier.py``) and ``fashion_mnist``
(``vaegan-tf train-classifier``). ``weights/NAME_classifier.json`` records each one's test
accuracy, the command that made it and the weights file's SHA-256, which is checked on load.
``vaegan-tf train-classifier --data ...`` makes the same pair for any labelled dataset; the
scores it gives are named after it (``NAME_fid``, ``NAME_kid``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import keras

from vaegan_tf.data import MNIST_SHAPE

FEATURES_LAYER = "features"
FEATURE_DIM = 128
SHIPPED = ("mnist", "fashion_mnist")
"""The classifiers shipped in the package, by name."""


def weights_file(name: str) -> str:
    return f"{name}_classifier.weights.h5"


def record_file(name: str) -> str:
    return f"{name}_classifier.json"


def weights_directory() -> Path:
    """The package folder that holds the shipped classifier weights and their records."""
    return Path(str(resources.files("vaegan_tf.metrics") / "weights"))


def build_classifier(image_shape: tuple[int, int, int] = MNIST_SHAPE, classes: int = 10,
                     name: str = "mnist_classifier") -> keras.Model:
    """An untrained classifier: images in [0, 1] → ``classes`` logits.

    Two 3×3 conv pairs with max-pooling, then a 128-unit ReLU layer named ``features`` (the
    penultimate features FID/KID use), dropout 0.3 and the output; ~0.2 M parameters at
    28×28.
    """
    inputs = keras.Input(image_shape, name="image")
    x = inputs
    for filters in (32, 64):
        x = keras.layers.Conv2D(filters, 3, activation="relu")(x)
        x = keras.layers.Conv2D(filters, 3, activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    features = keras.layers.Dense(FEATURE_DIM, activation="relu", name=FEATURES_LAYER)(x)
    x = keras.layers.Dropout(0.3)(features)
    logits = keras.layers.Dense(classes, name="logits")(x)
    return keras.Model(inputs, logits, name=name)


def build_mnist_classifier() -> keras.Model:
    """``build_classifier()`` at MNIST's shape and 10 classes."""
    return build_classifier()


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclasses.dataclass(frozen=True)
class Classifier:
    """A trained classifier for scoring samples.

    Attributes:
        name: Names the scores (``NAME_fid``, ``NAME_kid``) and the files.
        model: Images in [0, 1] → ``[probabilities, features]``.
        record: Its JSON record (test accuracy, command, ``sha256``, ``image_shape``, ...).
    """

    name: str
    model: keras.Model
    record: dict[str, Any]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.model.input_shape[1:])

    @property
    def classes(self) -> int:
        return int(self.model.output_shape[0][-1])

    @property
    def sha256(self) -> str:
        return self.record["sha256"]


def load_classifier(directory: str | Path, name: str) -> Classifier:
    """The classifier ``NAME`` saved in ``directory`` by ``save_classifier``.

    Raises:
        FileNotFoundError: its weights or record is missing.
        ValueError: the weights file's SHA-256 is not the one its record holds (another or a
            damaged file: its scores would not be comparable).
    """
    directory = Path(directory)
    weights, record_path = directory / weights_file(name), directory / record_file(name)
    for path in (weights, record_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing; train the classifier with "
                                    "vaegan-tf train-classifier (or, for mnist, "
                                    "scripts/train_mnist_classifier.py)")
    record = json.loads(record_path.read_text())
    if file_sha256(weights) != record.get("sha256"):
        raise ValueError(f"{weights} does not match the SHA-256 in {record_path}: another "
                         "or a damaged weights file")
    image_shape = tuple(record.get("image_shape", MNIST_SHAPE))
    network = build_classifier(image_shape, int(record.get("classes", 10)),
                               f"{name}_classifier")
    network.load_weights(weights)
    probabilities = keras.layers.Softmax()(network.output)
    model = keras.Model(network.input,
                        [probabilities, network.get_layer(FEATURES_LAYER).output],
                        name=f"{name}_classifier_with_features")
    return Classifier(name, model, record)


@functools.lru_cache(maxsize=4)
def shipped_classifier(name: str = "mnist") -> Classifier:
    """A classifier shipped in the package (``SHIPPED``)."""
    if name not in SHIPPED:
        raise ValueError(f"No shipped classifier {name!r}; shipped: {', '.join(SHIPPED)}")
    return load_classifier(weights_directory(), name)


def find_classifier(spec: str) -> Classifier:
    """A shipped classifier by name (``fashion_mnist``), or ``DIR/NAME`` for one that
    ``vaegan-tf train-classifier --out DIR --name NAME`` saved."""
    if spec in SHIPPED:
        return shipped_classifier(spec)
    path = Path(spec)
    return load_classifier(path.parent, path.name)


def mnist_classifier() -> keras.Model:
    """The shipped MNIST classifier as a model with two outputs: ``[probabilities, features]``.

    Raises:
        FileNotFoundError: the weights file is missing (run
            ``scripts/train_mnist_classifier.py`` to recreate it).
    """
    return shipped_classifier("mnist").model


def classifier_record(name: str = "mnist") -> dict[str, Any]:
    """A shipped classifier's record: test accuracy, command, SHA-256 (see the module doc)."""
    return json.loads((weights_directory() / record_file(name)).read_text())


def save_classifier(network: keras.Model, directory: str | Path, name: str,
                    record: dict[str, Any]) -> Path:
    """Writes ``network``'s weights (no optimizer state) as ``NAME_classifier.weights.h5`` and
    ``record`` with the file's size and SHA-256 as ``NAME_classifier.json`` in ``directory``;
    returns the record's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    weights = directory / weights_file(name)
    shipped = keras.Model.from_config(network.get_config())  # uncompiled: no optimizer state
    shipped.set_weights(network.get_weights())
    shipped.save_weights(weights)
    record = {"name": name, **record, "weights_file": weights.name,
              "weights_bytes": weights.stat().st_size, "sha256": file_sha256(weights),
              "keras_version": keras.__version__}
    path = directory / record_file(name)
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def train_classifier(train: Any, test: Any, image_shape: tuple[int, int, int], classes: int,
                     name: str, out: str | Path, record: dict[str, Any], epochs: int = 4,
                     learning_rate: float = 1e-3, min_accuracy: float = 0.0
                     ) -> dict[str, Any] | None:
    """Trains ``build_classifier`` on ``train`` (batches of ``(images in [0, 1], labels)``),
    measures its accuracy on ``test`` and, unless it is below ``min_accuracy``, saves it with
    ``save_classifier`` as ``NAME`` in ``out``, ``record`` (what data, what command) merged
    into its JSON record. Returns that record, or None when the accuracy was too low."""
    network = build_classifier(image_shape, classes, f"{name}_classifier")
    network.compile(optimizer=keras.optimizers.Adam(learning_rate),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=["accuracy"])
    network.fit(train, epochs=epochs, verbose=2, shuffle=False)
    _, accuracy = network.evaluate(test, verbose=0)
    test_images = sum(int(images.shape[0]) for images, _ in test)
    print(f"test accuracy {accuracy:.4f} on {test_images} images after {epochs} epochs")
    if accuracy < min_accuracy:
        return None
    path = save_classifier(network, out, name, {
        **record, "image_shape": list(image_shape), "classes": classes,
        "test_accuracy": round(float(accuracy), 6), "test_images": test_images,
        "parameters": network.count_params()})
    return json.loads(path.read_text())

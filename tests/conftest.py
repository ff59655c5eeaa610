"""Shared fixtures. Tests never touch the network: MNIST comes from local sources only."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest

import vaegan_tf  # noqa: F401  (sets TF_ENABLE_ONEDNN_OPTS before TensorFlow loads)


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(1234)


@pytest.fixture
def mnist_like_batch() -> np.ndarray:
    """Eight 28x28x1 images in [-1, 1]."""
    return np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")


def prepare_tfds_dataset(data_dir, name: str, version: str, train: int, test: int,
                         brightness: int = 10) -> None:
    """Prepares a TFDS dataset ``name`` (28×28×1 images of brightness ``brightness × label``,
    labels 0-9) in ``data_dir``, without any download."""
    import tensorflow_datasets as tfds

    class LocalDataset(tfds.core.GeneratorBasedBuilder, skip_registration=True):
        VERSION = tfds.core.Version(version)

        def _info(self):
            return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(28, 28, 1)),
                "label": tfds.features.ClassLabel(num_classes=10)}))

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples(train),
                    "test": self._generate_examples(test)}

        def _generate_examples(self, count):
            for index in range(count):
                yield index, {"image": np.full((28, 28, 1), brightness * (index % 10), np.uint8),
                              "label": index % 10}

    LocalDataset.name = name  # TFDS names a builder after its class unless told
    LocalDataset(data_dir=str(data_dir)).download_and_prepare()

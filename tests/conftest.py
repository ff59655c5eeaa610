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

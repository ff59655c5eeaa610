"""Scoring generated images: the MNIST metric suite, and sampling a model for it.

Every result carries its protocol (sample count, reference set, feature extractor and the
SHA-256 of its weights), because a score without its protocol cannot be compared.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from vaegan_tf.data import MNIST_SHAPE, load_mnist
from vaegan_tf.metrics import scores
from vaegan_tf.metrics.classifier import (
    WEIGHTS_FILE,
    file_sha256,
    mnist_classifier,
    weights_directory,
)
from vaegan_tf.plotting import to_unit_range

FAIR_SHARE_FRACTION = 0.5
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
IS_SPLITS = 10


def classify_mnist(images: np.ndarray, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities (N, 10) and penultimate features (N, 128) of 28×28×1 images in
    [0, 1] from the shipped MNIST classifier."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1:] != MNIST_SHAPE:
        raise ValueError(f"Expected MNIST images of shape (N, 28, 28, 1), got {images.shape}")
    probabilities, features = mnist_classifier().predict(images, batch_size=batch_size,
                                                         verbose=0)
    return probabilities, features


@functools.lru_cache(maxsize=2)
def mnist_reference(split: str = "test") -> dict[str, Any]:
    """Features, their statistics and the class probabilities of a real MNIST split."""
    images = load_mnist(split).images[..., np.newaxis].astype(np.float32) / 255.0
    probabilities, features = classify_mnist(images)
    return {
        "name": f"mnist:{split}",
        "count": len(images),
        "features": features,
        "statistics": scores.feature_statistics(features),
        "probabilities": probabilities,
    }


def mnist_protocol(samples: int, reference: str) -> dict[str, Any]:
    return {
        "samples": samples,
        "reference": reference,
        "feature_extractor": "vaegan_tf mnist_classifier (penultimate 128-d ReLU features)",
        "weights_sha256": file_sha256(weights_directory() / WEIGHTS_FILE),
        "mode_coverage_fair_share_fraction": FAIR_SHARE_FRACTION,
        "kid": {"kernel": "cubic polynomial", "subsets": KID_SUBSETS,
                "subset_size": KID_SUBSET_SIZE},
        "inception_score_splits": IS_SPLITS,
    }


def mnist_scores(
    images: np.ndarray,
    value_range: tuple[float, float] = (-1.0, 1.0),
    reference_split: str = "test",
    seed: int = 0,
    classes: np.ndarray | None = None,
) -> dict[str, Any]:
    """The MNIST metric suite for generated digits.

    Args:
        images: (N, 28, 28, 1) images in ``value_range``.
        value_range: Pixel range of ``images`` (a model's ``data_range``).
        reference_split: The real digits FID/KID compare against (``"test"``: the 10k test
            digits; ``"train"`` for the floor computed against the test set).
        seed: Seed of KID's subset draws.
        classes: The class each image was conditioned on (class-conditional models): adds
            ``class_match`` and ``class_match_per_class`` (see ``class_match``).

    Returns:
        ``mode_coverage`` (classes with at least half their fair share), ``kl_to_uniform``
        (nats), ``inception_score`` (+ ``_std``), ``mnist_fid``, ``mnist_kid`` (+ ``_std``),
        ``class_counts`` and ``protocol``.
    """
    probabilities, features = classify_mnist(to_unit_range(images, value_range))
    reference = mnist_reference(reference_split)
    counts = scores.class_histogram(probabilities)
    inception, inception_std = scores.inception_score(probabilities, IS_SPLITS)
    kid, kid_std = scores.kernel_inception_distance(
        features, reference["features"], KID_SUBSETS, KID_SUBSET_SIZE, seed)
    return {
        **({} if classes is None else class_match(probabilities, classes)),
        "mode_coverage": scores.mode_coverage(counts, FAIR_SHARE_FRACTION),
        "kl_to_uniform": scores.kl_to_uniform(counts),
        "inception_score": inception,
        "inception_score_std": inception_std,
        "mnist_fid": scores.frechet_distance(
            scores.feature_statistics(features), reference["statistics"]),
        "mnist_kid": kid,
        "mnist_kid_std": kid_std,
        "class_counts": counts.tolist(),
        "protocol": mnist_protocol(len(images), reference["name"]),
    }


def sample_classes(model: Any, samples: int) -> np.ndarray | None:
    """The classes a class-conditional model's ``samples`` are conditioned on (0, 1, ..., 9,
    0, 1, ...: equal shares), or None for other models."""
    return np.arange(samples) % model.num_classes if model.num_classes else None


def generate(model: Any, samples: int, seed: int = 0, batch_size: int = 500) -> np.ndarray:
    """``samples`` prior samples from a model as a NumPy array in its data range; a
    class-conditional model's sample ``i`` is of class ``sample_classes(model, samples)[i]``.

    Batch ``i`` uses seed ``seed + i``, so the same model, count and seed give the same images.
    """
    classes = sample_classes(model, samples)
    batches = []
    for index, start in enumerate(range(0, samples, batch_size)):
        stop = min(start + batch_size, samples)
        batches.append(np.asarray(model.sample(
            stop - start, seed=seed + index,
            conditions=None if classes is None else classes[start:stop])))
    return np.concatenate(batches)


def class_match(probabilities: np.ndarray, classes: np.ndarray) -> dict[str, Any]:
    """The share of samples the classifier assigns to the class they were conditioned on,
    overall and per class."""
    predicted = np.argmax(probabilities, axis=-1)
    per_class = [float(np.mean(predicted[classes == label] == label))
                 for label in range(int(classes.max()) + 1)]
    return {"class_match": float(np.mean(predicted == classes)),
            "class_match_per_class": per_class}


def score_mnist_model(model: Any, samples: int = 10000, seed: int = 0) -> dict[str, Any]:
    """``mnist_scores`` of ``samples`` prior samples of a model trained on MNIST; for a
    class-conditional model also ``class_match``."""
    result = mnist_scores(generate(model, samples, seed), model.data_range, seed=seed,
                          classes=sample_classes(model, samples))
    result["protocol"]["sample_seed"] = seed
    return result

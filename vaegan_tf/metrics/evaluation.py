"""Scoring generated images: the metric suite on a classifier's outputs and features (the
shipped MNIST one by default, or one trained for the user's data), and sampling a model.

Every result carries its protocol (sample count, reference set, feature extractor and the
SHA-256 of its weights), because a score without its protocol cannot be compared.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from vaegan_tf.data import load_mnist
from vaegan_tf.metrics import scores
from vaegan_tf.metrics.classifier import Classifier, shipped_classifier
from vaegan_tf.plotting import to_unit_range

FAIR_SHARE_FRACTION = 0.5
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
IS_SPLITS = 10


def classify(images: np.ndarray, classifier: Classifier | None = None,
             batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities (N, K) and penultimate features (N, 128) of images in [0, 1] from
    ``classifier`` (default: the shipped MNIST classifier)."""
    classifier = classifier or shipped_classifier("mnist")
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1:] != classifier.image_shape:
        raise ValueError(f"The {classifier.name} classifier takes images of shape (N, "
                         f"{', '.join(map(str, classifier.image_shape))}), got {images.shape}")
    probabilities, features = classifier.model.predict(images, batch_size=batch_size,
                                                       verbose=0)
    return probabilities, features


def classify_mnist(images: np.ndarray, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """``classify`` with the shipped MNIST classifier."""
    return classify(images, None, batch_size)


def reference_set(images: np.ndarray, name: str, classifier: Classifier | None = None
                  ) -> dict[str, Any]:
    """Features, their statistics and the class probabilities of real ``images`` in [0, 1]
    (what FID and KID compare samples with), called ``name`` in the protocol."""
    probabilities, features = classify(images, classifier)
    return {
        "name": name,
        "count": len(images),
        "features": features,
        "statistics": scores.feature_statistics(features),
        "probabilities": probabilities,
    }


def first_images(dataset: Any, count: int, value_range: tuple[float, float]) -> np.ndarray:
    """The first ``count`` images of a batched dataset (of images, or of ``(images,
    labels)``) in ``value_range``, mapped to [0, 1]."""
    batches, held = [], 0
    for batch in dataset:
        images = np.asarray(batch[0] if isinstance(batch, tuple) else batch)
        batches.append(images)
        held += len(images)
        if held >= count:
            break
    if not batches:
        raise ValueError("the dataset holds no images (fewer than one batch?)")
    return to_unit_range(np.concatenate(batches)[:count], value_range)


REFERENCE_IMAGES = 10000
"""Real images a reference set built from a dataset holds at most."""


def validation_reference(classifier: Classifier, validation: Any,
                         value_range: tuple[float, float], source: str) -> dict[str, Any]:
    """``reference_set`` of the first ``REFERENCE_IMAGES`` images of a validation dataset
    (pixels in ``value_range``), named ``validation:SOURCE`` in the protocol: what the
    scores of a user's classifier compare samples with."""
    return reference_set(first_images(validation, REFERENCE_IMAGES, value_range),
                         f"validation:{source}", classifier)


@functools.lru_cache(maxsize=2)
def mnist_reference(split: str = "test") -> dict[str, Any]:
    """``reference_set`` of a real MNIST split."""
    images = load_mnist(split).images[..., np.newaxis].astype(np.float32) / 255.0
    return reference_set(images, f"mnist:{split}")


def protocol(samples: int, reference: dict[str, Any], classifier: Classifier,
             seed: int) -> dict[str, Any]:
    """What a score was computed on and how; with it, two scores can be compared."""
    return {
        "samples": samples,
        "reference": reference["name"],
        "reference_count": reference["count"],
        "feature_extractor": f"vaegan_tf {classifier.name}_classifier (penultimate 128-d "
                             "ReLU features)",
        "weights_sha256": classifier.sha256,
        "mode_coverage_fair_share_fraction": FAIR_SHARE_FRACTION,
        "kid": {"kernel": "cubic polynomial", "subsets": KID_SUBSETS,
                "subset_size": scores.kid_subset_size(samples, reference["count"],
                                                      KID_SUBSET_SIZE),
                "subset_size_requested": KID_SUBSET_SIZE, "seed": seed},
        "inception_score_splits": IS_SPLITS,
        "inception_score_shuffle_seed": seed,
    }


def sample_scores(
    images: np.ndarray,
    value_range: tuple[float, float] = (-1.0, 1.0),
    reference: dict[str, Any] | None = None,
    classifier: Classifier | None = None,
    seed: int = 0,
    classes: np.ndarray | None = None,
    code_values: np.ndarray | None = None,
) -> dict[str, Any]:
    """The metric suite for generated images, on ``classifier``'s outputs and features.

    Args:
        images: (N, H, W, C) images in ``value_range``, at the classifier's shape.
        value_range: Pixel range of ``images`` (a model's ``data_range``).
        reference: The real images' ``reference_set`` (default: the 10k MNIST test digits).
        classifier: Default: the shipped MNIST classifier.
        seed: Seed of KID's subset draws and of the shuffle before the IS splits.
        classes: The class each image was conditioned on (class-conditional models): adds
            ``class_match`` and ``class_match_per_class`` (see ``class_match``).
        code_values: The categorical code value of each image (InfoGAN): adds
            ``code_accuracy``, ``code_to_class`` and ``code_class_counts`` (see
            ``code_accuracy``).

    Returns:
        ``mode_coverage`` (classes with at least half their fair share), ``kl_to_uniform``
        (nats), ``inception_score`` (+ ``_std``), ``NAME_fid``, ``NAME_kid`` (+ ``_std``;
        NAME is the classifier's: ``mnist_fid``), ``class_counts`` and ``protocol``.
    """
    classifier = classifier or shipped_classifier("mnist")
    reference = reference if reference is not None else mnist_reference("test")
    probabilities, features = classify(to_unit_range(images, value_range), classifier)
    counts = scores.class_histogram(probabilities)
    inception, inception_std = scores.inception_score(probabilities, IS_SPLITS, seed)
    kid, kid_std = scores.kernel_inception_distance(
        features, reference["features"], KID_SUBSETS, KID_SUBSET_SIZE, seed)
    name = classifier.name
    return {
        **({} if classes is None else class_match(probabilities, classes)),
        **({} if code_values is None else code_accuracy(probabilities, code_values)),
        "mode_coverage": scores.mode_coverage(counts, FAIR_SHARE_FRACTION),
        "kl_to_uniform": scores.kl_to_uniform(counts),
        "inception_score": inception,
        "inception_score_std": inception_std,
        f"{name}_fid": scores.frechet_distance(
            scores.feature_statistics(features), reference["statistics"]),
        f"{name}_kid": kid,
        f"{name}_kid_std": kid_std,
        "class_counts": counts.tolist(),
        "protocol": protocol(len(images), reference, classifier, seed),
    }


def mnist_scores(
    images: np.ndarray,
    value_range: tuple[float, float] = (-1.0, 1.0),
    reference_split: str = "test",
    seed: int = 0,
    classes: np.ndarray | None = None,
    code_values: np.ndarray | None = None,
) -> dict[str, Any]:
    """``sample_scores`` for generated digits against a real MNIST split (``"test"``: the
    10k test digits; ``"train"`` for the floor computed against the test set)."""
    return sample_scores(images, value_range, mnist_reference(reference_split), None, seed,
                         classes, code_values)


def sample_classes(model: Any, samples: int) -> np.ndarray | None:
    """The classes a class-conditional model's ``samples`` are conditioned on, or the values
    of an InfoGAN's categorical code (0, 1, ..., K − 1, 0, 1, ...: equal shares); None for
    other models."""
    values = model.num_classes or model.categorical_dim
    return np.arange(samples) % values if values else None


def sample_labels(model: Any, samples: int) -> dict[str, np.ndarray | None]:
    """``sample_scores``' ``classes`` (a class-conditional model's) and ``code_values`` (an
    InfoGAN's) of ``samples`` samples that ``generate`` draws: at most one is not None."""
    values = sample_classes(model, samples)
    conditional = bool(model.num_classes)
    return {"classes": values if conditional else None,
            "code_values": None if conditional else values}


MAX_SAMPLE_BYTES = 2 * 2**30
"""The most sample memory ``generate`` holds (100 000 MNIST digits take 0.3 GiB)."""


def generate(model: Any, samples: int, seed: int = 0, batch_size: int = 500) -> np.ndarray:
    """``samples`` prior samples from a model as a NumPy array in its data range; a
    class-conditional model's sample ``i`` is of class ``sample_classes(model, samples)[i]``.

    Batch ``i`` uses seed ``seed + i``, so the same model, count and seed give the same images.

    Raises:
        ValueError: the samples would take more than ``MAX_SAMPLE_BYTES`` (after one batch).
    """
    classes = sample_classes(model, samples)
    batches = []
    for index, start in enumerate(range(0, samples, batch_size)):
        stop = min(start + batch_size, samples)
        batches.append(np.asarray(model.sample(
            stop - start, seed=seed + index,
            conditions=None if classes is None else classes[start:stop])))
        needed = samples * batches[0][0].nbytes
        if needed > MAX_SAMPLE_BYTES:
            raise ValueError(f"{samples:,} samples of {batches[0].shape[1:]} would take "
                             f"{needed / 2**30:.1f} GiB; at most {MAX_SAMPLE_BYTES // 2**30} GiB "
                             "of samples are held in memory: draw fewer")
    return np.concatenate(batches)


def code_accuracy(probabilities: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    """How well a categorical latent code captured the classes: the share of samples whose
    predicted class is the one their code value maps to, under the best one-to-one mapping of
    code values to classes (the Hungarian method on the values × classes counts), that
    mapping (``code_to_class``, by value) and the counts (``code_class_counts``: row = code
    value, column = predicted class), which show what a value that missed its class drew.

    Example:
        >>> code_accuracy(np.eye(3)[[2, 2, 0, 1]], np.array([0, 0, 1, 2]))["code_accuracy"]
        1.0
    """
    from scipy.optimize import linear_sum_assignment

    predicted = np.argmax(probabilities, axis=-1)
    counts = np.zeros((int(values.max()) + 1, probabilities.shape[-1]), np.int64)
    np.add.at(counts, (values, predicted), 1)
    rows, columns = linear_sum_assignment(counts, maximize=True)
    mapping = dict(zip(rows.tolist(), columns.tolist(), strict=True))
    return {"code_accuracy": float(counts[rows, columns].sum() / len(values)),
            "code_to_class": [mapping.get(value) for value in range(counts.shape[0])],
            "code_class_counts": counts.tolist()}


def class_match(probabilities: np.ndarray, classes: np.ndarray) -> dict[str, Any]:
    """The share of samples the classifier assigns to the class they were conditioned on,
    overall and per class."""
    predicted = np.argmax(probabilities, axis=-1)
    per_class = [float(np.mean(predicted[classes == label] == label))
                 for label in range(int(classes.max()) + 1)]
    return {"class_match": float(np.mean(predicted == classes)),
            "class_match_per_class": per_class}


def score_model(model: Any, samples: int = 10000, seed: int = 0,
                classifier: Classifier | None = None,
                reference: dict[str, Any] | None = None) -> dict[str, Any]:
    """``sample_scores`` of ``samples`` prior samples of a model (default classifier and
    reference: MNIST's); for a class-conditional model also ``class_match``, for a model with
    a categorical code ``code_accuracy``."""
    result = sample_scores(generate(model, samples, seed), model.data_range, reference,
                           classifier, seed, **sample_labels(model, samples))
    result["protocol"]["sample_seed"] = seed
    return result

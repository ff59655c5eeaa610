"""Sample-quality scores as NumPy functions of class probabilities or feature vectors.

Each function documents what it measures and its known biases. They take arrays, so they work
on any classifier or feature extractor (the shipped MNIST classifier, InceptionV3, ...).
"""

from __future__ import annotations

import numpy as np


def class_histogram(probabilities: np.ndarray) -> np.ndarray:
    """How many samples the classifier assigns to each class (argmax), shape (classes,).

    Biases: a classifier confident on garbage still assigns every sample a class, so a
    histogram can look balanced while the samples are poor; read it with FID/KID.
    """
    probabilities = np.asarray(probabilities)
    return np.bincount(np.argmax(probabilities, axis=1), minlength=probabilities.shape[1])


def mode_coverage(counts: np.ndarray, fair_share_fraction: float = 0.5) -> int:
    """Number of classes that receive at least ``fair_share_fraction`` of their fair share.

    With N samples and K classes the fair share is N/K; the default counts a class as covered
    when it gets at least half of that (5 % of the samples for MNIST). A model that never makes
    a class scores below K even if it makes everything else well; a model making one digit
    scores 1.

    Biases: depends on N (small N gives noisy counts) and on the threshold.
    """
    counts = np.asarray(counts)
    fair_share = counts.sum() / len(counts)
    return int(np.sum(counts >= fair_share_fraction * fair_share))


def kl_to_uniform(counts: np.ndarray) -> float:
    """KL(histogram ‖ uniform) in nats: 0 for perfectly balanced classes, ln K for one class.

    Biases: with N samples, sampling noise alone gives about (K − 1) / (2N) nats (4.5e-4 for
    10 classes and 10 000 samples), so values of that order mean "balanced".
    """
    counts = np.asarray(counts, dtype=np.float64)
    share = counts / counts.sum()
    present = share > 0
    return float(np.sum(share[present] * np.log(share[present] * len(counts))))


def inception_score(
    probabilities: np.ndarray, splits: int = 10, seed: int | None = 0
) -> tuple[float, float]:
    """exp(E_x KL(p(y|x) ‖ p(y))), mean and standard deviation over ``splits`` equal parts.

    The samples are shuffled (``seed``; None keeps their order) before the split: a folder
    of images sorted by class would otherwise put one class in each part (IS 1.3 instead of
    9.7 for real digits).

    High when each sample is classified confidently and the classes are balanced; at most K
    (10 for MNIST).

    Biases: blind to within-class diversity and to the real data (a model that emits one perfect
    image per class scores the maximum); depends on the classifier and on the split size.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if seed is not None:
        probabilities = probabilities[np.random.default_rng(seed).permutation(len(probabilities))]
    scores = []
    for part in np.array_split(probabilities, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(part * (np.log(part + 1e-12) - np.log(marginal + 1e-12)), axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (unbiased, float64) of (N, D) features."""
    features = np.asarray(features, dtype=np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(
    statistics_a: tuple[np.ndarray, np.ndarray], statistics_b: tuple[np.ndarray, np.ndarray]
) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (FID when the features are
    InceptionV3's pool features): ‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^½).

    Biases: biased upwards for finite N (fewer samples → larger FID), so only compare scores
    computed with the same sample count; assumes Gaussian features; depends entirely on the
    feature extractor (MNIST-FID numbers are not comparable with Inception FID numbers).
    """
    mean_a, cov_a = statistics_a
    mean_b, cov_b = statistics_b
    difference = mean_a - mean_b
    return float(difference @ difference + np.trace(cov_a) + np.trace(cov_b)
                 - 2.0 * _trace_sqrt_product(cov_a, cov_b))


def _trace_sqrt_product(cov_a: np.ndarray, cov_b: np.ndarray) -> float:
    """Tr((Σa Σb)^½) for covariance matrices, as Σ √λ of the symmetric Σa^½ Σb Σa^½.

    Equal to the trace of ``scipy.linalg.sqrtm(Σa @ Σb)`` (a test checks it), but stable for
    singular covariances, which dead ReLU features make common.
    """
    eigenvalues, eigenvectors = np.linalg.eigh(cov_a)
    root_a = (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T
    product = root_a @ cov_b @ root_a
    return float(np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((product + product.T) / 2), 0.0,
                                        None))))


def _polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def kid_subset_size(count_a: int, count_b: int, subset_size: int = 1000) -> int:
    """The subset size KID uses: ``subset_size``, clipped to the smaller set."""
    return min(subset_size, count_a, count_b)


def kernel_inception_distance(
    features_a: np.ndarray,
    features_b: np.ndarray,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """Unbiased MMD² with the cubic polynomial kernel k(x, y) = (x·y / d + 1)³ (KID).

    Averaged over ``subsets`` random subsets of ``subset_size`` from each set (clipped to the
    smaller set: ``kid_subset_size``, which a protocol must record); returns the mean and
    standard deviation over subsets.

    Biases: unbiased in the sample count (unlike FID), so it can be negative for two samples of
    the same distribution; its variance grows for small subsets.
    """
    features_a = np.asarray(features_a, dtype=np.float64)
    features_b = np.asarray(features_b, dtype=np.float64)
    size = kid_subset_size(len(features_a), len(features_b), subset_size)
    rng = np.random.default_rng(seed)
    estimates = []
    for _ in range(subsets):
        a = features_a[rng.choice(len(features_a), size, replace=False)]
        b = features_b[rng.choice(len(features_b), size, replace=False)]
        k_aa, k_bb, k_ab = _polynomial_kernel(a, a), _polynomial_kernel(b, b), \
            _polynomial_kernel(a, b)
        within = (k_aa.sum() - np.trace(k_aa) + k_bb.sum() - np.trace(k_bb)) / (size * (size - 1))
        estimates.append(within - 2.0 * k_ab.mean())
    return float(np.mean(estimates)), float(np.std(estimates))

"""Quality metrics: scores against SciPy/NumPy references, and the MNIST suite on real digits."""

import math

import numpy as np
import pytest
from scipy import linalg

from vaegan_tf.data import load_mnist
from vaegan_tf.metrics import classifier_record, evaluation, scores

RNG = np.random.default_rng(0)


def scipy_fid(a, b):
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = np.real(linalg.sqrtm(cov_a @ cov_b))
    return np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * root)


def numpy_mmd2_unbiased(a, b):
    d = a.shape[1]

    def k(x, y):
        return (np.dot(x, y) / d + 1) ** 3

    m = len(a)
    same = sum(k(a[i], a[j]) + k(b[i], b[j]) for i in range(m) for j in range(m) if i != j)
    cross = sum(k(a[i], b[j]) for i in range(m) for j in range(m))
    return same / (m * (m - 1)) - 2 * cross / (m * m)


def test_frechet_distance_matches_scipy_on_gaussian_features():
    a = RNG.normal(size=(600, 12))
    b = RNG.normal(loc=0.3, scale=1.4, size=(500, 12)) @ RNG.normal(size=(12, 12)) * 0.5
    ours = scores.frechet_distance(scores.feature_statistics(a), scores.feature_statistics(b))
    assert ours == pytest.approx(scipy_fid(a, b), rel=1e-6)


def test_frechet_distance_of_a_set_with_itself_is_zero_even_when_singular():
    features = RNG.normal(size=(300, 8))
    features[:, 3] = 0.0  # a dead ReLU unit: singular covariance
    statistics = scores.feature_statistics(features)
    assert abs(scores.frechet_distance(statistics, statistics)) < 1e-8


def test_kid_matches_a_numpy_reference_of_unbiased_mmd():
    a, b = RNG.normal(size=(20, 6)), RNG.normal(loc=0.5, size=(20, 6))
    kid, spread = scores.kernel_inception_distance(a, b, subsets=3, subset_size=20)
    assert kid == pytest.approx(numpy_mmd2_unbiased(a, b), rel=1e-9)
    assert spread == pytest.approx(0.0, abs=1e-12)  # the whole set each time: no spread


def test_kid_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    a, b = RNG.normal(size=(800, 16)), RNG.normal(size=(800, 16))
    same, _ = scores.kernel_inception_distance(a, b, subsets=20, subset_size=400)
    shifted, _ = scores.kernel_inception_distance(a, b + 1.0, subsets=20, subset_size=400)
    assert abs(same) < 0.01 and shifted > 1.0


def test_class_statistics():
    balanced = np.eye(10)[np.arange(1000) % 10]
    one_class = np.eye(10)[np.zeros(1000, int)]
    assert scores.class_histogram(balanced).tolist() == [100] * 10
    assert scores.mode_coverage(scores.class_histogram(balanced)) == 10
    assert scores.mode_coverage(scores.class_histogram(one_class)) == 1
    assert scores.mode_coverage(np.array([100] * 9 + [47])) == 9  # 47 < 0.5 · 947 / 10
    assert scores.mode_coverage(np.array([100] * 9 + [48])) == 10
    assert scores.kl_to_uniform(scores.class_histogram(balanced)) == pytest.approx(0.0)
    assert scores.kl_to_uniform(scores.class_histogram(one_class)) == pytest.approx(math.log(10))
    # In order (seed None), each of the 10 splits of ``balanced`` holds every class equally.
    assert scores.inception_score(balanced, seed=None)[0] == pytest.approx(10.0, rel=1e-6)
    assert scores.inception_score(one_class)[0] == pytest.approx(1.0, rel=1e-6)
    assert scores.inception_score(np.full((100, 10), 0.1))[0] == pytest.approx(1.0, rel=1e-6)


def test_shipped_classifier_is_small_and_at_least_99_percent_accurate():
    record = classifier_record()
    assert record["weights_bytes"] < 2_000_000 and record["test_accuracy"] >= 0.99
    test = load_mnist("test")
    probabilities, features = evaluation.classify_mnist(
        test.images[..., np.newaxis].astype(np.float32) / 255.0)
    assert features.shape == (10000, 128)
    accuracy = np.mean(np.argmax(probabilities, axis=1) == test.labels)
    assert accuracy == pytest.approx(record["test_accuracy"], abs=1e-4)


def test_mnist_suite_on_real_digits_and_on_a_one_digit_generator():
    train = load_mnist("train")
    real = train.images[:3000, ..., np.newaxis].astype(np.float32) / 255.0
    ones = train.images[train.labels == 1][:1000, ..., np.newaxis].astype(np.float32) / 255.0
    real_scores = evaluation.mnist_scores(real, value_range=(0.0, 1.0))
    one_digit = evaluation.mnist_scores(ones * 2.0 - 1.0, value_range=(-1.0, 1.0))
    assert real_scores["mode_coverage"] == 10 and real_scores["kl_to_uniform"] < 0.01
    assert real_scores["inception_score"] > 9.0
    assert real_scores["mnist_fid"] < 5.0 and one_digit["mnist_fid"] > 100.0
    assert one_digit["mode_coverage"] == 1 and one_digit["kl_to_uniform"] > 2.0
    assert one_digit["mnist_kid"] > 100 * abs(real_scores["mnist_kid"])
    protocol = real_scores["protocol"]
    assert protocol["samples"] == 3000 and protocol["reference"] == "mnist:test"
    assert protocol["weights_sha256"] == classifier_record()["sha256"]


def test_mnist_suite_rejects_other_shapes():
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 1\)"):
        evaluation.mnist_scores(np.zeros((4, 64, 64, 3), np.float32))


def test_inception_features_with_random_weights_and_scores_protocol():
    from vaegan_tf.metrics import inception

    images = RNG.uniform(-1, 1, (3, 64, 64, 3)).astype(np.float32)
    gray = RNG.uniform(0, 1, (2, 28, 28, 1)).astype(np.float32)
    assert inception.inception_features(images, weights=None).shape == (3, 2048)
    assert inception.inception_features(gray, (0.0, 1.0), weights=None).shape == (2, 2048)
    result = inception.inception_scores(images, images[::-1], weights=None)
    assert abs(result["fid"]) < 1e-3  # the same three images in another order
    assert result["protocol"]["weights"] == "random (weights=None)"


def test_missing_imagenet_weights_say_where_to_put_them(tmp_path, monkeypatch):
    from vaegan_tf.metrics import inception

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    expected = tmp_path / "models" / inception.NOTOP_WEIGHTS
    with pytest.raises(FileNotFoundError, match="copy the file to") as raised:
        inception.inception_features(np.zeros((1, 64, 64, 3), np.float32))
    assert str(expected) in str(raised.value)


def test_inception_score_shuffles_before_splitting_samples_sorted_by_class():
    """Issue 12: 1000 confident samples sorted by class (a folder named by class) put one
    class in each of the 10 splits: without the shuffle IS is 1, with it close to 10."""
    sorted_by_class = np.repeat(np.eye(10), 100, axis=0)
    assert scores.inception_score(sorted_by_class, 10, seed=None)[0] == pytest.approx(1.0)
    shuffled, _ = scores.inception_score(sorted_by_class, 10, seed=0)
    assert shuffled > 9.0
    assert scores.inception_score(sorted_by_class, 10, seed=0)[0] == shuffled  # seeded

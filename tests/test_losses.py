"""The three NTUT losses (spec 3.2-3.4) against NumPy references on fixed tensors."""

import math

import numpy as np
import pytest

from vaegan_tf import losses

RNG = np.random.default_rng(7)
MEAN = RNG.normal(size=(5, 64)).astype("float32")
LOG_VAR = RNG.normal(scale=0.5, size=(5, 64)).astype("float32")
REAL_FEATURES = RNG.normal(size=(5, 3200)).astype("float32")
FAKE_FEATURES = (REAL_FEATURES + RNG.normal(scale=0.3, size=(5, 3200))).astype("float32")
P_REAL = np.array([[0.9], [0.8], [0.999], [0.5], [1.0]], dtype="float32")
P_RECONSTRUCTION = np.array([[0.1], [0.3], [0.0], [0.5], [0.7]], dtype="float32")
P_PRIOR = np.array([[0.2], [0.05], [0.6], [0.4], [0.01]], dtype="float32")


def np_kl(mean, log_var):
    return -0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var))


def np_log_likelihood(real, fake):
    per_element = -0.5 * np.log(2 * np.pi) - 0.5 * (fake - real) ** 2
    return np.mean(np.sum(per_element, axis=1))


def np_bce(target, p):
    p = np.clip(p.astype("float64"), 1e-7, 1 - 1e-7)
    return np.mean(-(target * np.log(p) + (1 - target) * np.log(1 - p)))


def test_kl_divergence_sums_over_batch_and_latent():
    assert float(losses.kl_divergence(MEAN, LOG_VAR)) == pytest.approx(np_kl(MEAN, LOG_VAR),
                                                                       rel=1e-5)
    assert float(losses.kl_divergence(np.zeros((3, 4)), np.zeros((3, 4)))) == 0.0


def test_feature_log_likelihood_is_unit_variance_gaussian_summed_then_averaged():
    expected = np_log_likelihood(REAL_FEATURES, FAKE_FEATURES)
    assert float(losses.feature_log_likelihood(REAL_FEATURES, FAKE_FEATURES)) == pytest.approx(
        expected, rel=1e-5)
    # identical features give the floor: -F/2 ln 2π per sample
    same = float(losses.feature_log_likelihood(REAL_FEATURES, REAL_FEATURES))
    assert same == pytest.approx(-3200 * 0.5 * math.log(2 * math.pi), rel=1e-6)


def test_encoder_loss():
    log_likelihood = np_log_likelihood(REAL_FEATURES, FAKE_FEATURES)
    expected = np_kl(MEAN, LOG_VAR) / (5 * 64) - log_likelihood / 4096
    value = losses.encoder_loss(MEAN, LOG_VAR, np.float32(log_likelihood), 4096.0)
    assert float(value) == pytest.approx(expected, rel=1e-5)
    # the MNIST floor of the feature term the spec derives from the logs: 0.718
    floor = float(losses.encoder_loss(np.zeros((5, 64), "float32"), np.zeros((5, 64), "float32"),
                                      losses.feature_log_likelihood(REAL_FEATURES,
                                                                    REAL_FEATURES)))
    assert floor == pytest.approx(3200 * 0.5 * math.log(2 * math.pi) / 4096, rel=1e-6)
    assert round(floor, 3) == 0.718


def test_decoder_loss():
    log_likelihood = np.float32(-2500.0)
    expected = np_bce(1, P_RECONSTRUCTION) + np_bce(1, P_PRIOR) - 1e-8 * -2500.0
    value = losses.decoder_loss(P_RECONSTRUCTION, P_PRIOR, log_likelihood, 1e-8)
    assert float(value) == pytest.approx(expected, rel=1e-5)


def test_discriminator_loss():
    expected = np_bce(1, P_REAL) + np_bce(0, P_RECONSTRUCTION) + np_bce(0, P_PRIOR)
    value = losses.discriminator_loss(P_REAL, P_RECONSTRUCTION, P_PRIOR)
    assert float(value) == pytest.approx(expected, rel=1e-5)


def test_discriminator_loss_at_equilibrium_is_three_ln_two():
    half = np.full((4, 1), 0.5, "float32")
    assert float(losses.discriminator_loss(half, half, half)) == pytest.approx(3 * math.log(2))


def test_saturated_probabilities_are_clipped_like_keras():
    zero = np.zeros((2, 1), "float32")
    assert float(losses.binary_crossentropy(1.0, zero)) == pytest.approx(-math.log(1e-7),
                                                                          rel=1e-3)


def test_discriminator_loss_with_per_sample_soft_targets():
    real_targets = np.array([[0.7], [1.2], [0.9], [1.0], [0.0]], "float32")
    fake_targets = np.array([[0.3], [0.0], [0.1], [1.0], [0.2]], "float32")
    # Unsaturated probabilities: float32 clipping near 1 differs from the float64 reference.
    p_real, p_reconstruction = (np.clip(p, 0.01, 0.99) for p in (P_REAL, P_RECONSTRUCTION))
    expected = (np_bce(real_targets, p_real) + np_bce(fake_targets, p_reconstruction)
                + np_bce(0.0, P_PRIOR))
    value = losses.discriminator_loss(p_real, p_reconstruction, P_PRIOR,
                                      real_targets, fake_targets, 0.0)
    assert float(value) == pytest.approx(expected, rel=1e-5)


def test_noisy_labels_are_soft_in_range_and_flipped_at_the_given_rate():
    targets = np.asarray(losses.noisy_labels((20000, 1), (0.7, 1.2), (0.0, 0.3), 0.1, seed=5))
    flipped = targets < 0.5
    assert targets.shape == (20000, 1)
    assert targets[~flipped].min() >= 0.7 and targets[~flipped].max() <= 1.2
    assert targets[flipped].min() >= 0.0 and targets[flipped].max() <= 0.3
    assert flipped.mean() == pytest.approx(0.1, abs=0.01)
    assert targets[~flipped].mean() == pytest.approx(0.95, abs=0.01)


def test_noisy_labels_without_flips_stay_in_their_range():
    targets = np.asarray(losses.noisy_labels((5000, 1), (0.0, 0.3), (0.7, 1.2), 0.0, seed=5))
    assert targets.min() >= 0.0 and targets.max() <= 0.3

"""The GAN family's losses against NumPy references on fixed tensors."""

import math

import numpy as np
import pytest
import tensorflow as tf

from vaegan_tf import losses
from vaegan_tf.losses import adversarial, hinge, least_squares, wasserstein

RNG = np.random.default_rng(11)
REAL = RNG.normal(scale=3.0, size=(7, 1)).astype("float32")
FAKE = RNG.normal(scale=3.0, size=(7, 1)).astype("float32")
# Saturated logits: a probability-based BCE would clip; the logit form stays exact.
SATURATED = np.array([[40.0], [-40.0]], "float32")


def np_log_sigmoid(x):
    x = np.asarray(x, "float64")
    return -np.logaddexp(0.0, -x)


def test_discriminator_bce_on_logits():
    expected = -np.mean(np_log_sigmoid(REAL)) - np.mean(np_log_sigmoid(-FAKE))
    assert float(adversarial.discriminator_loss(REAL, FAKE)) == pytest.approx(expected, rel=1e-6)
    # D(x) = D(G(z)) = 0 (σ = ½) is the equilibrium: 2 ln 2.
    zeros = np.zeros((3, 1), "float32")
    assert float(adversarial.discriminator_loss(zeros, zeros)) == pytest.approx(2 * math.log(2))


def test_non_saturating_and_minimax_generator_losses():
    assert float(adversarial.non_saturating_generator_loss(FAKE)) == pytest.approx(
        -np.mean(np_log_sigmoid(FAKE)), rel=1e-6)
    assert float(adversarial.minimax_generator_loss(FAKE)) == pytest.approx(
        np.mean(np_log_sigmoid(-FAKE)), rel=1e-6)
    # Exact where probabilities would saturate: −ln σ(−40) = 40 (up to e^-40).
    assert float(adversarial.non_saturating_generator_loss(SATURATED[1:])) == pytest.approx(40.0)
    assert float(adversarial.minimax_generator_loss(SATURATED[:1])) == pytest.approx(-40.0)


@pytest.mark.parametrize("a, b, c", [(-1.0, 1.0, 0.0), (0.0, 1.0, 1.0)])
def test_least_squares_losses(a, b, c):
    expected_d = 0.5 * np.mean((REAL - b) ** 2) + 0.5 * np.mean((FAKE - a) ** 2)
    expected_g = 0.5 * np.mean((FAKE - c) ** 2)
    assert float(least_squares.discriminator_loss(REAL, FAKE, a, b)) == pytest.approx(
        expected_d, rel=1e-6)
    assert float(least_squares.generator_loss(FAKE, c)) == pytest.approx(expected_g, rel=1e-6)
    pair = losses.gan_losses("least_squares", (a, b, c))
    assert float(pair.discriminator(REAL, FAKE)) == pytest.approx(expected_d, rel=1e-6)
    assert float(pair.generator(FAKE)) == pytest.approx(expected_g, rel=1e-6)


def test_wasserstein_critic_and_generator():
    assert float(wasserstein.critic_loss(REAL, FAKE)) == pytest.approx(
        np.mean(FAKE) - np.mean(REAL), rel=1e-6)
    assert float(wasserstein.generator_loss(FAKE)) == pytest.approx(-np.mean(FAKE), rel=1e-6)


def test_hinge_losses():
    expected = np.mean(np.maximum(0, 1 - REAL)) + np.mean(np.maximum(0, 1 + FAKE))
    assert float(hinge.discriminator_loss(REAL, FAKE)) == pytest.approx(expected, rel=1e-6)
    assert float(hinge.generator_loss(FAKE)) == pytest.approx(-np.mean(FAKE), rel=1e-6)


def test_interpolate_uses_one_alpha_per_sample():
    real = np.ones((3, 2, 2, 1), "float32")
    fake = np.zeros((3, 2, 2, 1), "float32")
    alpha = np.array([0.0, 0.25, 1.0], "float32")
    mixed = np.asarray(wasserstein.interpolate(real, fake, alpha))
    assert [np.unique(sample).tolist() for sample in mixed] == [[0.0], [0.25], [1.0]]


def test_gradient_penalty_against_numpy():
    gradients = RNG.normal(size=(6, 4, 4, 2)).astype("float32")
    norms = np.sqrt(np.sum(gradients.astype("float64") ** 2, axis=(1, 2, 3)))
    expected = 10.0 * np.mean((norms - 1.0) ** 2)
    assert float(wasserstein.gradient_penalty(gradients, 10.0)) == pytest.approx(expected,
                                                                                rel=1e-5)
    # Unit-norm gradients cost nothing (two-sided: both larger and smaller norms cost).
    unit = np.zeros((2, 3), "float32")
    unit[:, 0] = 1.0
    assert float(wasserstein.gradient_penalty(unit, 10.0)) == pytest.approx(0.0, abs=1e-8)
    assert float(wasserstein.gradient_penalty(unit * 0.5, 1.0)) == pytest.approx(0.25)
    assert float(wasserstein.gradient_penalty(unit * 1.5, 1.0)) == pytest.approx(0.25)


def test_gradient_penalty_of_a_quadratic_critic_through_a_tape():
    """D(x) = Σ x² has ∇D = 2x: the per-sample norms are known in closed form."""
    points = RNG.normal(size=(5, 3, 3, 1)).astype("float32")
    with tf.GradientTape() as tape:
        tensor = tf.constant(points)
        tape.watch(tensor)
        scores = tf.reduce_sum(tensor ** 2, axis=(1, 2, 3))[:, None]
    penalty = float(wasserstein.gradient_penalty(tape.gradient(scores, tensor), 10.0))
    norms = 2 * np.sqrt(np.sum(points.astype("float64") ** 2, axis=(1, 2, 3)))
    assert penalty == pytest.approx(10.0 * np.mean((norms - 1) ** 2), rel=1e-5)


def test_gan_losses_registry_names_every_kind_and_refuses_others():
    for kind in losses.GAN_LOSS_KINDS:
        pair = losses.gan_losses(kind)
        assert np.isfinite(float(pair.discriminator(REAL, FAKE)))
        assert np.isfinite(float(pair.generator(FAKE)))
    with pytest.raises(ValueError, match="Unknown GAN loss 'wgan'"):
        losses.gan_losses("wgan")


def test_smoothed_real_targets_are_the_cross_entropy_to_each_target():
    targets = np.linspace(0.7, 1.2, 7).reshape(7, 1).astype("float32")
    expected = -np.mean(targets * np_log_sigmoid(REAL) + (1 - targets) * np_log_sigmoid(-REAL)) \
        - np.mean(np_log_sigmoid(-FAKE))
    assert float(adversarial.discriminator_loss(REAL, FAKE, targets)) == pytest.approx(
        expected, rel=1e-5)
    assert float(adversarial.discriminator_loss(REAL, FAKE, 1.0)) == pytest.approx(
        float(adversarial.discriminator_loss(REAL, FAKE)), rel=1e-7)

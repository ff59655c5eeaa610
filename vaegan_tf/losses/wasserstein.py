"""Wasserstein GAN (Arjovsky et al. 2017) and its gradient penalty (Gulrajani et al. 2017).

The critic's output is an unbounded score. The critic keeps the Lipschitz constraint either by
weight clipping (WGAN) or by the gradient penalty (WGAN-GP); the penalty is split into two pure
steps so it can be checked against NumPy: ``interpolate`` makes x̂, the model takes ∇x̂ D(x̂)
with a tape, and ``gradient_penalty`` turns those gradients into the loss term.
"""

from __future__ import annotations

from keras import ops

from vaegan_tf.losses.vaegan import Tensor


def critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E[D(G(z))] − E[D(x)]: the negative Wasserstein-1 estimate the critic minimises."""
    return ops.mean(fake_scores) - ops.mean(real_scores)


def generator_loss(fake_scores: Tensor) -> Tensor:
    """−E[D(G(z))]."""
    return -ops.mean(fake_scores)


def interpolate(real: Tensor, fake: Tensor, alpha: Tensor) -> Tensor:
    """x̂ = α·x + (1 − α)·G(z), one α ~ U(0, 1) per sample (``alpha`` of shape (batch,))."""
    alpha = ops.reshape(alpha, (-1,) + (1,) * (len(ops.shape(real)) - 1))
    return alpha * real + (1.0 - alpha) * fake


def gradient_penalty(gradients: Tensor, weight: float = 10.0) -> Tensor:
    """λ · E[(‖∇x̂ D(x̂)‖₂ − 1)²], two-sided, the norm taken per sample over all pixels.

    Args:
        gradients: ∇x̂ D(x̂), shape (batch, ...).
        weight: λ (10 in the paper).
    """
    flat = ops.reshape(gradients, (ops.shape(gradients)[0], -1))
    norms = ops.sqrt(ops.sum(ops.square(flat), axis=-1) + 1e-12)
    return weight * ops.mean(ops.square(norms - 1.0))

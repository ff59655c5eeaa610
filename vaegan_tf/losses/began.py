"""BEGAN's losses and its equilibrium control (Berthelot et al. 2017), as pure functions."""

from __future__ import annotations

from keras import ops

from vaegan_tf.losses.vaegan import Tensor


def reconstruction_l1(images: Tensor, reconstructions: Tensor) -> Tensor:
    """L(v) = mean |v − D(v)| over every pixel of the batch: the auto-encoder's loss."""
    return ops.mean(ops.abs(ops.cast(images, "float32") - ops.cast(reconstructions, "float32")))


def discriminator_loss(real_loss: Tensor, fake_loss: Tensor, k: Tensor) -> Tensor:
    """L_D = L(x) − k_t · L(G(z))."""
    return real_loss - k * fake_loss


def k_update(k: Tensor, real_loss: Tensor, fake_loss: Tensor, gamma: float,
             lambda_k: float) -> Tensor:
    """k_{t+1} = clip(k_t + λ_k (γ L(x) − L(G(z))), 0, 1)."""
    return ops.clip(k + lambda_k * (gamma * real_loss - fake_loss), 0.0, 1.0)


def convergence(real_loss: Tensor, fake_loss: Tensor, gamma: float) -> Tensor:
    """M = L(x) + |γ L(x) − L(G(z))|: falls as training converges."""
    return real_loss + ops.abs(gamma * real_loss - fake_loss)

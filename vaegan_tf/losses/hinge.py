"""Hinge GAN loss (Lim & Ye 2017; SAGAN, BigGAN) on discriminator scores."""

from __future__ import annotations

from keras import ops

from vaegan_tf.losses.vaegan import Tensor


def discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))]."""
    return ops.mean(ops.relu(1.0 - real_scores)) + ops.mean(ops.relu(1.0 + fake_scores))


def generator_loss(fake_scores: Tensor) -> Tensor:
    """−E[D(G(z))]."""
    return -ops.mean(fake_scores)

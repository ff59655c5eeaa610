"""Least-squares GAN (Mao et al. 2017): D regresses real images to ``b`` and fakes to ``a``; G
pulls its fakes towards ``c``. The paper's choices: a = −1, b = 1, c = 0 (Pearson χ²), or
a = 0, b = c = 1."""

from __future__ import annotations

from keras import ops

from vaegan_tf.losses.vaegan import Tensor


def discriminator_loss(
    real_scores: Tensor, fake_scores: Tensor, a: float = -1.0, b: float = 1.0
) -> Tensor:
    """½ E[(D(x) − b)²] + ½ E[(D(G(z)) − a)²]."""
    return 0.5 * ops.mean(ops.square(real_scores - b)) + 0.5 * ops.mean(
        ops.square(fake_scores - a))


def generator_loss(fake_scores: Tensor, c: float = 0.0) -> Tensor:
    """½ E[(D(G(z)) − c)²]."""
    return 0.5 * ops.mean(ops.square(fake_scores - c))

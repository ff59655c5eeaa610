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


def training_targets(a: float, b: float, real_noise: Tensor, fake_noise: Tensor,
                     swapped: Tensor | bool = False) -> tuple[Tensor, Tensor]:
    """D's per-image targets for a real and a fake batch in one training step, with the
    VAE-pretrained LSGAN's tricks: ``b`` for real images and ``a`` for fakes plus the given
    noise (Gaussian label noise), or, in a ``swapped`` step, ``a`` for real images and ``b``
    for fakes (label flipping). Pass them as ``discriminator_loss(..., a=fake, b=real)``.

    Example:
        >>> real, fake = training_targets(0.0, 1.0, [[0.1]], [[-0.1]], swapped=True)
        >>> float(real[0, 0]), float(fake[0, 0])
        (0.1, 0.9)
    """
    real_target = ops.where(swapped, a, b)
    fake_target = ops.where(swapped, b, a)
    return real_target + real_noise, fake_target + fake_noise

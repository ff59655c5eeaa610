"""Losses as pure ``keras.ops`` functions of tensors, one module per family.

- ``vaegan``: the NTUT VAE-GAN's three losses (spec 3.2-3.4; re-exported here);
- ``vae``: the VAE seed's reconstruction MSE plus weighted KL;
- ``began``: BEGAN's L1 auto-encoder losses and its k_t control;
- ``adversarial``: the original GAN objective on logits (non-saturating and minimax G);
- ``least_squares``: LSGAN (a, b, c);
- ``wasserstein``: WGAN critic and generator, the WGAN-GP gradient penalty;
- ``hinge``: the hinge loss.

``gan_losses(kind)`` pairs a discriminator loss with a generator loss by name, for the GAN
models' ``loss`` setting.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

from vaegan_tf.losses import adversarial, hinge, least_squares, wasserstein
from vaegan_tf.losses.vaegan import (
    HALF_LOG_2PI,
    Tensor,
    binary_crossentropy,
    decoder_loss,
    discriminator_loss,
    encoder_loss,
    feature_log_likelihood,
    kl_divergence,
    noisy_labels,
)
from vaegan_tf.presets import GAN_LOSS_KINDS


class GANLosses(NamedTuple):
    """A discriminator loss ``(real_scores, fake_scores) → scalar`` and a generator loss
    ``fake_scores → scalar``."""

    discriminator: Callable[[Tensor, Tensor], Tensor]
    generator: Callable[[Tensor], Tensor]



def gan_losses(
    kind: str, least_squares_targets: tuple[float, float, float] = (-1.0, 1.0, 0.0)
) -> GANLosses:
    """The loss pair named ``kind`` (one of ``GAN_LOSS_KINDS``).

    Args:
        kind: ``"non_saturating"`` (DCGAN), ``"minimax"``, ``"least_squares"`` (LSGAN),
            ``"wasserstein"`` (WGAN, WGAN-GP) or ``"hinge"``.
        least_squares_targets: LSGAN's (a, b, c): the fake and real targets of D and the
            target of G's fakes.

    Example:
        >>> pair = gan_losses("least_squares", (0.0, 1.0, 1.0))
        >>> float(pair.generator(np.ones((4, 1), "float32")))
        0.0
    """
    if kind == "non_saturating":
        return GANLosses(adversarial.discriminator_loss,
                         adversarial.non_saturating_generator_loss)
    if kind == "minimax":
        return GANLosses(adversarial.discriminator_loss, adversarial.minimax_generator_loss)
    if kind == "least_squares":
        a, b, c = least_squares_targets
        return GANLosses(functools.partial(least_squares.discriminator_loss, a=a, b=b),
                         functools.partial(least_squares.generator_loss, c=c))
    if kind == "wasserstein":
        return GANLosses(wasserstein.critic_loss, wasserstein.generator_loss)
    if kind == "hinge":
        return GANLosses(hinge.discriminator_loss, hinge.generator_loss)
    raise ValueError(f"Unknown GAN loss {kind!r}; choose one of {GAN_LOSS_KINDS}")


__all__ = [
    "GAN_LOSS_KINDS",
    "HALF_LOG_2PI",
    "GANLosses",
    "Tensor",
    "adversarial",
    "binary_crossentropy",
    "decoder_loss",
    "discriminator_loss",
    "encoder_loss",
    "feature_log_likelihood",
    "gan_losses",
    "hinge",
    "kl_divergence",
    "least_squares",
    "noisy_labels",
    "wasserstein",
]

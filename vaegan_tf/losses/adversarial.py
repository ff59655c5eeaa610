"""The original GAN objective (Goodfellow et al. 2014) on discriminator logits.

``D(·)`` is a logit here: ``sigmoid(D(x))`` is the probability of "real". Working on logits
(``softplus``) instead of clipped probabilities keeps the losses exact when D saturates.
"""

from __future__ import annotations

from keras import ops

from vaegan_tf.losses.vaegan import Tensor


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """−E[ln σ(D(x))] − E[ln(1 − σ(D(G(z))))] = E[softplus(−D(x))] + E[softplus(D(G(z)))]."""
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def non_saturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """−E[ln σ(D(G(z)))] = E[softplus(−D(G(z)))]: the generator loss DCGAN trains with."""
    return ops.mean(ops.softplus(-fake_logits))


def minimax_generator_loss(fake_logits: Tensor) -> Tensor:
    """E[ln(1 − σ(D(G(z))))] = −E[softplus(D(G(z)))]: the paper's minimax form (weak
    gradients early in training)."""
    return -ops.mean(ops.softplus(fake_logits))

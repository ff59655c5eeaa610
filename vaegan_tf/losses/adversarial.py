"""The original GAN objective (Goodfellow et al. 2014) on discriminator logits.

``D(·)`` is a logit here: ``sigmoid(D(x))`` is the probability of "real". Working on logits
(``softplus``) instead of clipped probabilities keeps the losses exact when D saturates.
"""

from __future__ import annotations

from keras import ops

from vaegan_tf.losses.vaegan import Tensor


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor,
                       real_targets: Tensor | float = 1.0) -> Tensor:
    """−E[ln σ(D(x))] − E[ln(1 − σ(D(G(z))))] = E[softplus(−D(x))] + E[softplus(D(G(z)))].

    ``real_targets`` t (one per real image, or one number) makes the real term the binary
    cross-entropy to t, E[t·softplus(−D(x)) + (1 − t)·softplus(D(x))]: one-sided label
    smoothing (t < 1; the face GAN's U(0.7, 1.2) goes past 1, as PyTorch's BCELoss allows).
    """
    real_term = real_targets * ops.softplus(-real_logits) + (1.0 - real_targets) * ops.softplus(
        real_logits)
    return ops.mean(real_term) + ops.mean(ops.softplus(fake_logits))


def non_saturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """−E[ln σ(D(G(z)))] = E[softplus(−D(G(z)))]: the generator loss DCGAN trains with."""
    return ops.mean(ops.softplus(-fake_logits))


def minimax_generator_loss(fake_logits: Tensor) -> Tensor:
    """E[ln(1 − σ(D(G(z))))] = −E[softplus(D(G(z)))]: the paper's minimax form (weak
    gradients early in training)."""
    return -ops.mean(ops.softplus(fake_logits))

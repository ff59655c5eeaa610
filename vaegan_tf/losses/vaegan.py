"""The VAE-GAN losses of the NTUT project (spec 3.2-3.4), as pure functions of tensors.

Symbols follow the original's loss diagrams: x real images, x̃ = Dec(z) reconstructions,
x_p = Dec(e_p) prior samples, D(·) the discriminator's probability of "real".
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

Tensor = Any
"""A backend tensor or a NumPy array: every function here accepts both."""


def kl_divergence(mean: Tensor, log_var: Tensor) -> Tensor:
    """KL(q(z|x) ‖ N(0, I)) summed over batch and latent units.

    ``-0.5 · Σ (1 + log σ² − μ² − σ²)``; the original's formula image drops the leading minus
    (spec 7.4), the code it describes does not.
    """
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var))


def feature_log_likelihood(
    real_features: Tensor, fake_features: Tensor, reduction: str = "sum"
) -> Tensor:
    """Loss_ll: log N(fake; mean=real, var=1) summed (or, with ``reduction="mean"``,
    averaged) over features, averaged over the batch.

    The learned-similarity term of Larsen et al., computed on the discriminator's features of
    the real images and of their reconstructions.
    """
    log_pdf = -HALF_LOG_2PI - 0.5 * ops.square(fake_features - real_features)
    per_sample = ops.sum(log_pdf, axis=-1) if reduction == "sum" else ops.mean(log_pdf, axis=-1)
    return ops.mean(per_sample)


def binary_crossentropy(
    target: float | Tensor, probabilities: Tensor, from_logits: bool = False
) -> Tensor:
    """Batch mean of Keras' BCE of ``probabilities`` (shape (batch, 1)) against ``target``.

    ``target`` is a constant or one target per sample (soft or noisy labels). Probabilities
    are clipped to [1e-7, 1 − 1e-7] as Keras does, so a saturated discriminator gives a finite
    loss (−ln 1e-7 ≈ 16.1); when they come straight from a sigmoid layer, Keras (like TF 2.2's
    tf.keras in graph mode) takes the BCE from the sigmoid's logits instead, exactly.

    ``from_logits=True`` treats the probabilities as logits, σ applied a second time: the
    mistake issue 11 tests (never right for a sigmoid output). It is written out here because
    Keras 3 silently undoes it for sigmoid outputs (it warns and uses the sigmoid's logits),
    while TF 2.2 applied it as written.
    """
    targets = ops.broadcast_to(ops.cast(target, probabilities.dtype), ops.shape(probabilities))
    if from_logits:
        return ops.mean(targets * ops.softplus(-probabilities)
                        + (1.0 - targets) * ops.softplus(probabilities))
    return ops.mean(keras.losses.binary_crossentropy(targets, probabilities))


def encoder_loss(
    mean: Tensor, log_var: Tensor, log_likelihood: Tensor, feature_loss_scale: float = 4096.0
) -> Tensor:
    """L_enc = KL / (batch · latent) − Loss_ll / feature_loss_scale (spec 3.2)."""
    batch_size = ops.cast(ops.shape(mean)[0], mean.dtype)
    latent_dim = ops.cast(ops.shape(mean)[1], mean.dtype)
    return kl_divergence(mean, log_var) / (batch_size * latent_dim) - (
        log_likelihood / feature_loss_scale
    )


def decoder_loss(
    p_reconstruction: Tensor, p_second: Tensor, log_likelihood: Tensor,
    feature_weight: float = 1e-8, from_logits: bool = False,
) -> Tensor:
    """L_dec = −ln D(x̃) − ln D(second) − γ · Loss_ll (spec 3.3; flipped labels for the fakes).

    ``p_second`` is D(x_p) for the prior sample (June-30 diagram) or D(x) for the real batch
    (May-24 diagram, where this term carries no gradient to the decoder).
    """
    return (
        binary_crossentropy(1.0, p_reconstruction, from_logits)
        + binary_crossentropy(1.0, p_second, from_logits)
        - feature_weight * log_likelihood
    )


def discriminator_loss(
    p_real: Tensor,
    p_reconstruction: Tensor,
    p_prior: Tensor,
    real_target: float | Tensor = 1.0,
    reconstruction_target: float | Tensor = 0.0,
    prior_target: float | Tensor = 0.0,
    from_logits: bool = False,
) -> Tensor:
    """L_dis = −[ln D(x) + ln(1 − D(x̃)) + ln(1 − D(x_p))] (spec 3.4); 3 ln 2 at equilibrium.

    The targets default to the hard labels; the face tricks (spec 3.5) pass per-sample soft or
    noisy targets from ``noisy_labels``.
    """
    return (
        binary_crossentropy(real_target, p_real, from_logits)
        + binary_crossentropy(reconstruction_target, p_reconstruction, from_logits)
        + binary_crossentropy(prior_target, p_prior, from_logits)
    )


def noisy_labels(
    shape: tuple,
    label_range: tuple[float, float],
    opposite_range: tuple[float, float],
    flip_probability: float,
    seed: Any,
) -> Tensor:
    """Soft and noisy discriminator targets (GAN-training-tricks #6, spec 3.5).

    Each target is drawn uniformly from ``label_range``; with probability ``flip_probability``
    it is drawn from ``opposite_range`` instead (a flipped label).

    Args:
        shape: Shape of the targets, e.g. ``(batch, 1)``.
        label_range: (low, high) of the soft label, e.g. (0.7, 1.2) for real images.
        opposite_range: (low, high) of the other class's soft label, used for flips.
        flip_probability: Chance that a sample's label is flipped.
        seed: A ``keras.random.SeedGenerator`` or an integer.

    Example:
        >>> targets = noisy_labels((64, 1), (0.7, 1.2), (0.0, 0.3), 0.05, seed=0)
    """
    if not isinstance(seed, keras.random.SeedGenerator):
        # One integer seed for three draws would make them identical; a generator advances.
        seed = keras.random.SeedGenerator(seed)
    soft = keras.random.uniform(
        shape, minval=label_range[0], maxval=label_range[1], seed=seed
    )
    if flip_probability <= 0.0:
        return soft
    flipped = keras.random.uniform(
        shape, minval=opposite_range[0], maxval=opposite_range[1], seed=seed
    )
    flip = keras.random.uniform(shape, seed=seed) < flip_probability
    return ops.where(flip, flipped, soft)

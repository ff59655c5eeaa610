"""The Larsen VAE-GAN's losses as its paper's code (``model/aegan.py``) computes them, as pure
functions: x real images, x̃ reconstructions, x_p prior samples, D(·) the probability of
"real", Dis_l(·) D's similarity features."""

from __future__ import annotations

from keras import ops

from vaegan_tf.losses.vaegan import (
    Tensor,
    binary_crossentropy,
    feature_log_likelihood,
    kl_divergence,
)


def feature_nll(real_features: Tensor, reconstruction_features: Tensor) -> Tensor:
    """−log N(Dis_l(x̃); Dis_l(x), I): ½ (Dis_l(x̃) − Dis_l(x))² + ½ ln 2π summed over the
    features, averaged over the batch (the code's ``NLLNormal``)."""
    return -feature_log_likelihood(real_features, reconstruction_features)


def discriminator_costs(p_real: Tensor, p_fake: Tensor) -> tuple[Tensor, Tensor]:
    """D's real cost −E ln D(x) and fake cost −E ln(1 − D(fakes)): what the gate compares
    with the equilibrium."""
    return binary_crossentropy(1.0, p_real), binary_crossentropy(0.0, p_fake)


def kl_per_image(mean: Tensor, log_var: Tensor) -> Tensor:
    """KL(q(z|x) ‖ N(0, I)) summed over the code, averaged over the batch."""
    return kl_divergence(mean, log_var) / ops.cast(ops.shape(mean)[0], mean.dtype)


def encoder_loss(kl: Tensor, nll: Tensor) -> Tensor:
    """The encoder's loss: ``kl_per_image`` + the feature NLL (the code's KL + NLLNormal)."""
    return kl + nll


def discriminator_loss(real_cost: Tensor, fake_cost: Tensor) -> Tensor:
    """½ · real cost + ½ · fake cost (the code's ``real_vs_gen_weight`` 0.5, the fakes' share
    spread over however many fakes D sees)."""
    return 0.5 * real_cost + 0.5 * fake_cost


def decoder_loss(nll: Tensor, fake_cost: Tensor, reconstruction_weight: float) -> Tensor:
    """w · NLL − (1 − w) · ½ · fake cost: the decoder takes the gradient of D's loss on the
    fakes with its sign flipped (the code's ``decoder_neggrad``: the minimax game, not the
    non-saturating loss) and w of the reconstruction error's."""
    return reconstruction_weight * nll - (1.0 - reconstruction_weight) * 0.5 * fake_cost

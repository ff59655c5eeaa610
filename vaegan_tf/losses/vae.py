"""The VAE seed's loss (seed 000, the PyTorch-VAE recipe), as pure functions of tensors."""

from __future__ import annotations

from keras import ops

from vaegan_tf.losses.vaegan import Tensor, kl_divergence


def reconstruction_mse(images: Tensor, reconstructions: Tensor) -> Tensor:
    """Mean squared error over every pixel of the batch (``F.mse_loss``'s mean)."""
    return ops.mean(ops.square(ops.cast(images, "float32") - ops.cast(reconstructions, "float32")))


def batch_kl_divergence(mean: Tensor, log_var: Tensor) -> Tensor:
    """KL(q(z|x) ‖ N(0, I)) per sample (summed over the latent units), averaged over the
    batch."""
    mean, log_var = ops.cast(mean, "float32"), ops.cast(log_var, "float32")
    return kl_divergence(mean, log_var) / ops.cast(ops.shape(mean)[0], "float32")


def vae_loss(images: Tensor, reconstructions: Tensor, mean: Tensor, log_var: Tensor,
             kl_weight: float) -> tuple[Tensor, Tensor, Tensor]:
    """(total, reconstruction, KL): ``MSE + kl_weight · KL``, the seed's loss (its KL weight
    0.00025 is the batch fraction of the PyTorch-VAE recipe, fixed)."""
    reconstruction = reconstruction_mse(images, reconstructions)
    kl = batch_kl_divergence(mean, log_var)
    return reconstruction + kl_weight * kl, reconstruction, kl

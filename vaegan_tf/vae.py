"""The VAE (no discriminator) on the adversarial base: an encoder and a decoder, one loss."""

from __future__ import annotations

from typing import Any, ClassVar

import keras
import tensorflow as tf
from keras import ops

from vaegan_tf.adversarial import AdversarialModel, Autoencoding
from vaegan_tf.losses import Tensor
from vaegan_tf.losses.vae import vae_loss
from vaegan_tf.networks import build_vae_decoder, build_vae_encoder
from vaegan_tf.presets import VAEPreset, get_preset

VAE_METRIC_NAMES = ("reconstruction_loss", "kl_loss")


@keras.saving.register_keras_serializable(package="vaegan_tf")
class VAE(Autoencoding, AdversarialModel):
    """A variational autoencoder (Kingma & Welling 2014) with the VAE seed's loss:
    ``MSE(x, Dec(μ + σ·ε)) + kl_weight · KL(q(z|x) ‖ N(0, I))`` (the MSE a mean over pixels,
    the KL a mean over the batch of per-sample sums).

    The encoder and the decoder each keep their own optimizer, as every network of the base
    does; both minimise the same loss, so ``encoder_loss`` and ``decoder_loss`` are equal, and
    ``reconstruction_loss`` and ``kl_loss`` (unweighted) show its two parts.

    Args:
        encoder: Image → ``2 * latent_dim`` values (mean ‖ log-variance).
        decoder: Latent code → image in ``data_range``.
        kl_weight: Weight of the KL term (the seed's 0.00025).
        data_range: (low, high) pixel range of the data and of the decoder's output.
        seed: Seed of the model's noise draws during training.

    Example:
        >>> model = build_vae("vae-mnist", seed=0)
        >>> model.compile(**optimizers_for(model, get_preset("vae-mnist")))
        >>> model.fit(vaegan_tf.data.mnist("train", batch_size=128), epochs=1)  # doctest: +SKIP
        >>> model.sample(16, seed=0).shape
        TensorShape([16, 28, 28, 1])
    """

    network_names: ClassVar[tuple[str, ...]] = VAEPreset.networks
    sampling_networks: ClassVar[tuple[str, ...]] = ("encoder", "decoder")

    def __init__(self, encoder: keras.Model, decoder: keras.Model, kl_weight: float = 0.00025,
                 data_range: tuple[float, float] = (-1.0, 1.0), seed: int | None = None,
                 **kwargs: Any) -> None:
        latent_dim = self.code_width(encoder, decoder)
        super().__init__({"encoder": encoder, "decoder": decoder}, latent_dim=latent_dim,
                         data_range=data_range, extra_metric_names=VAE_METRIC_NAMES, seed=seed,
                         **kwargs)
        self.kl_weight = float(kl_weight)

    def compute_losses(self, images: Tensor, conditions: Tensor | None = None,
                       training: bool = False) -> dict[str, tf.Tensor]:
        mean, log_var = self.encode(images, training=training)
        codes = mean + ops.exp(0.5 * log_var) * self.replica_draw(self._normal,
                                                                  ops.shape(mean))
        reconstructions = self.decode(codes, training=training)
        total, reconstruction, kl = vae_loss(images, reconstructions, mean, log_var,
                                             self.kl_weight)
        return {"encoder_loss": total, "decoder_loss": total,
                "reconstruction_loss": reconstruction, "kl_loss": kl}

    def train_step(self, data: Tensor | tuple) -> dict[str, tf.Tensor]:
        images, _ = self.unpack(data)
        with tf.GradientTape() as encoder_tape, tf.GradientTape() as decoder_tape:
            losses = self.compute_losses(images, training=True)
        # The encoder's backward pass reads the decoder's weights too: encoder first.
        self.apply_in_turn([("encoder", losses["encoder_loss"], encoder_tape),
                            ("decoder", losses["decoder_loss"], decoder_tape)])
        return self._track(losses)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "kl_weight": self.kl_weight}


def build_vae(preset: str | VAEPreset = "vae-mnist", seed: int | None = None,
              **overrides: Any) -> VAE:
    """Builds an uncompiled VAE from a preset (a name or a ``VAEPreset``).

    Example:
        >>> build_vae("vae-faces").encoder.output_shape
        (None, 256)
    """
    config = preset.replace(**overrides) if isinstance(preset, VAEPreset) else get_preset(
        preset, **overrides)
    if not isinstance(config, VAEPreset):
        raise ValueError(f"{config.name} is not a VAE preset")
    return VAE(build_vae_encoder(config), build_vae_decoder(config), kl_weight=config.kl_weight,
               data_range=config.data_range, seed=seed, **config.averaging(),
               name=f"vae_{config.name}")

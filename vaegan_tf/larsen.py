"""The Larsen VAE-GAN (Larsen et al. 2016) as its paper's own code trained it, on the
adversarial base: three networks, three losses, three optimizers and the equilibrium gate."""

from __future__ import annotations

from typing import Any, ClassVar

import keras
import tensorflow as tf
from keras import ops

from vaegan_tf.adversarial import AdversarialModel, Autoencoding, float32
from vaegan_tf.losses import Tensor, larsen
from vaegan_tf.networks import (
    build_larsen_decoder,
    build_larsen_discriminator,
    build_larsen_encoder,
    call_per_batch,
)
from vaegan_tf.presets import LarsenObjective, LarsenPreset, get_preset

LARSEN_METRIC_NAMES = ("kl_loss", "feature_nll", "real_cost", "fake_cost")
GATE_METRIC_NAMES = ("decoder_updated", "discriminator_updated")


@keras.saving.register_keras_serializable(package="vaegan_tf")
class LarsenVAEGAN(Autoencoding, AdversarialModel):
    """The VAE/GAN of "Autoencoding beyond pixels using a learned similarity metric", with
    the objective of the paper's code (``model/aegan.py``), per batch:

    - encoder: ``KL + NLL``, NLL the Gaussian negative log-likelihood of D's similarity
      features of x̃ = Dec(Enc(x)) around those of x;
    - decoder: ``w · NLL − (1 − w) · ½ · fake cost`` (it ascends D's loss on the fakes);
    - discriminator: ``½ · real cost + ½ · fake cost``, real cost −E ln D(x), fake cost
      −E ln(1 − D(·)) over the prior samples x_p = Dec(z), z ~ N(0, I) (and the
      reconstructions with ``discriminate_reconstructions``): the GAN loss only;
    - the equilibrium gate on the two costs (``AdversarialModel.equilibrium_gate``).

    Args:
        encoder: Image → mean ‖ log-variance (``2 * latent_dim`` values).
        decoder: Latent code → image in ``data_range``.
        discriminator: Image → [P(real), similarity features].
        objective: A ``LarsenObjective`` (or its dict); fields may also be keyword arguments.
        data_range: (low, high) pixel range of the data and of the decoder's output.
        seed: Seed of the model's noise draws during training.

    Example:
        >>> model = build_larsen("larsen-mnist", seed=0)
        >>> model.compile(**optimizers_for(model, get_preset("larsen-mnist")))
        >>> model.fit(vaegan_tf.data.mnist("train", batch_size=64), epochs=1)  # doctest: +SKIP
    """

    network_names: ClassVar[tuple[str, ...]] = LarsenPreset.networks
    sampling_networks: ClassVar[tuple[str, ...]] = ("encoder", "decoder")

    def __init__(self, encoder: keras.Model, decoder: keras.Model, discriminator: keras.Model,
                 objective: LarsenObjective | dict[str, Any] | None = None,
                 data_range: tuple[float, float] = (-1.0, 1.0), seed: int | None = None,
                 **kwargs: Any) -> None:
        self.objective = LarsenObjective.resolve(objective, kwargs)
        latent_dim = self.code_width(encoder, decoder)
        gated = self.objective.equilibrium_margin > 0.0
        super().__init__(
            {"encoder": encoder, "decoder": decoder, "discriminator": discriminator},
            latent_dim=latent_dim, data_range=data_range, seed=seed,
            extra_metric_names=LARSEN_METRIC_NAMES + (GATE_METRIC_NAMES if gated else ()),
            **kwargs)

    def compute_losses(self, images: Tensor, conditions: Tensor | None = None,
                       training: bool = False) -> dict[str, tf.Tensor]:
        mean, log_var = self.encode(images, training=training)
        noise = self.replica_draw(self._normal, ops.shape(mean))
        prior_codes = self.replica_draw(self._normal, ops.shape(mean))
        codes = mean + ops.exp(0.5 * log_var) * noise
        reconstructions, prior_samples = (float32(decoded) for decoded in call_per_batch(
            self.decoder, [codes, prior_codes], training=training))
        (p_real, real_features), (p_reconstruction, reconstruction_features), (p_prior, _) = (
            tuple(float32(outputs)) for outputs in call_per_batch(
                self.discriminator, [images, reconstructions, prior_samples],
                training=training))
        p_fake = (ops.concatenate([p_reconstruction, p_prior], axis=0)
                  if self.objective.discriminate_reconstructions else p_prior)
        real_cost, fake_cost = larsen.discriminator_costs(p_real, p_fake)
        nll = larsen.feature_nll(real_features, reconstruction_features)
        kl = larsen.kl_per_image(mean, log_var)
        return {
            "encoder_loss": larsen.encoder_loss(kl, nll),
            "decoder_loss": larsen.decoder_loss(nll, fake_cost,
                                                self.objective.reconstruction_weight),
            "discriminator_loss": larsen.discriminator_loss(real_cost, fake_cost),
            "kl_loss": kl,
            "feature_nll": nll,
            "real_cost": real_cost,
            "fake_cost": fake_cost,
        }

    def train_step(self, data: Tensor | tuple) -> dict[str, tf.Tensor]:
        images, _ = self.unpack(data)
        with (
            tf.GradientTape() as encoder_tape,
            tf.GradientTape() as decoder_tape,
            tf.GradientTape() as discriminator_tape,
        ):
            batch_losses = self.compute_losses(images, training=True)
        updates = self.equilibrium_gate(
            batch_losses["real_cost"], batch_losses["fake_cost"], self.objective.equilibrium,
            self.objective.equilibrium_margin)
        # Encoder first (its backward pass reads all three networks), then decoder, then D.
        self.apply_in_turn([(name, batch_losses[f"{name}_loss"], tape) for name, tape in (
            ("encoder", encoder_tape), ("decoder", decoder_tape),
            ("discriminator", discriminator_tape))], conditions=updates)
        for name, update in updates.items():
            batch_losses[f"{name}_updated"] = ops.cast(update, "float32")
        return self._track(batch_losses)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "objective": self.objective.to_dict()}


def build_larsen(preset: str | LarsenPreset = "larsen-mnist", seed: int | None = None,
                 **overrides: Any) -> LarsenVAEGAN:
    """Builds an uncompiled Larsen VAE-GAN from a preset (a name or a ``LarsenPreset``).

    Example:
        >>> build_larsen("larsen-faces").decoder.output_shape
        (None, 64, 64, 3)
    """
    config = preset.replace(**overrides) if isinstance(preset, LarsenPreset) else get_preset(
        preset, **overrides)
    if not isinstance(config, LarsenPreset):
        raise ValueError(f"{config.name!r} is not a Larsen VAE-GAN preset")
    return LarsenVAEGAN(build_larsen_encoder(config), build_larsen_decoder(config),
                        build_larsen_discriminator(config), objective=LarsenObjective.of(config),
                        data_range=config.data_range, seed=seed, **config.averaging(),
                        name=f"larsen_{config.name}")

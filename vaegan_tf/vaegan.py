"""The VAE-GAN model: three networks, three losses, three optimizers, trained by ``model.fit``."""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import keras
import tensorflow as tf
from keras import ops

from vaegan_tf import losses
from vaegan_tf.adversarial import (
    AdversarialModel,
    Autoencoding,
    float32,
)
from vaegan_tf.fast_paths import adam
from vaegan_tf.losses import Tensor
from vaegan_tf.networks import build_decoder, build_discriminator, build_encoder, call_per_batch
from vaegan_tf.presets import VAEGANObjective, VAEGANPreset, get_preset

GATED_UPDATE_NAMES = ("decoder_updated", "discriminator_updated")


@keras.saving.register_keras_serializable(package="vaegan_tf")
class VAEGAN(Autoencoding, AdversarialModel):
    """A VAE-GAN (Larsen et al. 2016) with the NTUT project's losses.

    One forward pass per batch feeds three losses (spec 3.2-3.4); each optimizer updates only
    its own network:

    - encoder: ``KL / (batch · latent) − Loss_ll / feature_loss_scale``
    - decoder: ``−ln D(x̃) − ln D(x_p) − γ · Loss_ll`` (``decoder_loss_variant="real"`` uses
      ``−ln D(x)`` instead of ``−ln D(x_p)``)
    - discriminator: ``−[ln D(x) + ln(1 − D(x̃)) + ln(1 − D(x_p))]``

    By default the discriminator is called separately on x, x̃ and x_p, so BatchNorm sees real
    and fake images in separate batches (and the decoder separately on the two codes); each
    Dense layer, which treats rows alone, is called once on all of them (``call_per_batch``:
    the same values, one kernel gradient instead of three). With soft or noisy labels (the
    face2 tricks, spec 3.5) the discriminator's training targets are drawn per sample; the
    decoder keeps the hard flipped label 1 and validation keeps hard labels, so validation
    losses stay comparable.
    With the equilibrium gate (``equilibrium_margin`` > 0, the original VAE/GAN code's): per
    batch, D is not updated when its real or fake cost is below ``equilibrium − margin``, the
    decoder is not updated when one is above ``equilibrium + margin``, and both are updated
    if both fire. Every setting is a field of ``objective`` (``VAEGANObjective``).

    Args:
        encoder: Model mapping images to ``2 * latent_dim`` values (mean ‖ log-variance).
        decoder: Model mapping a latent code to an image in ``data_range``.
        discriminator: Model mapping images to ``[P(real), features]``.
        objective: A ``VAEGANObjective`` (or its dict); the NTUT model's by default.
        data_range: (low, high) pixel range of the data and of the decoder's output.
        seed: Seed of the model's noise draws during training.
        **kwargs: ``keras.Model`` arguments; a ``VAEGANObjective`` field given on its own
            (how files saved before version 0.2 store them) overrides ``objective``'s.

    Example:
        >>> model = build_vaegan("mnist")
        >>> model.compile(
        ...     encoder_optimizer=keras.optimizers.Adam(5e-4),
        ...     decoder_optimizer=keras.optimizers.Adam(5e-4),
        ...     discriminator_optimizer=keras.optimizers.Adam(5e-4),
        ... )
        >>> model.fit(vaegan_tf.data.mnist("train"), epochs=1)  # doctest: +SKIP
        >>> model.sample(16, seed=0).shape
        TensorShape([16, 28, 28, 1])
    """

    network_names: ClassVar[tuple[str, ...]] = VAEGANPreset.networks
    sampling_networks: ClassVar[tuple[str, ...]] = ("encoder", "decoder")

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        discriminator: keras.Model,
        objective: VAEGANObjective | dict[str, Any] | None = None,
        data_range: tuple[float, float] = (-1.0, 1.0),
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.objective = VAEGANObjective.resolve(objective, kwargs)
        latent_dim = self.code_width(encoder, decoder)
        gated = self.objective.equilibrium_margin > 0.0
        super().__init__(
            {"encoder": encoder, "decoder": decoder, "discriminator": discriminator},
            latent_dim=latent_dim, data_range=data_range,
            # Share of steps in which each gated network was updated.
            extra_metric_names=GATED_UPDATE_NAMES if gated else (),
            seed=seed, **kwargs,
        )

    # ----------------------------------------------------------------------------- training

    def compute_losses(self, images: Tensor, conditions: Tensor | None = None,
                       training: bool = False) -> dict[str, tf.Tensor]:
        """One forward pass of all three networks; returns the three losses by metric name."""
        return self._forward(images, training)[0]

    def _mode(self, name: str, training: bool) -> bool:
        """The ``training`` flag network ``name`` is called with (``batch_norm_inference``
        networks run their batch norm in inference mode even in the training step)."""
        return training and name not in self.objective.inference_networks

    def _discriminate(self, images: list[Tensor], training: bool) -> list[tuple]:
        """D's (probability, features) of each batch: as one call per batch (its Dense layers
        called once on all rows, ``call_per_batch``), or one call on the concatenated batches
        (``discriminator_joint_batch``)."""
        mode = self._mode("discriminator", training)
        if not self.objective.discriminator_joint_batch:
            return [tuple(float32(outputs)) for outputs in
                    call_per_batch(self.discriminator, images, training=mode)]
        probabilities, features = float32(self.discriminator(ops.concatenate(images, axis=0),
                                                             training=mode))
        return list(zip(ops.split(probabilities, len(images)),
                        ops.split(features, len(images)), strict=True))

    def _forward(
        self, images: Tensor, training: bool
    ) -> tuple[dict[str, tf.Tensor], tf.Tensor, tf.Tensor]:
        """The three losses, and D's hard-label real and fake costs (for the gate)."""
        objective = self.objective
        mean, log_var = self.encode(images, training=self._mode("encoder", training))
        batch_shape = ops.shape(mean)
        noise = self.replica_draw(self._normal, batch_shape)
        prior_codes = (
            noise if objective.share_prior_noise
            else self.replica_draw(self._normal, batch_shape)
        )
        codes = mean + ops.exp(0.5 * log_var) * noise
        reconstructions, prior_samples = (float32(decoded) for decoded in call_per_batch(
            self.decoder, [codes, prior_codes], training=self._mode("decoder", training)))

        (p_real, real_features), (p_reconstruction, reconstruction_features), (p_prior, _) = (
            self._discriminate([images, reconstructions, prior_samples], training))

        log_likelihood = losses.feature_log_likelihood(
            real_features, reconstruction_features, objective.feature_reduction)
        p_second = p_prior if objective.decoder_loss_variant == "prior" else p_real
        real_cost = losses.binary_crossentropy(1.0, p_real)
        fake_cost = 0.5 * (losses.binary_crossentropy(0.0, p_reconstruction)
                           + losses.binary_crossentropy(0.0, p_prior))
        batch_losses = {
            "encoder_loss": losses.encoder_loss(
                mean, log_var, log_likelihood, objective.feature_loss_scale
            ),
            "decoder_loss": losses.decoder_loss(
                p_reconstruction, p_second, log_likelihood, objective.decoder_feature_weight,
                from_logits=objective.logits_mistake == "decoder",
            ),
            "discriminator_loss": losses.discriminator_loss(
                p_real, p_reconstruction, p_prior,
                *self._discriminator_targets(ops.shape(p_real), training),
                from_logits=objective.logits_mistake == "discriminator",
            ),
        }
        return batch_losses, real_cost, fake_cost

    @property
    def uses_label_noise(self) -> bool:
        """Whether the discriminator trains on soft or noisy labels instead of hard 1 / 0."""
        objective = self.objective
        return (
            objective.real_label_range != (1.0, 1.0)
            or objective.fake_label_range != (0.0, 0.0)
            or objective.label_flip_probability > 0.0
        )

    def _discriminator_targets(self, shape: tuple, training: bool) -> tuple:
        """Targets for D(x), D(x̃), D(x_p): hard labels, or fresh soft/noisy ones in training.

        Hard labels draw no random numbers, so turning the tricks off leaves the model's noise
        sequence exactly as in the faithful port.
        """
        if not (training and self.uses_label_noise):
            return 1.0, 0.0, 0.0
        objective = self.objective
        real, fake, flip = (objective.real_label_range, objective.fake_label_range,
                            objective.label_flip_probability)
        return tuple(
            self.replica_draw(functools.partial(
                losses.noisy_labels, label_range=label_range, opposite_range=opposite,
                flip_probability=flip, seed=self.seed_generator), shape)
            for label_range, opposite in ((real, fake), (fake, real), (fake, real))
        )

    def train_step(self, data: Tensor | tuple) -> dict[str, tf.Tensor]:
        images, _ = self.unpack(data)
        if self.objective.update_order == "sequential":
            return self._sequential_step(images)
        with (
            tf.GradientTape() as encoder_tape,
            tf.GradientTape() as decoder_tape,
            tf.GradientTape() as discriminator_tape,
        ):
            batch_losses, real_cost, fake_cost = self._forward(images, training=True)
        losses = {name: batch_losses[f"{name}_loss"] for name in self.network_names}
        updates = self._gate(real_cost, fake_cost)
        # The encoder's backward pass reads all three networks' weights, the decoder's the
        # decoder's and D's, D's only its own: in this order each network is updated as soon
        # as its gradients exist.
        self.apply_in_turn([(name, losses[name], tape) for name, tape in (
            ("encoder", encoder_tape), ("decoder", decoder_tape),
            ("discriminator", discriminator_tape))], conditions=updates)
        for name in updates:
            batch_losses[f"{name}_updated"] = ops.cast(updates[name], "float32")
        return self._track(batch_losses)

    def _sequential_step(self, images: Tensor) -> dict[str, tf.Tensor]:
        """D, then the decoder, then the encoder: each network's loss from a fresh forward
        pass after the previous network's update (``update_order="sequential"``)."""
        stepped = {}
        for name in ("discriminator", "decoder", "encoder"):
            with tf.GradientTape() as tape:
                batch_losses, _, _ = self._forward(images, training=True)
            self.apply_gradients(name, batch_losses[f"{name}_loss"], tape)
            stepped[f"{name}_loss"] = batch_losses[f"{name}_loss"]
        return self._track(stepped)

    def _gate(self, real_cost: tf.Tensor, fake_cost: tf.Tensor) -> dict[str, tf.Tensor]:
        """The equilibrium gate: which of decoder and D may update this step (none if off)."""
        return self.equilibrium_gate(real_cost, fake_cost, self.objective.equilibrium,
                                     self.objective.equilibrium_margin)

    # ----------------------------------------------------------------------------- config

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(objective=self.objective.to_dict())
        return config


def build_vaegan(
    preset: str | VAEGANPreset = "mnist", seed: int | None = None, **overrides: Any
) -> VAEGAN:
    """Builds an uncompiled VAE-GAN from a preset.

    Args:
        preset: Preset name (see ``vaegan_tf.presets.PRESETS``) or a ``VAEGANPreset``.
        seed: Seed of the model's training-noise generator.
        **overrides: Preset fields to change, e.g. ``decoder_loss_variant="real"``.

    Example:
        >>> model = build_vaegan("mnist", conv_kernel_size=3)
        >>> model.encoder.output_shape
        (None, 128)
    """
    if isinstance(preset, VAEGANPreset):
        config = preset.replace(**overrides)
    else:
        config = get_preset(preset, **overrides)
    return VAEGAN(
        build_encoder(config),
        build_decoder(config),
        build_discriminator(config),
        objective=VAEGANObjective.of(config),
        data_range=config.data_range,
        seed=seed, **config.averaging(),
        name=f"vaegan_{config.name}",
    )


def adam_optimizers(learning_rate: float = 5e-4, beta_1: float = 0.9) -> dict[str, Any]:
    """Three independent Adam optimizers (``FusedAdam`` where the fast paths are on), as
    keyword arguments for ``VAEGAN.compile``."""
    return {
        f"{name}_optimizer": adam(learning_rate, beta_1=beta_1, name=name)
        for name in VAEGAN.network_names
    }


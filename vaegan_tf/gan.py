"""The GAN family on the adversarial base: DCGAN, LSGAN, WGAN, WGAN-GP and their conditional
variants are one ``GAN`` class with different objectives (``GANObjective``)."""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import keras
import tensorflow as tf
from keras import ops

from vaegan_tf import losses
from vaegan_tf.adversarial import AdversarialModel, float32
from vaegan_tf.losses import Tensor, adversarial, gan_losses, least_squares, wasserstein
from vaegan_tf.networks import (
    build_gan_discriminator,
    build_generator,
    build_vae_lsgan_discriminator,
    build_vae_lsgan_generator,
)
from vaegan_tf.presets import GANObjective, GANPreset, VAELSGANPreset, get_preset


@keras.saving.register_keras_serializable(package="vaegan_tf")
class GAN(AdversarialModel):
    """A generator and a discriminator (critic), each with its own optimizer.

    One ``train_step`` reads ``objective.discriminator_steps`` batches at once (the batch it
    receives is split into that many equal parts) and takes one discriminator step on each,
    each against fresh fakes; then ``objective.generator_steps`` generator steps, each with
    fresh noise. So WGAN's 5 critic steps see 5 different real batches, as in the papers'
    algorithm, and one epoch still passes over every image once. Each step takes its own
    forward pass after the previous step's update (the usual alternating GAN training). After
    each critic step the critic's weights are clipped to ±``clip_value`` (WGAN); with
    ``gradient_penalty_weight`` the critic's loss adds the WGAN-GP penalty, taken with a nested
    tape at per-sample interpolates of real and fake images.

    Conditional models take ``(images, labels)`` from the data; labels are class indices
    (one-hot encoded, ``num_classes``) or attribute vectors. The generator gets the condition
    concatenated to z, the discriminator as constant input channels; fakes in the
    discriminator and generator steps carry the real batch's labels.

    The tracked losses are the means over all steps of each network in the epoch.

    Args:
        generator: z (or [z, condition]) → image in ``data_range``.
        discriminator: image (or [image, condition]) → one score per image (a logit).
        objective: A ``GANObjective`` (or its dict): loss, update ratio, clipping, penalty.
        num_classes: Class-conditional: the labels are class indices of this many classes.
            0 with a conditional generator: attribute vectors.
        data_range: (low, high) pixel range of the data and of generated images.
        seed: Seed of the model's noise draws.

    Example:
        >>> model = build_gan("wgan-gp-mnist", seed=0)
        >>> model.compile(**optimizers_for(model, get_preset("wgan-gp-mnist")))
        >>> model.fit(vaegan_tf.data.mnist("train", batch_size=64 * 5), epochs=1)  # doctest: +SKIP
        >>> model.sample(16, seed=0).shape
        TensorShape([16, 28, 28, 1])
    """

    network_names: ClassVar[tuple[str, ...]] = GANPreset.networks
    sampling_networks: ClassVar[tuple[str, ...]] = ("generator",)
    averaged_network: ClassVar[str] = "generator"

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        objective: GANObjective | dict[str, Any] | None = None,
        num_classes: int = 0,
        data_range: tuple[float, float] = (-1.0, 1.0),
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(objective, dict):
            objective = GANObjective.from_dict(objective)
        self.objective = objective or GANObjective()
        generator_inputs = generator.inputs
        condition_dim = int(generator_inputs[1].shape[-1]) if len(generator_inputs) > 1 else 0
        if len(discriminator.inputs) != len(generator_inputs):
            raise ValueError("The generator and the discriminator must both be conditional "
                             "or both unconditional")
        super().__init__(
            {"generator": generator, "discriminator": discriminator},
            latent_dim=int(generator_inputs[0].shape[-1]), data_range=data_range,
            condition_dim=condition_dim, num_classes=num_classes, seed=seed, **kwargs)
        self.adversarial_losses = gan_losses(self.objective.loss,
                                             self.objective.least_squares_targets)
        # The critic's weights live in [-c, c] from the start (its batch-norm scales of 1
        # included, as in the WGAN code), so a critic step at learning rate 0 changes nothing.
        self.clip_critic()

    def clip_critic(self) -> None:
        """Clips every critic weight to ±``clip_value`` (WGAN; nothing if it is 0)."""
        clip = self.objective.clip_value
        if clip:
            for variable in self.discriminator.trainable_variables:
                variable.assign(ops.clip(variable, -clip, clip))

    # ----------------------------------------------------------------------------- inference

    def generate(self, latents: Tensor, conditions: Tensor | None = None,
                 training: bool = False) -> tf.Tensor:
        # Keras refuses a list that mixes NumPy arrays and tensors.
        inputs = latents if conditions is None else [ops.convert_to_tensor(latents),
                                                     ops.convert_to_tensor(conditions)]
        return float32(self.network("generator", training)(inputs, training=training))

    def score(self, images: Tensor, conditions: Tensor | None = None,
              training: bool = False) -> tf.Tensor:
        """The discriminator's score (logit) of each image."""
        inputs = images if conditions is None else [ops.convert_to_tensor(images),
                                                    ops.convert_to_tensor(conditions)]
        return float32(self.discriminator(inputs, training=training))

    def call(self, latents: Tensor, training: bool = False) -> tf.Tensor:
        """Generates images from latent codes (unconditional models)."""
        return self.generate(latents, training=training)

    # ----------------------------------------------------------------------------- training

    def _noise(self, like: Tensor) -> tf.Tensor:
        return self.prior_noise(ops.shape(like)[0])

    def _gradient_penalty(self, real: Tensor, fake: Tensor, conditions: Tensor | None,
                          training: bool) -> tf.Tensor:
        alpha = self.replica_draw(lambda shape: keras.random.uniform(
            shape, seed=self.seed_generator), (ops.shape(real)[0],))
        mixed = wasserstein.interpolate(real, fake, alpha)
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            scores = self.score(mixed, conditions, training=training)
        return wasserstein.gradient_penalty(tape.gradient(scores, mixed),
                                            self.objective.gradient_penalty_weight)

    def discriminator_loss(self, real: Tensor, fake: Tensor, conditions: Tensor | None,
                           training: bool) -> tf.Tensor:
        """The critic's loss on a real and a fake batch, with the penalty if any (and in
        training, soft targets for the real batch where ``real_label_range`` says so)."""
        real_scores = self.score(real, conditions, training)
        fake_scores = self.score(fake, conditions, training)
        label_range = self.objective.real_label_range
        if training and (self.objective.label_noise or self.objective.label_swap_every):
            real_targets, fake_targets = self._noisy_targets(ops.shape(real_scores))
            loss = least_squares.discriminator_loss(real_scores, fake_scores, a=fake_targets,
                                                    b=real_targets)
        elif training and label_range != (1.0, 1.0):
            targets = self.replica_draw(functools.partial(
                losses.noisy_labels, label_range=label_range, opposite_range=label_range,
                flip_probability=0.0, seed=self.seed_generator), ops.shape(real_scores))
            loss = adversarial.discriminator_loss(real_scores, fake_scores, targets)
        else:
            loss = self.adversarial_losses.discriminator(real_scores, fake_scores)
        if self.objective.gradient_penalty_weight:
            loss = loss + self._gradient_penalty(real, fake, conditions, training)
        return loss

    def _noisy_targets(self, shape: tuple) -> tuple[tf.Tensor, tf.Tensor]:
        """D's least-squares targets in this training step: ``label_noise`` on each, real and
        fake swapped in every ``label_swap_every``-th discriminator step (counted by D's
        optimizer, so a resumed run swaps on the same steps)."""
        a, b, _ = self.objective.least_squares_targets
        sigma, every = self.objective.label_noise, self.objective.label_swap_every
        real_noise, fake_noise = (sigma * self.replica_draw(self._normal, shape)
                                  for _ in range(2))
        step = self.optimizer_of("discriminator").iterations + 1
        swapped = ops.equal(step % every, 0) if every else False
        return least_squares.training_targets(a, b, real_noise, fake_noise, swapped)

    def _with_input_noise(self, images: Tensor) -> Tensor:
        """``images`` plus ``input_noise``-σ Gaussian noise (as is without it)."""
        sigma = self.objective.input_noise
        if not sigma:
            return images
        return images + sigma * self.replica_draw(self._normal, ops.shape(images))

    def compute_losses(self, images: Tensor, conditions: Tensor | None = None,
                       training: bool = False) -> dict[str, tf.Tensor]:
        fake = self.generate(self._noise(images), conditions, training=training)
        return {
            "generator_loss": self.adversarial_losses.generator(
                self.score(fake, conditions, training)),
            "discriminator_loss": self.discriminator_loss(images, fake, conditions, training),
        }

    def _split(self, tensor: Tensor | None) -> list[Any]:
        """The train step's batch as ``discriminator_steps`` equal batches."""
        steps = self.objective.discriminator_steps
        if tensor is None:
            return [None] * steps
        size = tensor.shape[0]
        if size is not None and size % steps:
            raise ValueError(
                f"A train step takes discriminator_steps={steps} batches at once: the batch "
                f"size ({size}) must be a multiple of {steps} (e.g. batch your data by "
                f"{steps} × the per-step batch size)")
        return ops.split(tensor, steps, axis=0) if steps > 1 else [tensor]

    def discriminator_step(self, real: Tensor, conditions: Tensor | None) -> tf.Tensor:
        """One critic update on ``real`` against fresh fakes; clips the weights if set."""
        fake = self.generate(self._noise(real), conditions, training=True)
        real, fake = self._with_input_noise(real), self._with_input_noise(fake)
        with tf.GradientTape() as tape:
            loss = self.discriminator_loss(real, fake, conditions, training=True)
        self.apply_gradients("discriminator", loss, tape)
        self.clip_critic()
        return loss

    def generator_step(self, like: Tensor, conditions: Tensor | None) -> tf.Tensor:
        """One generator update on a batch of fresh noise (as many as ``like`` holds)."""
        latents = self._noise(like)
        with tf.GradientTape() as tape:
            fake = self.generate(latents, conditions, training=True)
            loss = self.adversarial_losses.generator(self.score(fake, conditions, True))
        self.apply_gradients("generator", loss, tape)
        return loss

    def train_step(self, data: Tensor | tuple) -> dict[str, tf.Tensor]:
        images, conditions = self.unpack(data)
        real_batches, condition_batches = self._split(images), self._split(conditions)
        for real, batch_conditions in zip(real_batches, condition_batches, strict=True):
            self._track({"discriminator_loss": self.discriminator_step(real, batch_conditions)})
        for _ in range(self.objective.generator_steps):  # at least one
            logs = self._track({"generator_loss": self.generator_step(real_batches[-1],
                                                                      condition_batches[-1])})
        return logs

    # ----------------------------------------------------------------------------- config

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(objective=self.objective.to_dict(), num_classes=self.num_classes)
        return config


def build_gan(preset: str | GANPreset = "dcgan-mnist", seed: int | None = None,
              **overrides: Any) -> GAN:
    """Builds an uncompiled GAN from a preset.

    Args:
        preset: A GAN preset name (``dcgan-mnist``, ``wgan-gp-faces``, ``cdcgan-mnist``, ...)
            or a ``GANPreset``.
        seed: Seed of the model's noise draws.
        **overrides: Preset fields to change, e.g. ``clip_value=0.02``.

    Example:
        >>> build_gan("cdcgan-mnist").num_classes
        10
    """
    config = preset.replace(**overrides) if isinstance(preset, GANPreset) else get_preset(
        preset, **overrides)
    if not isinstance(config, GANPreset):
        raise ValueError(f"{config.name!r} is not a GAN preset")
    return GAN(build_generator(config), build_gan_discriminator(config),
               objective=GANObjective.of(config), num_classes=config.num_classes,
               data_range=config.data_range, seed=seed, **config.averaging(),
               name=f"gan_{config.name}")


def build_vae_lsgan(preset: str | VAELSGANPreset = "vae-lsgan-mnist", seed: int | None = None,
                    **overrides: Any) -> GAN:
    """Builds the uncompiled GAN stage of a VAE-pretrained LSGAN preset: the refined decoder
    as the generator (fresh weights: ``networks.transfer_decoder_weights`` hands it a trained
    VAE's) and the seed's discriminator. ``preset.pretraining()`` is the VAE stage's preset
    (``build_vae``).

    Example:
        >>> gan = build_vae_lsgan("vae-lsgan-mnist", seed=0)
        >>> vae = build_vae(get_preset("vae-lsgan-mnist").pretraining(), seed=0)
        >>> transfer_decoder_weights(vae.decoder, gan.generator)
        3
    """
    config = preset.replace(**overrides) if isinstance(preset, VAELSGANPreset) else get_preset(
        preset, **overrides)
    if not isinstance(config, VAELSGANPreset):
        raise ValueError(f"{config.name!r} is not a VAE-pretrained LSGAN preset")
    return GAN(build_vae_lsgan_generator(config), build_vae_lsgan_discriminator(config),
               objective=GANObjective.of(config), data_range=config.data_range, seed=seed,
               **config.averaging(), name=f"gan_{config.name}")

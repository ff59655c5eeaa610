"""BEGAN on the adversarial base: a generator, an auto-encoder discriminator, and k_t."""

from __future__ import annotations

from typing import Any, ClassVar

import keras
import tensorflow as tf
from keras import ops

from vaegan_tf.adversarial import AdversarialModel, float32, replicas_in_sync
from vaegan_tf.losses import Tensor, began
from vaegan_tf.networks import build_began_discriminator, build_began_generator
from vaegan_tf.presets import BEGANPreset, get_preset

BEGAN_METRIC_NAMES = ("k", "convergence", "real_reconstruction_loss")


@keras.saving.register_keras_serializable(package="vaegan_tf")
class BEGAN(AdversarialModel):
    """Boundary Equilibrium GAN (Berthelot et al. 2017).

    The discriminator is an auto-encoder; L(v) = mean |v − D(v)|. One forward pass per batch:
    the generator minimises ``L(G(z))``, the discriminator ``L(x) − k_t · L(G(z))``, each with
    its own optimizer at the step's starting weights; then ``k_t`` moves by
    ``λ_k (γ L(x) − L(G(z)))`` within [0, 1]. ``k_t`` is model state (``model_state["k"]``):
    saved in ``model.keras``, restored on load and resume. The history logs ``k`` (its mean
    over the epoch's steps), ``convergence`` (M = L(x) + |γ L(x) − L(G(z))|) and
    ``real_reconstruction_loss`` (L(x)).

    Args:
        generator: z → image in ``data_range``.
        discriminator: image → its reconstruction.
        gamma: γ, the diversity ratio E L(G(z)) / E L(x) the control aims at.
        lambda_k: λ_k, the step size of k_t.
        k_initial: k_0.
        data_range: (low, high) pixel range of the data and of generated images.
        seed: Seed of the model's noise draws.

    Example:
        >>> model = build_began("began-mnist", seed=0)
        >>> model.compile(**optimizers_for(model, get_preset("began-mnist")))
        >>> model.fit(vaegan_tf.data.mnist("train", batch_size=64), epochs=1)  # doctest: +SKIP
        >>> float(model.model_state["k"]) >= 0.0
        True
    """

    network_names: ClassVar[tuple[str, ...]] = BEGANPreset.networks
    sampling_networks: ClassVar[tuple[str, ...]] = ("generator",)
    averaged_network: ClassVar[str] = "generator"

    def __init__(self, generator: keras.Model, discriminator: keras.Model, gamma: float = 0.5,
                 lambda_k: float = 0.001, k_initial: float = 0.0,
                 data_range: tuple[float, float] = (-1.0, 1.0), seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__({"generator": generator, "discriminator": discriminator},
                         latent_dim=int(generator.input_shape[-1]), data_range=data_range,
                         extra_metric_names=BEGAN_METRIC_NAMES, seed=seed,
                         state={"k": k_initial}, **kwargs)
        self.gamma, self.lambda_k, self.k_initial = float(gamma), float(lambda_k), float(
            k_initial)

    def generate(self, latents: Tensor, conditions: Tensor | None = None,
                 training: bool = False) -> tf.Tensor:
        """Images in ``data_range`` from latent codes (BEGAN is unconditional)."""
        return float32(self.network("generator", training)(latents, training=training))

    def reconstruction_losses(self, images: Tensor, training: bool) -> tuple[tf.Tensor, ...]:
        """(L(x), L(G(z))) on one batch and fresh noise."""
        fakes = self.generate(self.prior_noise(ops.shape(images)[0]), training=training)
        real_loss = began.reconstruction_l1(
            images, float32(self.discriminator(images, training=training)))
        fake_loss = began.reconstruction_l1(
            fakes, float32(self.discriminator(fakes, training=training)))
        return real_loss, fake_loss

    def compute_losses(self, images: Tensor, conditions: Tensor | None = None,
                       training: bool = False) -> dict[str, tf.Tensor]:
        real_loss, fake_loss = self.reconstruction_losses(images, training)
        return self._all_losses(real_loss, fake_loss)

    def _all_losses(self, real_loss: tf.Tensor, fake_loss: tf.Tensor) -> dict[str, tf.Tensor]:
        k = tf.identity(self.model_state["k"].value)  # read now, before this step moves it
        return {"generator_loss": fake_loss,
                "discriminator_loss": began.discriminator_loss(real_loss, fake_loss, k),
                "k": k,
                "convergence": began.convergence(real_loss, fake_loss, self.gamma),
                "real_reconstruction_loss": real_loss}

    def train_step(self, data: Tensor | tuple) -> dict[str, tf.Tensor]:
        images, _ = self.unpack(data)
        with tf.GradientTape() as generator_tape, tf.GradientTape() as discriminator_tape:
            real_loss, fake_loss = self.reconstruction_losses(images, training=True)
            losses = self._all_losses(real_loss, fake_loss)
        # The generator's backward pass reads D's weights too: the generator first.
        self.apply_in_turn([("generator", losses["generator_loss"], generator_tape),
                            ("discriminator", losses["discriminator_loss"],
                             discriminator_tape)])
        if replicas_in_sync()[0] > 1:  # every replica moves k_t by the whole batch's losses
            real_loss, fake_loss = tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.MEAN, [real_loss, fake_loss])
        k = self.model_state["k"]
        k.assign(began.k_update(k, real_loss, fake_loss, self.gamma, self.lambda_k))
        return self._track(losses)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gamma": self.gamma, "lambda_k": self.lambda_k,
                "k_initial": self.k_initial}


def build_began(preset: str | BEGANPreset = "began-mnist", seed: int | None = None,
                **overrides: Any) -> BEGAN:
    """Builds an uncompiled BEGAN from a preset (a name or a ``BEGANPreset``).

    Example:
        >>> build_began("began-mnist", gamma=0.7).gamma
        0.7
    """
    config = preset.replace(**overrides) if isinstance(preset, BEGANPreset) else get_preset(
        preset, **overrides)
    if not isinstance(config, BEGANPreset):
        raise ValueError(f"{config.name} is not a BEGAN preset")
    return BEGAN(build_began_generator(config), build_began_discriminator(config),
                 gamma=config.gamma, lambda_k=config.lambda_k, k_initial=config.k_initial,
                 data_range=config.data_range, seed=seed, **config.averaging(),
                 name=f"began_{config.name}")

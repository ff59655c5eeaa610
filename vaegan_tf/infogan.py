"""InfoGAN on the adversarial base: latent codes beside the noise, and a Q head that predicts
them from the discriminator's trunk."""

from __future__ import annotations

from typing import Any, ClassVar

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from vaegan_tf.adversarial import AdversarialModel, float32
from vaegan_tf.losses import Tensor, gan_losses
from vaegan_tf.losses.infogan import information_loss
from vaegan_tf.networks import build_generator, build_infogan_discriminator
from vaegan_tf.networks.gan import Q_HEAD_PREFIX
from vaegan_tf.presets import InfoGANPreset, get_preset

TRAVERSAL_RANGE = (-2.0, 2.0)
"""The continuous code's values across a traversal grid (beyond U(−1, 1): the paper's)."""


@keras.saving.register_keras_serializable(package="vaegan_tf")
class InfoGAN(AdversarialModel):
    """InfoGAN (Chen et al. 2016): the generator gets z ‖ c, c = a one-hot Cat(K) code ‖
    continuous codes U(−1, 1); the discriminator returns [score, Q(c | x)].

    Each train step takes one discriminator step, then one generator step, each on fresh noise
    and codes (the GAN family's alternating updates). Both add ``L_I``, the codes' negative
    log-likelihood under Q (``losses.infogan.information_loss``), to their adversarial loss:
    the discriminator's optimizer trains D's trunk, its score and the Q head on it; the
    generator's optimizer trains the generator **and the Q head** on its own (the base's
    ``optimizer_trained_variables``), as the paper maximises L_I over G and Q, unless
    ``q_trained_by_generator`` is off (the paper's code, ``openai/InfoGAN``: Q sits in D's
    variable scope, so only D's optimizer moves it). The history adds ``information_loss``
    (the generator step's).

    Sampling draws the categorical code cycling through its values (``sample(n,
    conditions=values)`` picks them) and the continuous codes uniformly; ``generate(z)``
    without codes uses value ``i % K`` and continuous codes 0. ``traversal(steps)``: rows =
    categorical value, columns = the first continuous code from −2 to 2.

    Args:
        generator: [z, c] → image in ``data_range``.
        discriminator: image → [score, Q's code logits ‖ means].
        categorical_dim: K, the categorical code's values.
        continuous_dim: The continuous codes.
        info_weight_categorical: λ of the categorical code.
        info_weight_continuous: λ of the continuous codes.
        q_trained_by_generator: Whether the generator's optimizer trains the Q head too.
        loss: The adversarial loss pair (``losses.gan_losses``).
        data_range: (low, high) pixel range of the data and of generated images.
        seed: Seed of the model's noise draws.

    Example:
        >>> model = build_infogan("infogan-mnist", seed=0)
        >>> model.compile(**optimizers_for(model, get_preset("infogan-mnist")))
        >>> model.traversal(5, seed=0).shape
        (10, 5, 28, 28, 1)
    """

    network_names: ClassVar[tuple[str, ...]] = InfoGANPreset.networks
    sampling_networks: ClassVar[tuple[str, ...]] = ("generator",)
    averaged_network: ClassVar[str] = "generator"

    def __init__(self, generator: keras.Model, discriminator: keras.Model,
                 categorical_dim: int = 10, continuous_dim: int = 2,
                 info_weight_categorical: float = 1.0, info_weight_continuous: float = 0.1,
                 q_trained_by_generator: bool = True, loss: str = "non_saturating",
                 data_range: tuple[float, float] = (-1.0, 1.0), seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__({"generator": generator, "discriminator": discriminator},
                         latent_dim=int(generator.input_shape[0][-1]), data_range=data_range,
                         extra_metric_names=("information_loss",), seed=seed, **kwargs)
        self.categorical_dim, self.continuous_dim = int(categorical_dim), int(continuous_dim)
        self.info_weight_categorical = float(info_weight_categorical)
        self.info_weight_continuous = float(info_weight_continuous)
        self.q_trained_by_generator = bool(q_trained_by_generator)
        self.loss = loss
        self.adversarial_losses = gan_losses(loss)

    # ----------------------------------------------------------------------------- codes

    def codes(self, values: Tensor, continuous: Tensor) -> tf.Tensor:
        """c for the generator: categorical ``values`` one-hot ‖ the ``continuous`` codes."""
        return ops.concatenate([ops.one_hot(ops.cast(values, "int32"), self.categorical_dim),
                                ops.cast(continuous, "float32")], axis=-1)

    def _draw_codes(self, count: Any) -> tf.Tensor:
        values = keras.random.randint((count,), 0, self.categorical_dim, seed=self.seed_generator)
        continuous = keras.random.uniform((count, self.continuous_dim), -1.0, 1.0,
                                          seed=self.seed_generator)
        return self.codes(values, continuous)

    def generate(self, latents: Tensor, conditions: Tensor | None = None,
                 training: bool = False) -> tf.Tensor:
        """Images from z and codes c (default: value ``i % K``, continuous codes 0)."""
        latents = ops.convert_to_tensor(latents, "float32")
        if conditions is None:
            count = ops.shape(latents)[0]
            conditions = self.codes(ops.arange(count) % self.categorical_dim,
                                    ops.zeros((count, self.continuous_dim)))
        return float32(self.network("generator", training)(
            [latents, ops.convert_to_tensor(conditions, "float32")], training=training))

    def sample(self, n: int, seed: int | None = None,
               conditions: Tensor | None = None) -> tf.Tensor:
        """``n`` images from z ~ N(0, I), the categorical code ``conditions`` (values; default
        cycling 0, 1, ..., K − 1) and continuous codes ~ U(−1, 1)."""
        if conditions is not None and len(conditions) != n:
            raise ValueError(f"sample({n}) needs {n} code values, got {len(conditions)}")
        draw = self.seed_generator if seed is None else keras.random.SeedGenerator(seed)
        latents = keras.random.normal((n, self.latent_dim), seed=draw)
        continuous = keras.random.uniform((n, self.continuous_dim), -1.0, 1.0, seed=draw)
        values = np.arange(n) % self.categorical_dim if conditions is None else conditions
        return self.generate(latents, self.codes(values, continuous))

    def traversal(self, steps: int, seed: int = 0, code: int = 0) -> np.ndarray:
        """(K, steps, *image): row = categorical value, column = continuous code ``code`` from
        −2 to 2 (the others 0), one z for the whole grid."""
        latent = np.random.default_rng(seed).standard_normal((1, self.latent_dim))
        values = np.repeat(np.arange(self.categorical_dim), steps)
        continuous = np.zeros((len(values), self.continuous_dim), np.float32)
        if self.continuous_dim:
            continuous[:, code] = np.tile(np.linspace(*TRAVERSAL_RANGE, steps), len(values)
                                          // steps)
        images = np.asarray(self.generate(np.repeat(latent, len(values), axis=0).astype(
            np.float32), self.codes(values, continuous)))
        return images.reshape(self.categorical_dim, steps, *images.shape[1:])

    # ----------------------------------------------------------------------------- training

    def optimizer_trained_variables(self, name: str) -> list[keras.Variable]:
        """The generator's optimizer trains the Q head too (the paper's max over G and Q),
        when ``q_trained_by_generator``."""
        variables = super().optimizer_trained_variables(name)
        if name == "generator" and self.q_trained_by_generator:
            variables = [*variables, *(variable for layer in self.discriminator.layers
                                       if layer.name.startswith(Q_HEAD_PREFIX)
                                       for variable in layer.trainable_variables)]
        return variables

    def _information(self, predicted: Tensor, codes: Tensor) -> tf.Tensor:
        return information_loss(predicted, codes, self.categorical_dim,
                                self.info_weight_categorical, self.info_weight_continuous)

    def _fakes(self, like: Tensor, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
        count = ops.shape(like)[0]
        latents = self.prior_noise(count)
        codes = self.replica_draw(lambda shape: self._draw_codes(shape[0]),
                                  (count, self.categorical_dim + self.continuous_dim))
        return self.generate(latents, codes, training=training), codes

    def compute_losses(self, images: Tensor, conditions: Tensor | None = None,
                       training: bool = False) -> dict[str, tf.Tensor]:
        fakes, codes = self._fakes(images, training)
        real_score, _ = float32(self.discriminator(images, training=training))
        fake_score, predicted = float32(self.discriminator(fakes, training=training))
        information = self._information(predicted, codes)
        return {"generator_loss": self.adversarial_losses.generator(fake_score) + information,
                "discriminator_loss": self.adversarial_losses.discriminator(
                    real_score, fake_score) + information,
                "information_loss": information}

    def train_step(self, data: Tensor | tuple) -> dict[str, tf.Tensor]:
        images, _ = self.unpack(data)
        with tf.GradientTape() as tape:
            losses = self.compute_losses(images, training=True)
        self.apply_gradients("discriminator", losses["discriminator_loss"], tape)
        with tf.GradientTape() as tape:
            fakes, codes = self._fakes(images, training=True)
            fake_score, predicted = float32(self.discriminator(fakes, training=True))
            information = self._information(predicted, codes)
            generator_loss = self.adversarial_losses.generator(fake_score) + information
        self.apply_gradients("generator", generator_loss, tape)
        return self._track({"discriminator_loss": losses["discriminator_loss"],
                            "generator_loss": generator_loss, "information_loss": information})

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "categorical_dim": self.categorical_dim,
                "continuous_dim": self.continuous_dim,
                "info_weight_categorical": self.info_weight_categorical,
                "info_weight_continuous": self.info_weight_continuous,
                "q_trained_by_generator": self.q_trained_by_generator, "loss": self.loss}


def build_infogan(preset: str | InfoGANPreset = "infogan-mnist", seed: int | None = None,
                  **overrides: Any) -> InfoGAN:
    """Builds an uncompiled InfoGAN from a preset (a name or an ``InfoGANPreset``).

    Example:
        >>> build_infogan("infogan-mnist").categorical_dim
        10
    """
    config = preset.replace(**overrides) if isinstance(preset, InfoGANPreset) else get_preset(
        preset, **overrides)
    if not isinstance(config, InfoGANPreset):
        raise ValueError(f"{config.name} is not an InfoGAN preset")
    return InfoGAN(build_generator(config, condition_dim=config.code_dim),
                   build_infogan_discriminator(config), categorical_dim=config.categorical_dim,
                   continuous_dim=config.continuous_dim,
                   info_weight_categorical=config.info_weight_categorical,
                   info_weight_continuous=config.info_weight_continuous,
                   q_trained_by_generator=config.q_trained_by_generator, loss=config.loss,
                   data_range=config.data_range, seed=seed, **config.averaging(),
                   name=f"infogan_{config.name}")

"""The reference for issue 14: the faithful MNIST VAE-GAN step written as plain Keras 3.

What a Keras user would write from the keras-io examples, without vaegan_tf: the three
networks of the ``mnist`` preset (same layers, same initialisers), a subclassed model whose
``train_step`` runs one forward pass under one persistent ``GradientTape``, the discriminator
ending in a logit with every cross-entropy taken from logits, three Adam optimizers. The
semantics are the faithful step's: D sees the real, reconstructed and prior batches in three
calls (three sets of batch-norm statistics and moving-average updates, in that order), the
losses are spec 3.2-3.4's, and all three gradients come from the same forward pass before any
update. ``benchmarks/step_comparison.py`` times it against vaegan_tf side by side.

Not part of the library: nothing imports it but the benchmark and its test.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import layers, ops

LATENT = 64
SLOPE = 0.2
FEATURE_LOSS_SCALE = 4096.0
DECODER_FEATURE_WEIGHT = 1e-8
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def conv_trunk(inputs):
    x = layers.Conv2D(64, 4, strides=2, activation=layers.LeakyReLU(negative_slope=SLOPE))(inputs)
    x = layers.Conv2D(128, 4, strides=2)(x)
    x = layers.BatchNormalization()(x)
    return layers.Flatten()(layers.LeakyReLU(negative_slope=SLOPE)(x))


def dense_bn(x, units, activation):
    x = layers.BatchNormalization()(layers.Dense(units)(x))
    return activation(x)


def build_networks() -> tuple[keras.Model, keras.Model, keras.Model]:
    """Encoder, decoder and discriminator of the ``mnist`` preset; D returns (logit, features)."""
    image = keras.Input((28, 28, 1))
    x = dense_bn(conv_trunk(image), 1024, layers.LeakyReLU(negative_slope=SLOPE))
    encoder = keras.Model(image, layers.Dense(2 * LATENT)(x), name="encoder")

    code = keras.Input((LATENT,))
    x = dense_bn(code, 1024, layers.ReLU())
    x = layers.Reshape((6, 6, 128))(dense_bn(x, 6 * 6 * 128, layers.ReLU()))
    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2DTranspose(64, 3, strides=2)(x)))
    decoder = keras.Model(code, layers.Conv2DTranspose(1, 4, strides=2, activation="tanh")(x),
                          name="decoder")

    image = keras.Input((28, 28, 1))
    features = conv_trunk(image)
    x = dense_bn(features, 1024, layers.LeakyReLU(negative_slope=SLOPE))
    discriminator = keras.Model(image, [layers.Dense(1)(x), features], name="discriminator")
    return encoder, decoder, discriminator


def bce_from_logits(target: float, logits):
    return ops.mean(ops.binary_crossentropy(ops.full_like(logits, target), logits,
                                            from_logits=True))


class PlainVAEGAN(keras.Model):
    """The faithful step, plain: one persistent tape, logits, three optimizers."""

    def __init__(self, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder, self.discriminator = build_networks()
        self.noise = keras.random.SeedGenerator(seed)
        self.trackers = [keras.metrics.Mean(name=f"{name}_loss")
                         for name in ("encoder", "decoder", "discriminator")]

    def compile(self, encoder_optimizer, decoder_optimizer, discriminator_optimizer, **kwargs):
        super().compile(**kwargs)
        self.optimizers = [encoder_optimizer, decoder_optimizer, discriminator_optimizer]
        for optimizer, network in zip(self.optimizers, self.networks, strict=True):
            optimizer.build(network.trainable_variables)

    @property
    def networks(self):
        return [self.encoder, self.decoder, self.discriminator]

    @property
    def metrics(self):
        return self.trackers

    def losses_of(self, images, training=True):
        statistics = self.encoder(images, training=training)
        mean, log_var = ops.split(statistics, 2, axis=-1)
        codes = mean + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mean),
                                                                  seed=self.noise)
        prior = keras.random.normal(ops.shape(mean), seed=self.noise)
        reconstructions = self.decoder(codes, training=training)
        samples = self.decoder(prior, training=training)
        real_logit, real_features = self.discriminator(images, training=training)
        fake_logit, fake_features = self.discriminator(reconstructions, training=training)
        prior_logit, _ = self.discriminator(samples, training=training)
        log_likelihood = ops.mean(ops.sum(
            -HALF_LOG_2PI - 0.5 * ops.square(fake_features - real_features), axis=-1))
        kl = -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var))
        batch = ops.cast(ops.shape(mean)[0], "float32")
        return (
            kl / (batch * LATENT) - log_likelihood / FEATURE_LOSS_SCALE,
            bce_from_logits(1.0, fake_logit) + bce_from_logits(1.0, prior_logit)
            - DECODER_FEATURE_WEIGHT * log_likelihood,
            bce_from_logits(1.0, real_logit) + bce_from_logits(0.0, fake_logit)
            + bce_from_logits(0.0, prior_logit),
        )

    def train_step(self, images):
        with tf.GradientTape(persistent=True) as tape:
            losses = self.losses_of(images)
        gradients = [tape.gradient(loss, network.trainable_variables)
                     for loss, network in zip(losses, self.networks, strict=True)]
        del tape
        for optimizer, network, network_gradients in zip(
                self.optimizers, self.networks, gradients, strict=True):
            optimizer.apply_gradients(zip(network_gradients, network.trainable_variables,
                                          strict=True))
        for tracker, loss in zip(self.trackers, losses, strict=True):
            tracker.update_state(loss)
        return {tracker.name: tracker.result() for tracker in self.trackers}


def plain_model(seed: int = 0, learning_rate: float = 5e-4, jit_compile: bool = True
                ) -> PlainVAEGAN:
    model = PlainVAEGAN(seed=seed)
    model.compile(*(keras.optimizers.Adam(learning_rate) for _ in range(3)),
                  jit_compile=jit_compile)
    return model

"""The Larsen VAE-GAN's networks, from a ``LarsenPreset``: the layer tables of the PyTorch
port of "Autoencoding beyond pixels" (seed 002), parameterised by image size."""

from __future__ import annotations

import math

import keras
from keras import layers

from vaegan_tf.fast_paths import layer_types
from vaegan_tf.presets import LarsenPreset


def _activated(x: keras.KerasTensor, preset: LarsenPreset,
               batch_norm: bool = True) -> keras.KerasTensor:
    if batch_norm:
        x = layer_types().BatchNormalization()(x)
    return layers.LeakyReLU(negative_slope=preset.leaky_relu_slope)(x)


def build_larsen_encoder(preset: LarsenPreset) -> keras.Model:
    """Image → mean ‖ log-variance of q(z | x) (``2 * latent_dim`` values; the port's two
    Linear heads as one).

    Example:
        >>> build_larsen_encoder(get_preset("larsen-faces")).count_params()
        35112064
    """
    kinds = layer_types()
    inputs = keras.Input(preset.image_shape, name="encoder_inp")
    x = inputs
    for filters in preset.encoder_filters:
        x = _activated(kinds.Conv2D(filters, preset.kernel_size, strides=2, padding="same")(x),
                       preset)
    x = _activated(kinds.Dense(preset.encoder_units)(layers.Flatten()(x)), preset)
    return keras.Model(inputs, kinds.Dense(2 * preset.latent_dim)(x), name="encoder")


def build_larsen_decoder(preset: LarsenPreset) -> keras.Model:
    """Latent code → image in the preset's data range.

    Example:
        >>> build_larsen_decoder(get_preset("larsen-mnist")).output_shape
        (None, 28, 28, 1)
    """
    kinds = layer_types()
    inputs = keras.Input((preset.latent_dim,), name="decoder_inp")
    x = _activated(kinds.Dense(math.prod(preset.decoder_base_shape))(inputs), preset)
    x = layers.Reshape(preset.decoder_base_shape)(x)
    for filters, stride in zip(preset.decoder_filters, preset.decoder_strides, strict=True):
        x = _activated(kinds.Conv2DTranspose(filters, preset.decoder_kernel_size,
                                             strides=stride, padding="same")(x), preset)
    outputs = kinds.Conv2DTranspose(preset.image_shape[-1], preset.kernel_size, padding="same",
                                    activation=preset.output_activation)(x)
    return keras.Model(inputs, outputs, name="decoder")


def build_larsen_discriminator(preset: LarsenPreset) -> keras.Model:
    """Image → [P(real), the learned-similarity features]: the output of convolution
    ``feature_layer`` before its batch norm, flattened (the port's ``recon_level``).

    Example:
        >>> build_larsen_discriminator(get_preset("larsen-faces")).output_shape[1]
        (None, 16384)
    """
    kinds = layer_types()
    inputs = keras.Input(preset.image_shape, name="discriminator_inp")
    x, features = inputs, None
    for index, filters in enumerate(preset.discriminator_filters):
        x = kinds.Conv2D(filters, preset.kernel_size, strides=1 if index == 0 else 2,
                         padding="same")(x)
        if index == preset.feature_layer:
            features = layers.Flatten(name="similarity_features")(x)
        x = _activated(x, preset, batch_norm=index > 0)
    x = _activated(kinds.Dense(preset.discriminator_units)(layers.Flatten()(x)), preset)
    probability = kinds.Dense(1, activation="sigmoid", name="score")(x)
    return keras.Model(inputs, [probability, features], name="discriminator")

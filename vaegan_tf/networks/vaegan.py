"""The three VAE-GAN networks as Keras functional models, built from a preset (spec 2.1).

BatchNormalization always sits between a linear layer and its activation, as in the original
("BatchNormalization must be placed before the activation or no image can be generated").
Input names follow the original's ``plot_model`` diagrams: ``encoder_inp``, ``decoder_inp``,
``discriminator_inp``.
"""

from __future__ import annotations

import math

import keras
from keras import layers

from vaegan_tf.fast_paths import layer_types
from vaegan_tf.layers import MinibatchDiscrimination
from vaegan_tf.presets import VAEGANPreset


def _activation(name: str, slope: float) -> keras.layers.Layer | None:
    if name == "leaky_relu":
        return layers.LeakyReLU(negative_slope=slope)
    if name == "relu":
        return layers.ReLU()
    if name == "linear":
        return None
    raise ValueError(f"Unknown activation {name!r}; use 'leaky_relu', 'relu' or 'linear'")


def _conv_block(
    inputs: keras.KerasTensor, preset: VAEGANPreset
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """Conv 64 (s2) → Conv 128 (s2) → BN → LeakyReLU → Flatten.

    Returns the flattened output and the flattened tensor at ``preset.feature_tap``.
    """
    kinds = layer_types()
    first_filters, second_filters = preset.conv_filters
    x = kinds.Conv2D(
        first_filters, preset.conv_kernel_size, strides=2, padding="valid",
        activation=_activation(preset.first_conv_activation, preset.leaky_relu_slope),
    )(inputs)
    conv = kinds.Conv2D(second_filters, preset.conv_kernel_size, strides=2, padding="valid")(x)
    batch_norm = kinds.BatchNormalization()(conv)
    output = layers.Flatten()(layers.LeakyReLU(negative_slope=preset.leaky_relu_slope)(batch_norm))
    taps = {"conv": conv, "batch_norm": batch_norm}
    features = output if preset.feature_tap == "activation" else layers.Flatten()(
        taps[preset.feature_tap]
    )
    return output, features


def _dense_block(
    inputs: keras.KerasTensor, units: int, activation: str, slope: float
) -> keras.KerasTensor:
    """Dense → BN → activation."""
    kinds = layer_types()
    x = kinds.Dense(units)(inputs)
    x = kinds.BatchNormalization()(x)
    return _activation(activation, slope)(x)


def build_encoder(preset: VAEGANPreset) -> keras.Model:
    """Image → ``2 * latent_dim`` values: the mean, then the log-variance, of q(z | x).

    Example:
        >>> build_encoder(get_preset("mnist")).output_shape
        (None, 128)
    """
    inputs = keras.Input(preset.image_shape, name="encoder_inp")
    trunk, _ = _conv_block(inputs, preset)
    x = _dense_block(trunk, preset.dense_units, "leaky_relu", preset.leaky_relu_slope)
    outputs = layer_types().Dense(2 * preset.latent_dim)(x)
    return keras.Model(inputs, outputs, name="encoder")


def build_decoder(preset: VAEGANPreset) -> keras.Model:
    """Latent code → image in the preset's data range.

    Example:
        >>> build_decoder(get_preset("mnist")).output_shape
        (None, 28, 28, 1)
    """
    kinds = layer_types()
    first_kernel, second_kernel = preset.decoder_kernel_sizes
    inputs = keras.Input((preset.latent_dim,), name="decoder_inp")
    x = _dense_block(inputs, preset.dense_units, "relu", preset.leaky_relu_slope)
    x = _dense_block(x, math.prod(preset.decoder_base_shape), "relu", preset.leaky_relu_slope)
    x = layers.Reshape(preset.decoder_base_shape)(x)
    x = kinds.Conv2DTranspose(preset.decoder_filters, first_kernel, strides=2,
                              padding="valid")(x)
    x = kinds.BatchNormalization()(x)
    x = layers.ReLU()(x)
    outputs = kinds.Conv2DTranspose(
        preset.image_shape[-1], second_kernel, strides=2, padding="valid",
        activation=preset.output_activation,
    )(x)
    model = keras.Model(inputs, outputs, name="decoder")
    if model.output_shape[1:] != tuple(preset.image_shape):
        raise ValueError(
            f"Decoder produces {model.output_shape[1:]} but the preset's image_shape is "
            f"{preset.image_shape}; adjust decoder_base_shape or decoder_kernel_sizes"
        )
    return model


def build_discriminator(preset: VAEGANPreset) -> keras.Model:
    """Image → [P(real), learned-similarity features] (the encoder's trunk, then Dense 1 sigmoid).

    Faces add minibatch discrimination and dropout between the conv block and the dense layer.

    The second output is the flattened conv-block tensor chosen by ``preset.feature_tap``;
    the VAE-GAN's Loss_ll compares it between real images and reconstructions (spec 3.2).

    Example:
        >>> print(*build_discriminator(get_preset("mnist")).output_shape)
        (None, 1) (None, 3200)
    """
    inputs = keras.Input(preset.image_shape, name="discriminator_inp")
    trunk, features = _conv_block(inputs, preset)
    if preset.minibatch_kernels:
        trunk = MinibatchDiscrimination(
            preset.minibatch_kernels, preset.minibatch_kernel_dim, name="minibatch_layer"
        )(trunk)
    if preset.discriminator_dropout:
        trunk = layers.Dropout(preset.discriminator_dropout)(trunk)
    x = _dense_block(trunk, preset.dense_units, "leaky_relu", preset.leaky_relu_slope)
    probability = layer_types().Dense(1, activation="sigmoid", name="prob")(x)
    return keras.Model(inputs, [probability, features], name="discriminator")

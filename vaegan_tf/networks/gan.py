"""The GAN family's networks: a DCGAN-style generator and discriminator built from a
``GANPreset``.

Generator: z (‖ condition) → [Dense ``dense_units`` → BN → ReLU] → Dense → BN → ReLU → a
``base × base`` feature map → stride-2 transposed convolutions (BN, ReLU), each doubling the
size and halving the width → a last one to ``image_shape`` with the preset's output activation.
Discriminator: image (‖ condition tiled as channels) → stride-2 convolutions, LeakyReLU, with
the preset's normalization after all but the first → [Dense ``dense_units`` → norm → LeakyReLU]
→ Dense 1: a logit (a raw score for the Wasserstein and least-squares losses).
"""

from __future__ import annotations

import keras
from keras import layers

from vaegan_tf.fast_paths import layer_types
from vaegan_tf.layers import ConditionChannels, SpectralNormalization
from vaegan_tf.presets import GANPreset, InfoGANPreset

SMALLEST_BASE = 4
"""The generator's first feature map is the image size halved while even and above this."""


def resolutions(image_size: int) -> list[int]:
    """The feature-map sizes from the generator's first map up to the image: 28 → [7, 14, 28],
    64 → [4, 8, 16, 32, 64]."""
    sizes = [image_size]
    while sizes[0] % 2 == 0 and sizes[0] > SMALLEST_BASE:
        sizes.insert(0, sizes[0] // 2)
    if len(sizes) < 2:
        raise ValueError(f"Image size {image_size} cannot be reached by doubling; use a size "
                         "divisible by 2, e.g. 28 or 64")
    return sizes


def _initializer(preset: GANPreset) -> str | keras.initializers.Initializer:
    if not preset.weight_init_stddev:
        return "glorot_uniform"
    return keras.initializers.RandomNormal(stddev=preset.weight_init_stddev)


def _widths(preset: GANPreset, filters: int, count: int) -> list[int]:
    """``count`` widths from the lowest resolution up: doubling downwards from ``filters``."""
    return [filters * 2 ** (count - 1 - index) for index in range(count)]


def _conditioned_inputs(
    condition_dim: int, shape: tuple[int, ...], name: str
) -> tuple[list[keras.KerasTensor], keras.KerasTensor | None]:
    inputs = [keras.Input(shape, name=name)]
    if condition_dim:
        inputs.append(keras.Input((condition_dim,), name=f"{name}_condition"))
    return inputs, inputs[1] if condition_dim else None


def _generator_activation(preset: GANPreset) -> keras.layers.Layer:
    if preset.generator_activation == "leaky_relu":
        return layers.LeakyReLU(negative_slope=preset.leaky_relu_slope)
    return layers.ReLU()


def build_generator(preset: GANPreset, condition_dim: int | None = None) -> keras.Model:
    """z (and the condition) → an image in the preset's data range.

    Args:
        preset: The GAN preset.
        condition_dim: The width of the second input (default: the preset's condition; an
            InfoGAN's latent codes).

    Example:
        >>> build_generator(get_preset("dcgan-mnist")).output_shape
        (None, 28, 28, 1)
    """
    height, width, channels = preset.image_shape
    sizes = resolutions(height)
    if resolutions(width) != [size * width // height for size in sizes]:
        raise ValueError(f"Only square images are supported, got {preset.image_shape}")
    init = _initializer(preset)
    kinds = layer_types()
    inputs, condition = _conditioned_inputs(
        preset.condition_dim if condition_dim is None else condition_dim,
        (preset.latent_dim,), "generator_inp")
    noise = inputs[0] if preset.noise_scale == 1.0 else layers.Rescaling(
        preset.noise_scale, name="noise_scale")(inputs[0])
    x = noise if condition is None else layers.Concatenate()([noise, condition])
    widths = _widths(preset, preset.generator_filters, len(sizes) - 1)
    if preset.dense_units:
        x = kinds.Dense(preset.dense_units, kernel_initializer=init)(x)
        x = _generator_activation(preset)(kinds.BatchNormalization()(x))
    x = kinds.Dense(sizes[0] * sizes[0] * widths[0], kernel_initializer=init)(x)
    x = _generator_activation(preset)(kinds.BatchNormalization()(x))
    x = layers.Reshape((sizes[0], sizes[0], widths[0]))(x)
    for filters in widths[1:]:
        x = kinds.Conv2DTranspose(filters, 4, strides=2, padding="same",
                                  kernel_initializer=init)(x)
        x = _generator_activation(preset)(kinds.BatchNormalization()(x))
    outputs = kinds.Conv2DTranspose(channels, 4, strides=2, padding="same",
                              activation=preset.output_activation, kernel_initializer=init)(x)
    return keras.Model(inputs if condition is not None else inputs[0], outputs,
                       name="generator")


def _normalization(preset: GANPreset) -> keras.layers.Layer | None:
    kind = preset.discriminator_normalization
    if kind == "batch_norm":
        return layer_types().BatchNormalization()
    if kind == "layer_norm":
        return layers.LayerNormalization()
    return None


def _activated(x: keras.KerasTensor, preset: GANPreset) -> keras.KerasTensor:
    """D's LeakyReLU, and the preset's dropout after it."""
    x = layers.LeakyReLU(negative_slope=preset.leaky_relu_slope)(x)
    return layers.Dropout(preset.discriminator_dropout)(x) if preset.discriminator_dropout \
        else x


def _normalized(x: keras.KerasTensor, preset: GANPreset) -> keras.KerasTensor:
    normalization = _normalization(preset)
    return _activated(x if normalization is None else normalization(x), preset)


def _spectral(layer: keras.layers.Layer, preset: GANPreset) -> keras.layers.Layer:
    """``layer`` computing with W / σ(W) where the preset says so."""
    return SpectralNormalization(layer) if preset.spectral_norm else layer


def _discriminator_trunk(preset: GANPreset, x: keras.KerasTensor) -> keras.KerasTensor:
    """Stride-2 convolutions with LeakyReLU (the preset's normalization after all but the
    first), flattened, and the optional dense block: what the score (and InfoGAN's Q head)
    read."""
    sizes = resolutions(preset.image_shape[0])
    init = _initializer(preset)
    kinds = layer_types()
    widths = _widths(preset, preset.discriminator_filters, len(sizes) - 1)[::-1]
    for index, filters in enumerate(widths):
        x = _spectral(kinds.Conv2D(filters, 4, strides=2, padding="same",
                                   kernel_initializer=init), preset)(x)
        x = _activated(x, preset) if index == 0 else _normalized(x, preset)
    x = layers.Flatten()(x)
    if preset.dense_units:
        x = _normalized(_spectral(kinds.Dense(preset.dense_units, kernel_initializer=init),
                                  preset)(x), preset)
    return x


def build_gan_discriminator(preset: GANPreset) -> keras.Model:
    """An image (and the condition) → one score per image, a logit (no sigmoid).

    Example:
        >>> build_gan_discriminator(get_preset("dcgan-mnist")).output_shape
        (None, 1)
    """
    inputs, condition = _conditioned_inputs(preset.condition_dim, preset.image_shape,
                                            "discriminator_inp")
    x = inputs[0] if condition is None else ConditionChannels()([inputs[0], condition])
    outputs = _spectral(layer_types().Dense(1, kernel_initializer=_initializer(preset),
                                            name="score"), preset)(
        _discriminator_trunk(preset, x))
    return keras.Model(inputs if condition is not None else inputs[0], outputs,
                       name="discriminator")


Q_HEAD_PREFIX = "q_"
"""The names of the Q head's layers start with this (``InfoGAN`` finds its variables by it)."""


def build_infogan_discriminator(preset: InfoGANPreset) -> keras.Model:
    """An image → [a score (logit), Q's prediction of the codes]: the GAN discriminator's
    trunk, then the score, and a Q head (Dense ``q_units`` → BN → LeakyReLU → the categorical
    code's logits ‖ the continuous codes' means), as the InfoGAN paper's Q.

    Example:
        >>> print(*build_infogan_discriminator(get_preset("infogan-mnist")).output_shape)
        (None, 1) (None, 12)
    """
    kinds = layer_types()
    init = _initializer(preset)
    inputs = keras.Input(preset.image_shape, name="discriminator_inp")
    trunk = _discriminator_trunk(preset, inputs)
    score = kinds.Dense(1, kernel_initializer=init, name="score")(trunk)
    q = kinds.Dense(preset.q_units, kernel_initializer=init, name=f"{Q_HEAD_PREFIX}hidden")(trunk)
    q = kinds.BatchNormalization(name=f"{Q_HEAD_PREFIX}norm")(q)
    q = layers.LeakyReLU(negative_slope=preset.leaky_relu_slope, name=f"{Q_HEAD_PREFIX}act")(q)
    codes = kinds.Dense(preset.code_dim, kernel_initializer=init,
                        name=f"{Q_HEAD_PREFIX}codes")(q)
    return keras.Model(inputs, [score, codes], name="discriminator")

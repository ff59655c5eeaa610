"""One convolution stack down and its mirror up, built from a ``ConvStackPreset``: the VAE's
encoder and decoder (the VAE seed's layer table) and BEGAN's generator and auto-encoder
discriminator.

Down: image → [Conv ``kernel_size`` stride 2 same → (BN) → LeakyReLU] per width of
``encoder_filters`` → flatten → Dense. Up: code → Dense → the last down map's shape →
[ConvTranspose stride 2 same → (BN) → LeakyReLU] per width, reversed, the last into the
image's channels → (BN) → the output activation (the VAE seed ends in ``BatchNorm2d(3)`` and
``Tanh``). At 64×64 with widths 32-64-128-256-512 these are the seed's 64 → 2 and 2 → 64 stacks.
"""

from __future__ import annotations

import math

import keras
from keras import layers

from vaegan_tf.fast_paths import layer_types
from vaegan_tf.presets import BEGANPreset, ConvStackPreset, VAEPreset


def base_shape(preset: ConvStackPreset) -> tuple[int, int, int]:
    """The last map of the stack down, where the stack up starts: the image halved once per
    width.

    Raises:
        ValueError: the image's sides do not halve that often.
    """
    height, width, _ = preset.image_shape
    steps = len(preset.encoder_filters)
    if height % 2**steps or width % 2**steps:
        raise ValueError(f"{steps} stride-2 steps need image sides divisible by {2**steps}; "
                         f"{preset.image_shape} are not (fewer encoder_filters, or another "
                         "image_shape)")
    return height // 2**steps, width // 2**steps, preset.encoder_filters[-1]


def _activated(x: keras.KerasTensor, preset: ConvStackPreset) -> keras.KerasTensor:
    if preset.batch_norm:
        x = layer_types().BatchNormalization()(x)
    return layers.LeakyReLU(negative_slope=preset.leaky_relu_slope)(x)


def conv_encoder(preset: ConvStackPreset, width: int, name: str) -> keras.Model:
    """Image → ``width`` values through the stack down."""
    kinds = layer_types()
    base_shape(preset)
    inputs = keras.Input(preset.image_shape, name=f"{name}_inp")
    x = inputs
    for filters in preset.encoder_filters:
        x = _activated(kinds.Conv2D(filters, preset.kernel_size, strides=2,
                                    padding="same")(x), preset)
    return keras.Model(inputs, kinds.Dense(width)(layers.Flatten()(x)), name=name)


def conv_decoder(preset: ConvStackPreset, width: int, name: str) -> keras.Model:
    """A code of ``width`` values → an image in the preset's data range, through the stack
    up."""
    kinds = layer_types()
    shape = base_shape(preset)
    inputs = keras.Input((width,), name=f"{name}_inp")
    x = layers.Reshape(shape)(kinds.Dense(math.prod(shape))(inputs))
    widths = [*preset.encoder_filters[-2::-1], preset.image_shape[-1]]
    for index, filters in enumerate(widths):
        x = kinds.Conv2DTranspose(filters, preset.kernel_size, strides=2, padding="same")(x)
        if index < len(widths) - 1:
            x = _activated(x, preset)
    if preset.batch_norm:
        x = kinds.BatchNormalization()(x)
    outputs = layers.Activation(preset.output_activation)(x)
    return keras.Model(inputs, outputs, name=name)


def build_vae_encoder(preset: VAEPreset) -> keras.Model:
    """Image → ``2 * latent_dim`` values: the mean, then the log-variance, of q(z | x) (the
    seed's two Linear layers as one).

    Example:
        >>> build_vae_encoder(get_preset("vae-mnist")).output_shape
        (None, 128)
    """
    return conv_encoder(preset, 2 * preset.latent_dim, "encoder")


def build_vae_decoder(preset: VAEPreset) -> keras.Model:
    """Latent code → image in the preset's data range.

    Example:
        >>> build_vae_decoder(get_preset("vae-mnist")).output_shape
        (None, 28, 28, 1)
    """
    return conv_decoder(preset, preset.latent_dim, "decoder")


def build_began_generator(preset: BEGANPreset) -> keras.Model:
    """z → image: the architecture of the discriminator's decoder (the BEGAN paper's)."""
    return conv_decoder(preset, preset.latent_dim, "generator")


def build_began_discriminator(preset: BEGANPreset) -> keras.Model:
    """Image → its reconstruction through a code of ``hidden_dim`` values: BEGAN's
    auto-encoder discriminator (one functional model: the stack down, then up).

    Example:
        >>> build_began_discriminator(get_preset("began-mnist")).output_shape
        (None, 28, 28, 1)
    """
    encoder = conv_encoder(preset, preset.hidden_dim, "discriminator_encoder")
    decoder = conv_decoder(preset, preset.hidden_dim, "discriminator_decoder")
    inputs = keras.Input(preset.image_shape, name="discriminator_inp")
    return keras.Model(inputs, decoder(encoder(inputs)), name="discriminator")

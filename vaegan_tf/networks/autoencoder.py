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
from vaegan_tf.presets import BEGANPreset, ConvStackPreset, VAELSGANPreset, VAEPreset


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


def _stack_down(x: keras.KerasTensor, preset: ConvStackPreset,
                widths: tuple[int, ...]) -> keras.KerasTensor:
    """[Conv ``kernel_size`` stride 2 same → (BN) → LeakyReLU] per width, flattened."""
    for filters in widths:
        x = _activated(layer_types().Conv2D(filters, preset.kernel_size, strides=2,
                                            padding="same")(x), preset)
    return layers.Flatten()(x)


def conv_encoder(preset: ConvStackPreset, width: int, name: str) -> keras.Model:
    """Image → ``width`` values through the stack down."""
    base_shape(preset)
    inputs = keras.Input(preset.image_shape, name=f"{name}_inp")
    outputs = layer_types().Dense(width)(_stack_down(inputs, preset, preset.encoder_filters))
    return keras.Model(inputs, outputs, name=name)


def conv_decoder(preset: ConvStackPreset, width: int, name: str,
                 refined: bool = False) -> keras.Model:
    """A code of ``width`` values → an image in the preset's data range, through the stack
    up. ``refined``: the VAE-pretrained LSGAN's generator, whose last block keeps the width
    (ConvTranspose → BN → LeakyReLU at the image's size) and ends in a 3×3 convolution to
    the image's channels and the output activation; every layer before it is the decoder's
    (``transfer_decoder_weights``)."""
    kinds = layer_types()
    shape = base_shape(preset)
    inputs = keras.Input((width,), name=f"{name}_inp")
    x = layers.Reshape(shape)(kinds.Dense(math.prod(shape))(inputs))
    channels = preset.image_shape[-1]
    hidden = preset.encoder_filters[-2::-1]
    for filters in hidden:
        x = _activated(kinds.Conv2DTranspose(filters, preset.kernel_size, strides=2,
                                             padding="same")(x), preset)
    last_width = hidden[-1] if hidden else shape[-1]
    x = kinds.Conv2DTranspose(last_width if refined else channels, preset.kernel_size,
                              strides=2, padding="same")(x)
    if refined:
        x = kinds.Conv2D(channels, 3, padding="same")(_activated(x, preset))
    elif preset.batch_norm:
        x = kinds.BatchNormalization()(x)
    outputs = layers.Activation(preset.output_activation)(x)
    return keras.Model(inputs, outputs, name=name)


def _weighted_layers(network: keras.Model) -> list[keras.layers.Layer]:
    return [layer for layer in network.layers if layer.weights]


def transfer_decoder_weights(decoder: keras.Model, generator: keras.Model) -> int:
    """Copies a VAE decoder's weights into a ``refined`` generator of the same preset: every
    layer before the decoder's last transposed convolution (the dense layer and each
    upsampling block, batch-norm statistics included). Returns how many layers it copied.

    Raises:
        ValueError: the two networks' shared layers differ in kind or shape (another preset).

    Example:
        >>> transfer_decoder_weights(vae.decoder, gan.generator)  # doctest: +SKIP
        9
    """
    source = _weighted_layers(decoder)
    last = max(index for index, layer in enumerate(source)
               if isinstance(layer, keras.layers.Conv2DTranspose))
    target = _weighted_layers(generator)
    for from_layer, to_layer in zip(source[:last], target, strict=False):
        shapes = [tuple(weight.shape) for weight in from_layer.weights]
        if type(from_layer) is not type(to_layer) or shapes != [
                tuple(weight.shape) for weight in to_layer.weights]:
            raise ValueError(f"decoder layer {from_layer.name} ({type(from_layer).__name__}, "
                             f"{shapes}) does not match generator layer {to_layer.name}: the "
                             "generator was built from another preset")
        to_layer.set_weights(from_layer.get_weights())
    return last


def build_vae_lsgan_generator(preset: VAELSGANPreset) -> keras.Model:
    """z → image: the VAE decoder's layers, then the seed's refining block (``conv_decoder``
    with ``refined``). At 64×64×3 the seed's 1,842,531 parameters.

    Example:
        >>> build_vae_lsgan_generator(get_preset("vae-lsgan-mnist")).output_shape
        (None, 28, 28, 1)
    """
    return conv_decoder(preset, preset.latent_dim, "generator", refined=True)


def build_vae_lsgan_discriminator(preset: VAELSGANPreset) -> keras.Model:
    """Image → one score: the stack down at ``discriminator_filters`` (batch norm after every
    convolution, the first too), Dense ``discriminator_units`` → LeakyReLU → Dense 1, the
    seed's "unbalanced" discriminator (913,921 parameters at 64×64×3).

    Example:
        >>> build_vae_lsgan_discriminator(get_preset("vae-lsgan-mnist")).output_shape
        (None, 1)
    """
    kinds = layer_types()
    inputs = keras.Input(preset.image_shape, name="discriminator_inp")
    x = kinds.Dense(preset.discriminator_units)(
        _stack_down(inputs, preset, preset.discriminator_filters))
    x = layers.LeakyReLU(negative_slope=preset.leaky_relu_slope)(x)
    return keras.Model(inputs, kinds.Dense(1, name="score")(x), name="discriminator")


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

"""Network builders: Keras functional models built from a preset.

- ``vaegan``: the NTUT VAE-GAN's encoder, decoder and discriminator (spec 2.1, 2.2);
- ``gan``: the GAN family's DCGAN-style generator and discriminator (logits out);
- ``autoencoder``: a convolution stack down and up: the VAE's encoder and decoder (the VAE
  seed's layer table), BEGAN's generator and auto-encoder discriminator, the VAE-pretrained
  LSGAN's generator (the decoder refined) and discriminator;
- ``larsen``: the Larsen VAE-GAN's networks (seed 002's PyTorch port);
- ``segmented``: one network called on several batches, each Dense layer once on all rows.
"""

from vaegan_tf.networks.autoencoder import (
    build_began_discriminator,
    build_began_generator,
    build_vae_decoder,
    build_vae_encoder,
    build_vae_lsgan_discriminator,
    build_vae_lsgan_generator,
    transfer_decoder_weights,
)
from vaegan_tf.networks.gan import (
    build_gan_discriminator,
    build_generator,
    build_infogan_discriminator,
)
from vaegan_tf.networks.larsen import (
    build_larsen_decoder,
    build_larsen_discriminator,
    build_larsen_encoder,
)
from vaegan_tf.networks.segmented import call_per_batch
from vaegan_tf.networks.vaegan import build_decoder, build_discriminator, build_encoder

__all__ = [
    "build_began_discriminator",
    "build_began_generator",
    "build_decoder",
    "build_discriminator",
    "build_encoder",
    "build_gan_discriminator",
    "build_generator",
    "build_infogan_discriminator",
    "build_larsen_decoder",
    "build_larsen_discriminator",
    "build_larsen_encoder",
    "build_vae_decoder",
    "build_vae_encoder",
    "build_vae_lsgan_discriminator",
    "build_vae_lsgan_generator",
    "call_per_batch",
    "transfer_decoder_weights",
]

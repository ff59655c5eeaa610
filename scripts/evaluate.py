"""Score a saved VAE-GAN or a folder of images: ``vaegan-tf evaluate`` (see its --help)."""

import sys

import vaegan_tf  # noqa: F401  (sets TF_ENABLE_ONEDNN_OPTS before TensorFlow loads)
from vaegan_tf.commands.evaluate import main

if __name__ == "__main__":
    sys.exit(main(prog="scripts/evaluate.py"))

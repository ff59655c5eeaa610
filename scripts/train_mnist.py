"""Train the NTUT VAE-GAN on MNIST: ``vaegan-tf train`` limited to the MNIST presets.

Example:
    python scripts/train_mnist.py --epochs 10 --sample-every 1 --out runs/mnist
"""

import functools
import sys

import vaegan_tf
from vaegan_tf.commands import train

MNIST_PRESETS = tuple(sorted(
    name for name, preset in vaegan_tf.PRESETS.items()
    if preset.family == "vaegan" and train.is_mnist(preset)))
OPTIONS = {"presets": MNIST_PRESETS, "default_preset": "mnist", "prog": "scripts/train_mnist.py"}
parse_args = functools.partial(train.parse_args, **OPTIONS)
main = functools.partial(train.main, **OPTIONS)

if __name__ == "__main__":
    sys.exit(main())

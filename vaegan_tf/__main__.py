"""``python -m vaegan_tf`` / ``vaegan-tf``: one command line for training and evaluation.

Subcommands: ``SUBCOMMANDS`` below (``vaegan-tf --help`` lists them);
``vaegan-tf SUBCOMMAND --help`` shows each one's options with their defaults.
"""

from __future__ import annotations

import importlib
import sys

import vaegan_tf  # noqa: F401  (sets TF_ENABLE_ONEDNN_OPTS before TensorFlow loads)

SUBCOMMANDS = {  # name: (module in vaegan_tf.commands, function, summary)
    "train": ("train", "main", "train any preset and write a run directory"),
    "evaluate": ("evaluate", "main", "score a saved model, a folder of images or real digits"),
    "gif": ("gif", "main", "render a progress GIF from a folder of sample grids"),
    "train-classifier": ("train_classifier", "main",
                         "a classifier of your labelled data, to score samples of it"),
    "sample": ("latent_tools", "sample", "a grid of prior samples from a saved model"),
    "reconstruct": ("latent_tools", "reconstruct", "originals above their reconstructions"),
    "variations": ("latent_tools", "variations",
                   "each image, then decodings of draws from q(z|x) of it"),
    "interpolate": ("latent_tools", "interpolate", "decode between two images' codes (PNG, GIF)"),
    "walk": ("latent_tools", "walk", "a GIF of a random walk through the prior"),
    "arithmetic": ("latent_tools", "arithmetic", "MNIST: move one digit's codes towards another"),
    "presets": ("presets", "main", "list every preset: family, data, sizes, optimizer, recipe"),
}


def usage() -> str:
    lines = ["usage: vaegan-tf SUBCOMMAND [options]   (vaegan-tf SUBCOMMAND --help)", "",
             "subcommands:"]
    lines += [f"  {name:16s} {text}" for name, (_, _, text) in SUBCOMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in SUBCOMMANDS:
        print(f"{usage()}\n\nvaegan-tf: error: unknown subcommand {name!r}", file=sys.stderr)
        return 2
    module, function, _ = SUBCOMMANDS[name]
    command = getattr(importlib.import_module(f"vaegan_tf.commands.{module}"), function)
    return command(rest, prog=f"vaegan-tf {name}")


if __name__ == "__main__":
    sys.exit(main())

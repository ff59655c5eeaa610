"""``python -m vaegan_tf`` / ``vaegan-tf``: one command line for training and evaluation.

Subcommands: ``train``, ``evaluate``, ``gif``; ``vaegan-tf SUBCOMMAND --help`` shows each one's
options with their defaults.
"""

from __future__ import annotations

import importlib
import sys

import vaegan_tf  # noqa: F401  (sets TF_ENABLE_ONEDNN_OPTS before TensorFlow loads)

SUBCOMMANDS = {
    "train": "train any preset and write a run directory",
    "evaluate": "score a saved model, a folder of images or real MNIST digits",
    "gif": "render a progress GIF from a folder of sample grids",
}


def usage() -> str:
    lines = ["usage: vaegan-tf SUBCOMMAND [options]   (vaegan-tf SUBCOMMAND --help)", "",
             "subcommands:"]
    lines += [f"  {name:10s} {text}" for name, text in SUBCOMMANDS.items()]
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
    command = importlib.import_module(f"vaegan_tf.commands.{name}")
    return command.main(rest, prog=f"vaegan-tf {name}")


if __name__ == "__main__":
    sys.exit(main())

"""Render a progress GIF from a folder of sample grids: ``vaegan-tf gif`` (see its --help)."""

import sys

from vaegan_tf.commands.gif import main

if __name__ == "__main__":
    sys.exit(main(prog="scripts/render_gif.py"))

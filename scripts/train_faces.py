"""Train the NTUT face VAE-GAN (64x64 RGB): ``vaegan-tf train`` limited to the face presets.

Examples:
    python scripts/train_faces.py --data lfw-mini --epochs 5 --sample-every 1
    python scripts/train_faces.py --data ~/data/img_align_celeba --center-crop 160 --schedule 3
    python scripts/train_faces.py --data "~/data/10k US Adult Faces Database/Face Images"
"""

import functools
import sys

from vaegan_tf import cli
from vaegan_tf.commands import train

OPTIONS = {"presets": cli.FACE_PRESETS, "default_preset": "faces",
           "prog": "scripts/train_faces.py"}
parse_args = functools.partial(train.parse_args, **OPTIONS)
main = functools.partial(train.main, **OPTIONS)

if __name__ == "__main__":
    sys.exit(main())

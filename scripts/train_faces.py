"""Train the NTUT face VAE-GAN (64x64 RGB) on a folder of face images and write a run directory.

Examples:
    python scripts/train_faces.py --data lfw-mini --epochs 5 --sample-every 1
    python scripts/train_faces.py --data ~/data/img_align_celeba --center-crop 160 --schedule 3
    python scripts/train_faces.py --data "~/data/10k US Adult Faces Database/Face Images"
"""

from __future__ import annotations

import argparse
import sys

import keras

import vaegan_tf  # sets TF_ENABLE_ONEDNN_OPTS before TensorFlow loads
from vaegan_tf import cli, data


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=cli.HelpFormatter,
    )
    cli.add_face_data_arguments(parser)
    parser.add_argument(
        "--validation-fraction", type=float, default=0.15,
        help="share of the images held out for validation (1500 of 10000 in the original)",
    )
    cli.add_training_arguments(parser, vaegan_tf.get_preset("faces"), out="runs/faces")
    args = parser.parse_args(argv)
    if not 0.0 < args.validation_fraction < 1.0:
        parser.error(f"--validation-fraction must be in (0, 1), got {args.validation_fraction}")
    args.preset = cli.resolve_preset(parser, args, args.preset)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    preset = args.preset
    keras.utils.set_random_seed(args.seed)
    image_size = preset.image_shape[0]
    try:
        train_data, validation_data = data.load_faces(
            args.data, image_size=image_size, batch_size=preset.batch_size, seed=args.seed,
            validation_fraction=args.validation_fraction, center_crop=args.center_crop,
            value_range=preset.data_range, split_file=f"{args.out}/split.json",
        )
    except (OSError, ValueError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Faces from {args.data}; split written to {args.out}/split.json")
    return cli.train_and_report(args, preset, train_data, validation_data,
                                "scripts/train_faces.py")


if __name__ == "__main__":
    sys.exit(main())

"""Train the NTUT face VAE-GAN (64x64 RGB) on a folder of face images and write a run directory.

Examples:
    python scripts/train_faces.py --data lfw-mini --epochs 5 --sample-every 1
    python scripts/train_faces.py --data ~/data/img_align_celeba --center-crop 160 --schedule 3
    python scripts/train_faces.py --data "~/data/10k US Adult Faces Database/Face Images"
"""

from __future__ import annotations

import argparse
import sys
import time

import keras

import vaegan_tf  # sets TF_ENABLE_ONEDNN_OPTS before TensorFlow loads
from vaegan_tf import cli, data, training

FACE_PRESETS = sorted(
    name for name, preset in vaegan_tf.PRESETS.items() if preset.image_shape == (64, 64, 3)
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=cli.HelpFormatter,
    )
    parser.add_argument(
        "--data", default=data.LFW_MINI,
        help="a folder of face images (searched recursively for JPEG/PNG/BMP/GIF), a TFDS "
        "data dir with a prepared celeb_a, or 'lfw-mini' (100 tiny LFW faces bundled with "
        "scikit-image: a smoke dataset)",
    )
    parser.add_argument(
        "--preset", choices=FACE_PRESETS, default="faces",
        help="faces: the face1 setup (hard labels, schedule 4); faces-soft-labels: the face2 "
        "setup (soft and noisy discriminator labels)",
    )
    parser.add_argument(
        "--center-crop", type=int, default=None,
        help="cut the central square of this side before resizing, e.g. 160 for CelebA "
        "(default: no crop)",
    )
    parser.add_argument(
        "--validation-fraction", type=float, default=0.15,
        help="share of the images held out for validation (1500 of 10000 in the original)",
    )
    cli.add_training_arguments(parser, vaegan_tf.get_preset("faces"), out="runs/faces")
    args = parser.parse_args(argv)
    if not 0.0 < args.validation_fraction < 1.0:
        parser.error(f"--validation-fraction must be in (0, 1), got {args.validation_fraction}")
    if args.center_crop is not None and args.center_crop <= 0:
        parser.error(f"--center-crop must be positive, got {args.center_crop}")
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

    model = cli.compiled_model(preset, args.seed, args.jit)
    started = time.time()
    history, files = training.train(
        model, train_data, args.out, preset, epochs=args.epochs,
        validation_data=validation_data, sample_every=args.sample_every, seed=args.seed,
        fixed_latents=args.fixed_latents, schedule=preset.schedule,
        run_config={"script": "scripts/train_faces.py", "argv": sys.argv[1:],
                    **vars(args) | {"preset": preset.name}},
    )
    cli.print_report(history, files, args.epochs, (time.time() - started) / 60)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Train the NTUT VAE-GAN on MNIST with ``model.fit`` and write a run directory.

Example:
    python scripts/train_mnist.py --epochs 10 --sample-every 1 --out runs/mnist
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import keras

import vaegan_tf  # sets TF_ENABLE_ONEDNN_OPTS before TensorFlow loads
from vaegan_tf import cli, data
from vaegan_tf.callbacks import MnistQuality


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=cli.HelpFormatter,
    )
    cli.add_training_arguments(parser, vaegan_tf.get_preset("mnist"), out="runs/mnist")
    parser.add_argument(
        "--limit", type=int, default=None,
        help="use only the first N images of each split, train and validation (default: all)",
    )
    parser.add_argument(
        "--no-validation", action="store_true",
        help="skip the per-epoch validation on the 10k test digits (the original had none)",
    )
    parser.add_argument(
        "--metrics-every", type=int, default=1,
        help="score the samples (mode coverage, KL to uniform, IS, MNIST-FID/KID) every N "
        "epochs into the history, TensorBoard and metrics.json; 0 turns it off",
    )
    parser.add_argument("--metrics-samples", type=cli.positive_int, default=10000,
                        help="generated digits per evaluation")
    args = parser.parse_args(argv)
    if args.metrics_every < 0:
        parser.error(f"--metrics-every must be >= 0, got {args.metrics_every}")
    if args.limit is not None and args.limit <= 0:
        parser.error(f"--limit must be positive, got {args.limit}")
    args.preset = cli.resolve_preset(parser, args, "mnist")
    if args.preset.schedule != 1 and args.no_validation:
        parser.error(f"--schedule {args.preset.schedule} needs validation; drop --no-validation")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    preset = args.preset
    keras.utils.set_random_seed(args.seed)
    try:
        train_data = data.mnist(
            "train", batch_size=preset.batch_size, limit=args.limit, seed=args.seed,
            value_range=preset.data_range,
        )
        validation_data = None if args.no_validation else data.mnist(
            "test", batch_size=preset.batch_size, limit=args.limit,
            value_range=preset.data_range,
        )
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    kind, path = data.locate_mnist()
    print(f"MNIST from {kind}: {path}")

    args.data = f"{kind}:{path}"
    quality = [] if args.metrics_every == 0 else [MnistQuality(
        args.metrics_every, args.metrics_samples, args.seed, Path(args.out) / "metrics.json")]
    return cli.train_and_report(args, preset, train_data, validation_data,
                                "scripts/train_mnist.py", extra_callbacks=quality)


if __name__ == "__main__":
    sys.exit(main())

"""Train the small MNIST classifier behind the MNIST metrics and ship its weights in the package.

Trains on the 60 000 offline MNIST training digits, measures accuracy on the 10 000 test
digits, and writes ``vaegan_tf/metrics/weights/mnist_classifier.weights.h5`` plus
``mnist_classifier.json`` (accuracy, command, SHA-256). Refuses to write weights below
``--min-accuracy``.

Example:
    python scripts/train_mnist_classifier.py --epochs 4 --seed 0
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import keras

import vaegan_tf  # noqa: F401  (sets TF_ENABLE_ONEDNN_OPTS before TensorFlow loads)
from vaegan_tf import cli, data
from vaegan_tf.metrics import classifier as classifier_module


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=cli.HelpFormatter)
    parser.add_argument("--epochs", type=cli.positive_int, default=4)
    parser.add_argument("--batch-size", type=cli.positive_int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-accuracy", type=float, default=0.99,
                        help="do not write weights below this test accuracy")
    parser.add_argument("--out", default=None,
                        help="output folder (default: the package's metrics/weights/)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    try:
        train = data.mnist("train", batch_size=args.batch_size, seed=args.seed,
                           value_range=(0.0, 1.0), with_labels=True)
        test = data.mnist("test", batch_size=1000, value_range=(0.0, 1.0), with_labels=True)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else classifier_module.weights_directory()
    record = classifier_module.train_classifier(
        train, test, data.MNIST_SHAPE, 10, "mnist", out,
        {"data": "mnist (local sources)", "command": "python scripts/train_mnist_classifier.py "
         + " ".join(sys.argv[1:] if argv is None else argv)},
        args.epochs, args.learning_rate, args.min_accuracy)
    if record is None:
        print(f"error: test accuracy below --min-accuracy {args.min_accuracy}; weights not "
              "written", file=sys.stderr)
        return 1
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

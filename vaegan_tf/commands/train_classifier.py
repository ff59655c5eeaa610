"""``vaegan-tf train-classifier``: a small classifier for a labelled dataset, to score samples.

The sample-quality scores (FID, KID, IS, mode coverage) rest on a classifier of the data; the
shipped one knows MNIST digits only. This trains the same small network on your labelled data
(MNIST-format idx files or a ``.npz`` with ``x_train``/``y_train``), measures its accuracy on
the data's test split (or a held-out share), and writes ``OUT/NAME_classifier.weights.h5``
with ``OUT/NAME_classifier.json`` (accuracy, command, SHA-256). ``vaegan-tf train --data ...
--classifier OUT/NAME`` then scores every epoch with it (keys ``NAME_fid``, ``NAME_kid``).

Examples:
    vaegan-tf train-classifier --data /usr/share/datasets/fashion-mnist --name fashion_mnist \\
        --out my_classifiers
    vaegan-tf train --preset mnist --data /usr/share/datasets/fashion-mnist \\
        --classifier my_classifiers/fashion_mnist
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from vaegan_tf import cli


def parse_args(argv: list[str] | None = None, prog: str | None = None) -> argparse.Namespace:
    parser = cli.ArgumentParser(prog=prog, description=__doc__.splitlines()[0],
                                formatter_class=cli.HelpFormatter)
    parser.add_argument("--data", required=True,
                        help="labelled data: a folder of MNIST-format idx files (gzipped or "
                        "not) or a .npz with x_train/y_train (x_test/y_test: the test split)")
    parser.add_argument("--name", required=True,
                        help="the classifier's name: its files and score keys (NAME_fid)")
    parser.add_argument("--out", required=True, help="folder for the two files")
    parser.add_argument("--image-shape", default="28,28,1",
                        help="H,W,C the images are converted to (the model preset's shape)")
    parser.add_argument("--epochs", type=cli.positive_int, default=4)
    parser.add_argument("--batch-size", type=cli.positive_int, default=128)
    parser.add_argument("--learning-rate", type=cli.positive_float, default=1e-3)
    parser.add_argument("--seed", type=cli.seed, default=0)
    parser.add_argument("--validation-fraction", type=float, default=0.15,
                        help="held out for the accuracy when the data has no test split")
    parser.add_argument("--min-accuracy", type=float, default=0.0,
                        help="do not write weights below this test accuracy")
    cli.add_verbose_argument(parser)
    args = parser.parse_args(argv)
    if not 0.0 <= args.min_accuracy <= 1.0:
        parser.error(f"--min-accuracy must be in [0, 1], got {args.min_accuracy}")
    if not 0.0 < args.validation_fraction < 1.0:
        parser.error(f"--validation-fraction must be in (0, 1), got {args.validation_fraction}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", args.name):
        parser.error(f"--name must be lower-case letters, digits and _, got {args.name!r}")
    try:
        args.image_shape = tuple(int(part) for part in args.image_shape.split(","))
    except ValueError:
        args.image_shape = ()
    if len(args.image_shape) != 3 or min(args.image_shape) <= 0:
        parser.error(f"--image-shape must be H,W,C, got {args.image_shape}")
    return args


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = parse_args(argv, prog)
    cli.start_tensorflow(args)
    import keras
    import numpy as np

    from vaegan_tf import data
    from vaegan_tf.metrics.classifier import train_classifier

    keras.utils.set_random_seed(args.seed)
    try:
        train, test, source = data.user_datasets(
            args.data, args.image_shape, args.batch_size, 1000, seed=args.seed,
            value_range=(0.0, 1.0), with_labels=True,
            validation_fraction=args.validation_fraction)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    labels = np.concatenate([np.asarray(batch_labels) for _, batch_labels in train])
    record = train_classifier(
        train, test, args.image_shape, int(labels.max()) + 1, args.name, args.out,
        {"data": source, "command": "vaegan-tf train-classifier " + " ".join(
            sys.argv[2:] if argv is None else argv)},
        args.epochs, args.learning_rate, args.min_accuracy)
    if record is None:
        print(f"error: test accuracy below --min-accuracy {args.min_accuracy}; nothing "
              "written", file=sys.stderr)
        return 1
    print(f"written: {Path(args.out) / record['weights_file']} (SHA-256 {record['sha256']})")
    return 0

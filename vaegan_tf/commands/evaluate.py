"""``vaegan-tf evaluate``: score a saved VAE-GAN or images; print a table, write JSON.

MNIST-shaped data (28x28 gray) gets the MNIST suite: mode coverage, KL to uniform, Inception
Score on the shipped classifier, MNIST-FID and MNIST-KID against the 10k test digits; with
``--classifier`` and ``--data`` the same suite on that classifier against that data's
validation split (``NAME_fid``, ``NAME_kid``). RGB data
gets FID and KID on InceptionV3 features against ``--reference`` (a folder or lfw-mini), which
needs the ImageNet weights in the Keras cache.

Examples:
    vaegan-tf evaluate --model runs/mnist/model.keras --samples 10000
    vaegan-tf evaluate --images my_digits/ --json my_digits.json
    vaegan-tf evaluate --real-mnist train --samples 10000
    vaegan-tf evaluate --model runs/faces/model.keras --reference lfw-mini
    vaegan-tf evaluate --real-data --classifier fashion_mnist \
        --data /usr/share/datasets/fashion-mnist --samples 10000
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaegan_tf import cli, data

if TYPE_CHECKING:
    import numpy as np

TABLE_KEYS = ("mode_coverage", "kl_to_uniform", "inception_score", "mnist_fid", "mnist_kid",
              "fid", "kid", "class_match", "code_accuracy")


def parse_args(argv: list[str] | None = None, prog: str | None = None) -> argparse.Namespace:
    parser = cli.ArgumentParser(prog=prog, description=__doc__.splitlines()[0],
                                     formatter_class=cli.HelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a saved model to sample from: RUN/model.keras, a run "
                        "directory, or a networks folder such as RUN/best")
    source.add_argument("--images", help="a folder of images to score")
    source.add_argument("--real-mnist", choices=("train", "test"),
                        help="score the first --samples real digits of this split: the floor")
    source.add_argument("--real-data", action="store_true",
                        help="with --classifier: score the first --samples training images of "
                        "--data (the floor of that data)")
    parser.add_argument("--samples", type=cli.at_most(
                            100_000, "the scores settle long before; 50 000 is the usual FID "
                            "count, and the samples are held in memory"), default=10000,
                        help="prior samples to draw from --model (digits for --real-mnist)")
    parser.add_argument("--seed", type=cli.seed, default=0, help="seed of the sampled latents")
    parser.add_argument("--standing-statistics", type=cli.positive_int, default=None,
                        metavar="N", help="with --model (a model.keras with ema_decay): first "
                        "recompute the generator average's batch-norm statistics from N of its "
                        "samples (as ema_standing_samples does in training)")
    parser.add_argument("--reference", default=None,
                        help="RGB only: real images to compare with (a folder or lfw-mini)")
    parser.add_argument("--weights", default="imagenet",
                        help="RGB only: InceptionV3 weights, 'imagenet' (Keras cache) or a file")
    parser.add_argument(
        "--classifier", default=None, metavar="NAME_OR_DIR/NAME",
        help="score with this classifier (a shipped one, fashion_mnist, or DIR/NAME from "
        "vaegan-tf train-classifier) against the validation split of --data")
    parser.add_argument("--data", default=None,
                        help="with --classifier: the real data (idx folder, .npz or images)")
    parser.add_argument("--json", default=None,
                        help="output JSON (default: evaluation.json next to --model, or in the "
                        "current folder for --images)")
    cli.add_verbose_argument(parser)
    args = parser.parse_args(argv)
    if (args.classifier is None) != (args.data is None):
        parser.error("--classifier and --data go together")
    if args.real_data and args.classifier is None:
        parser.error("--real-data needs --classifier and --data")
    if args.standing_statistics and not args.model:
        parser.error("--standing-statistics needs --model")
    return args


def sampled_model(args: argparse.Namespace) -> Any:
    """``--model``, its average's statistics recomputed first with ``--standing-statistics``."""
    model = cli.load_model(args.model)
    if args.standing_statistics:
        model.refresh_standing_statistics(args.standing_statistics)
    return model


def model_source(args: argparse.Namespace) -> dict[str, Any]:
    """What the protocol records of ``--model``."""
    return {"model": str(args.model), "sample_seed": args.seed,
            **({"standing_statistics": args.standing_statistics}
               if args.standing_statistics else {})}


def folder_images(folder: str) -> np.ndarray:
    """Images of a folder as float32 in [0, 1]: (N, 28, 28, 1) if all are 28x28 gray-ish
    MNIST-sized images, else (N, 64, 64, 3)."""
    import numpy as np
    from PIL import Image

    paths = data.list_images(folder)
    images = []
    for path in paths:
        try:
            with Image.open(path) as image:
                if not images:
                    mnist_like = image.size == (28, 28)
                if mnist_like:
                    pixels = np.asarray(image.convert("L").resize((28, 28)), np.float32)
                    pixels = pixels[..., None]
                else:
                    pixels = data.prepare_image(image, 64).astype(np.float32)
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            # Scores over a folder must cover the whole folder: refuse rather than skip.
            raise ValueError(f"cannot score {path}: {error}") from None
        images.append(pixels / 255.0)
    return np.stack(images)


def rgb_reference(reference: str | None, size: int) -> tuple[np.ndarray, str]:
    import numpy as np

    if reference is None:
        raise ValueError("RGB images need --reference (a folder of real images or lfw-mini)")
    train, _ = data.load_faces(reference, image_size=size, batch_size=1,
                               validation_fraction=0.0, value_range=(0.0, 1.0))
    return np.concatenate([batch.numpy() for batch in train]), reference


def classifier_scores(args: argparse.Namespace) -> dict[str, Any]:
    """``--classifier`` scores: a model's samples (or ``--real-data``'s first training images)
    against the validation split of ``--data``."""
    from vaegan_tf.metrics import evaluation
    from vaegan_tf.metrics.classifier import find_classifier

    classifier = find_classifier(args.classifier)
    train, validation, source = data.user_datasets(
        args.data, classifier.image_shape, 100, 1000, seed=args.seed, value_range=(0.0, 1.0))
    if validation is None:
        raise ValueError(f"--data {args.data} has no validation images to compare with")
    reference = evaluation.validation_reference(classifier, validation, (0.0, 1.0), source)
    labels = {}
    if args.model:
        model = sampled_model(args)
        images = evaluation.generate(model, args.samples, args.seed)
        labels = evaluation.sample_labels(model, args.samples)
        value_range, described = model.data_range, model_source(args)
    elif args.real_data:
        images = evaluation.first_images(train, args.samples, (0.0, 1.0))
        value_range, described = (0.0, 1.0), {"real_data": f"train:{source}"}
    else:
        images, value_range = folder_images(args.images), (0.0, 1.0)
        described = {"images": str(args.images)}
    result = evaluation.sample_scores(images, value_range, reference, classifier, args.seed,
                                      **labels)
    result["protocol"].update(described)
    return result


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from vaegan_tf.metrics import evaluation

    labels = {}
    if args.classifier:
        return classifier_scores(args)
    if args.model:
        model = sampled_model(args)
        images = evaluation.generate(model, args.samples, args.seed)
        labels = evaluation.sample_labels(model, args.samples)
        value_range, source = model.data_range, model_source(args)
    elif args.real_mnist:
        digits = data.load_mnist(args.real_mnist).images[:args.samples]
        images, value_range = digits[..., np.newaxis].astype(np.float32) / 255.0, (0.0, 1.0)
        source = {"real_mnist": args.real_mnist}
    else:
        images, value_range = folder_images(args.images), (0.0, 1.0)
        source = {"images": str(args.images)}
    if images.shape[1:] == data.MNIST_SHAPE:
        result = evaluation.mnist_scores(images, value_range, seed=args.seed, **labels)
    else:
        from vaegan_tf.metrics.inception import inception_scores

        reference, name = rgb_reference(args.reference, images.shape[1])
        result = inception_scores(images, reference, value_range, args.weights,
                                  reference_name=name, seed=args.seed)
        result["reference_value_range_note"] = "both sets mapped to [-1, 1] for InceptionV3"
    result["protocol"].update(source)
    return result


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = parse_args(argv, prog)
    out = Path(args.json) if args.json else (
        Path(args.model).parent if args.model else Path(".")) / "evaluation.json"
    try:
        if args.json or out.parent.is_dir():  # else the missing --model is the error to show
            cli.check_writable(cli.check_output(out, "--json"), "--json")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    cli.start_tensorflow(args)
    try:
        result = evaluate(args)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("| score | value |\n|---|---:|")
    for key in (*TABLE_KEYS, *sorted(key for key in result if key.endswith(("_fid", "_kid"))
                                     and key not in TABLE_KEYS)):
        if key in result:
            print(f"| {key} | {result[key]:.4g} |")
    if "class_counts" in result:
        print(f"\nclass counts: {result['class_counts']}")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nprotocol: {json.dumps(result['protocol'])}\nwritten: {out}")
    return 0

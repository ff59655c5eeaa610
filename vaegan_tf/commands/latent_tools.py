"""``vaegan-tf sample | reconstruct | interpolate | walk | arithmetic``: look inside a model.

``sample``, ``walk`` and ``interpolate`` work for every model (a GAN interpolates between two
prior draws; a class-conditional one draws ``--label``); ``reconstruct``, ``arithmetic`` and
interpolation between images need a model with an encoder (the VAE-GAN) and say so otherwise.

Examples:
    vaegan-tf sample --model runs/mnist/model.keras --n 16 --out samples.png
    vaegan-tf reconstruct --model runs/mnist/model.keras --n 10
    vaegan-tf interpolate --model runs/mnist/model.keras --pair 0 1 --method slerp
    vaegan-tf walk --model runs/mnist/model.keras --steps 60
    vaegan-tf arithmetic --model runs/mnist/model.keras --from-digit 1 --to-digit 7
    vaegan-tf arithmetic --model runs/faces/model.keras --data img_align_celeba \
        --attributes list_attr_celeba.txt --attribute Smiling --center-crop 160
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from vaegan_tf import cli, data, latent
from vaegan_tf.plotting import save_image_grid

# The images of one output are made in memory: counts are bounded up front (64×64 RGB float32
# images are 48 KiB each: a full grid 192 MiB, a full GIF 96 MiB before encoding).
GRID_LIMIT, GRID_WHY = 4096, "one grid image of 64x64 samples"
STRIP_LIMIT, STRIP_WHY = 512, "one strip image"
FRAME_LIMIT, FRAME_WHY = 2048, "one GIF's frames are made in memory"


def _parser(prog: str | None, description: str, out: str) -> argparse.ArgumentParser:
    parser = cli.ArgumentParser(prog=prog, description=description,
                                     formatter_class=cli.HelpFormatter)
    parser.add_argument("--model", required=True, help="a saved model: RUN/model.keras, a run "
                        "directory, or a networks folder such as RUN/best")
    parser.add_argument("--out", default=out, help="output file")
    parser.add_argument("--seed", type=cli.seed, default=0, help="seed of any random draw")
    cli.add_verbose_argument(parser)
    return parser


def _add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None,
                        help="images to encode: MNIST models use the 10k test digits; face "
                        "models a folder or lfw-mini (default: lfw-mini)")


def _add_label(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--label", type=int, default=None,
                        help="class-conditional models: the class to draw (default 0)")


def _labels(model: Any, args: argparse.Namespace, count: int) -> np.ndarray | None:
    """``count`` copies of ``--label`` for a class-conditional model, None for others."""
    if not model.conditional:
        if args.label is not None:
            raise ValueError(f"--label applies to class-conditional models; {model.name} is "
                             "unconditional")
        return None
    if not model.num_classes:
        raise ValueError(f"{model.name} is conditioned on attribute vectors, which this "
                         "command cannot choose; use the Python API (latent.decode)")
    label = 0 if args.label is None else args.label
    if not 0 <= label < model.num_classes:
        raise ValueError(f"--label must be in [0, {model.num_classes}), got {label}")
    return np.full(count, label)


def _require_encoder(model: Any) -> None:
    if not model.can_encode:
        raise ValueError(f"{model.name} has no encoder: this command needs a model that "
                         "encodes images (a VAE-GAN or a VAE)")


def _examples(model: Any, source: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Real images in the model's data range (and MNIST labels): the encoder's inputs."""
    _require_encoder(model)
    if tuple(model.encoder.input_shape[1:]) == data.MNIST_SHAPE:
        digits = data.load_mnist("test", data_dir=source)
        low, high = model.data_range
        images = digits.images[..., np.newaxis].astype(np.float32) / 255.0 * (high - low) + low
        return images, digits.labels
    size = int(model.encoder.input_shape[1])
    _, validation = data.load_faces(source or data.LFW_MINI, image_size=size, batch_size=1,
                                    value_range=model.data_range)
    return np.concatenate([batch.numpy() for batch in validation]), None


def _run(parser: argparse.ArgumentParser, argv: list[str] | None, work: Any) -> int:
    args = parser.parse_args(argv)
    try:
        for path in (Path(args.out), Path(args.out).with_suffix(".gif")):
            cli.check_output(path, "--out")
    except ValueError as error:
        parser.error(str(error))
    cli.start_tensorflow(args)
    try:
        written = work(args, cli.load_model(args.model))
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"written: {path}")
    return 0


def sample(argv: list[str] | None = None, prog: str | None = None) -> int:
    """A grid of prior samples."""
    parser = _parser(prog, "Decode prior draws into a grid (4x4: the original's 288x288 PNG).",
                     "samples.png")
    parser.add_argument("--n", type=cli.at_most(GRID_LIMIT, GRID_WHY), default=16,
                        help="samples")

    def work(args: argparse.Namespace, model: Any) -> list[Path]:
        images = np.asarray(model.sample(args.n, seed=args.seed))
        columns = int(np.ceil(np.sqrt(args.n)))
        return [save_image_grid(images, args.out, model.data_range, columns=columns)]

    return _run(parser, argv, work)


def reconstruct(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Originals above, reconstructions Dec(μ(x)) below."""
    parser = _parser(prog, "Originals (top row) and their reconstructions (bottom row).",
                     "reconstructions.png")
    _add_data(parser)
    parser.add_argument("--n", type=cli.at_most(STRIP_LIMIT, STRIP_WHY), default=10,
                        help="images")

    def work(args: argparse.Namespace, model: Any) -> list[Path]:
        images, _ = _examples(model, args.data)
        chosen = images[np.random.default_rng(args.seed).choice(len(images), args.n,
                                                                replace=False)]
        return [latent.save_rows([chosen, latent.reconstruct(model, chosen)], args.out,
                                 model.data_range)]

    return _run(parser, argv, work)


def variations(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Each image, then several decodings of draws from q(z|x) of it."""
    parser = _parser(prog, "One sample with variations: each row an image, then --n decodings "
                     "of draws z ~ q(z|x) of it (models that encode).", "variations.png")
    _add_data(parser)
    parser.add_argument("--images", type=cli.at_most(64, "one row per image in one PNG"),
                        default=4, help="rows: the first N images of the data")
    parser.add_argument("--n", type=cli.at_most(STRIP_LIMIT, STRIP_WHY), default=8,
                        help="draws per image")

    def work(args: argparse.Namespace, model: Any) -> list[Path]:
        _require_encoder(model)
        images, _ = _examples(model, args.data)
        chosen = images[:args.images]
        drawn = latent.variations(model, chosen, args.n, args.seed)
        rows = [np.concatenate([image[None], draws]) for image, draws in zip(
            chosen, drawn, strict=True)]
        return [latent.save_rows(rows, args.out, model.data_range)]

    return _run(parser, argv, work)


def interpolate(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Decoded codes between two images' codes: a strip PNG and a GIF."""
    parser = _parser(prog, "Interpolate between the codes of two images: strip and GIF.",
                     "interpolation.png")
    _add_data(parser)
    parser.add_argument("--pair", type=int, nargs=2, default=None, metavar=("I", "J"),
                        help="models with an encoder: indices of the two images in the data "
                        "(default: 0 1); models without one interpolate between two prior "
                        "draws of --seed")
    parser.add_argument("--steps", type=cli.at_most(STRIP_LIMIT, STRIP_WHY), default=10,
                        help="codes in the strip")
    parser.add_argument("--method", choices=("linear", "slerp"), default="linear")
    _add_label(parser)

    def work(args: argparse.Namespace, model: Any) -> list[Path]:
        if model.can_encode:
            pair = list(args.pair or (0, 1))
            images, _ = _examples(model, args.data)
            if max(pair) >= len(images) or min(pair) < 0:
                raise ValueError(f"--pair indices must be in [0, {len(images)})")
            codes = latent.encode_means(model, images[pair])
        elif args.pair is not None or args.data is not None:
            raise ValueError(f"{model.name} has no encoder, so --pair/--data cannot pick "
                             "images; without them it interpolates between two prior draws")
        else:
            codes = np.random.default_rng(args.seed).standard_normal(
                (2, model.latent_dim)).astype(np.float32)
        decoded = latent.decode(
            model, latent.interpolate_codes(codes[0], codes[1], args.steps, args.method),
            _labels(model, args, args.steps))
        strip = latent.save_rows([decoded], args.out, model.data_range)
        animation = latent.save_animation(
            np.concatenate([decoded, decoded[::-1]]), Path(args.out).with_suffix(".gif"),
            model.data_range)
        return [strip, animation]

    return _run(parser, argv, work)


def walk(argv: list[str] | None = None, prog: str | None = None) -> int:
    """A GIF of a smooth random walk through the prior."""
    parser = _parser(prog, "A GIF of a smooth random walk through the prior.", "walk.gif")
    parser.add_argument("--steps", type=cli.at_most(FRAME_LIMIT, FRAME_WHY), default=60,
                        help="frames")
    parser.add_argument("--step-size", type=float, default=0.2,
                        help="innovation per step, in (0, 1)")
    _add_label(parser)

    def work(args: argparse.Namespace, model: Any) -> list[Path]:
        if not 0.0 < args.step_size < 1.0:
            raise ValueError(f"--step-size must be in (0, 1), got {args.step_size}")
        codes = latent.random_walk_codes(model.latent_dim, args.steps, args.step_size, args.seed)
        frames = latent.decode(model, codes, _labels(model, args, args.steps))
        return [latent.save_animation(frames, args.out, model.data_range)]

    return _run(parser, argv, work)


def arithmetic(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Latent arithmetic: MNIST digit classes, or CelebA attributes (the VAE/GAN paper's)."""
    parser = _parser(prog, "Latent arithmetic: rows of originals, reconstructions, and "
                     "reconstructions moved by mean(code | to) - mean(code | from). MNIST "
                     "models use digit classes; face models a CelebA attribute.",
                     "arithmetic.png")
    parser.add_argument("--from-digit", type=int, default=1, choices=range(10))
    parser.add_argument("--to-digit", type=int, default=7, choices=range(10))
    parser.add_argument("--data", default=None,
                        help="faces: the image folder the attribute list names (img_align_celeba)")
    parser.add_argument("--attributes", default=None,
                        help="faces: CelebA's list_attr_celeba.txt")
    parser.add_argument("--attribute", default="Smiling",
                        help="faces: the attribute to add (to images without it)")
    parser.add_argument("--encode", type=cli.positive_int, default=2000,
                        help="faces: images to encode for the attribute vector")
    parser.add_argument("--center-crop", type=cli.positive_int, default=None,
                        help="faces: central square to cut before resizing (160 for CelebA)")
    parser.add_argument("--n", type=cli.at_most(STRIP_LIMIT, STRIP_WHY), default=8,
                        help="examples")

    def work(args: argparse.Namespace, model: Any) -> list[Path]:
        _require_encoder(model)
        if tuple(model.encoder.input_shape[1:]) == data.MNIST_SHAPE:
            images, labels = _examples(model, None)
            positive, negative = args.to_digit, args.from_digit
        else:
            images, labels = _attribute_examples(model, args)
            positive, negative = 1, -1
        codes = latent.encode_means(model, images)
        vector = latent.attribute_vector(codes, labels, positive, negative)
        chosen = np.flatnonzero(labels == negative)[:args.n]
        moved = latent.decode(model, codes[chosen] + vector)
        return [latent.save_rows([images[chosen], latent.decode(model, codes[chosen]), moved],
                                 args.out, model.data_range)]

    return _run(parser, argv, work)


def _attribute_examples(model: Any, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """Face images named by a CelebA attribute list, and their +1/-1 values of one attribute."""
    from PIL import Image

    if args.attributes is None or args.data is None:
        raise ValueError("face models need --data IMAGE_FOLDER and --attributes "
                         "list_attr_celeba.txt")
    names, files, values = data.celeba_attributes(args.attributes)
    if args.attribute not in names:
        raise ValueError(f"No attribute {args.attribute!r} in {args.attributes}; "
                         f"available: {', '.join(names)}")
    column = values[:, names.index(args.attribute)]
    size, low, high = int(model.encoder.input_shape[1]), *model.data_range
    images, labels = [], []
    for name, label in zip(files, column, strict=True):
        path = Path(args.data) / name
        if not path.is_file():
            continue
        with Image.open(path) as image:
            pixels = data.prepare_image(image, size, args.center_crop)
        images.append(pixels.astype(np.float32) / 255.0 * (high - low) + low)
        labels.append(label)
        if len(images) == args.encode:
            break
    if not images:
        raise ValueError(f"None of the files in {args.attributes} is in {args.data}")
    return np.stack(images), np.array(labels)

"""``vaegan-tf train``: train any preset with ``model.fit`` and write a run directory.

The preset's ``dataset`` field picks the data: ``mnist`` presets read MNIST from the local
sources and validate on the 10k test digits; ``faces`` presets read a folder of images, a TFDS
data dir with ``celeb_a``, or ``lfw-mini``.

Examples:
    vaegan-tf train --preset mnist --epochs 10 --sample-every 1 --out runs/mnist
    vaegan-tf train --preset wgan-gp-mnist --epochs 10 --out runs/wgan-gp
    vaegan-tf train --preset faces --data ~/data/img_align_celeba --center-crop 160
    vaegan-tf train --preset mnist --config my_settings.yaml --set adam_beta_1=0.5
    vaegan-tf train --resume runs/mnist
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vaegan_tf import cli, data, fast_paths
from vaegan_tf.data.locations import prepared_tfds_mnist
from vaegan_tf.presets import PRESETS, PresetBase, VAELSGANPreset
from vaegan_tf.run_directory import RunDirectoryError, run_lock


def is_mnist(preset: PresetBase) -> bool:
    """Whether the preset trains on MNIST (its ``dataset`` field)."""
    return preset.dataset == "mnist"


def read_config(path: str) -> dict[str, Any]:
    """Preset fields from a JSON or YAML file (a mapping of field names to values)."""
    text = Path(path).read_text()
    if Path(path).suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            values = yaml.safe_load(text)  # safe: a python/* tag is refused, never run
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            raise ValueError(f"not valid YAML{where}: {problem}") from None
    else:
        values = json.loads(text)
    if not isinstance(values, dict):
        raise ValueError(f"{path} must hold a mapping of preset fields to values")
    return {key: tuple(value) if isinstance(value, list) else value
            for key, value in values.items()}


def build_parser(presets: Sequence[str] = tuple(sorted(PRESETS)),
                 default_preset: str = "mnist", prog: str | None = None
                 ) -> argparse.ArgumentParser:
    """The ``train`` options; ``presets`` limits ``--preset`` (the face script's face presets)."""
    parser = cli.ArgumentParser(
        prog=prog, description=__doc__.splitlines()[0], formatter_class=cli.HelpFormatter)
    parser.add_argument("--preset", choices=list(presets), default=default_preset,
                        metavar="PRESET",
                        help="mnist: the NTUT MNIST setup; mnist-plus: the same with Adam "
                        "beta_1 0.5 (better samples, README Scores); faces: the face1 setup "
                        "(hard labels, schedule 4); "
                        "faces-soft-labels: face2 (soft and noisy D labels); the GAN family: "
                        "{dcgan,lsgan,wgan,wgan-gp}-{mnist,faces} and their conditional "
                        "c-variants (cdcgan-mnist, ...); vae-{mnist,faces}: a VAE (the VAE "
                        "seed's recipe); vae-lsgan-{mnist,faces}: the VAE-pretrained LSGAN "
                        "(its VAE stage first, in OUT/pretrain); began-{mnist,faces}: BEGAN; "
                        "vaegan-tf presets lists them all. One of: " + ", ".join(presets))
    parser.add_argument(
        "--data", default=None,
        help="MNIST-shaped presets (28x28x1): your data, as a folder of MNIST-format idx files "
        "(Fashion-MNIST, KMNIST, EMNIST; gzipped or not), a .npz with x_train/x_test, or a "
        "folder of images of any size (converted); or a TFDS data dir with a prepared mnist "
        "(default: MNIST from the local sources); face presets: a folder of images (searched "
        "recursively), a TFDS data dir with celeb_a, or lfw-mini (default: lfw-mini, a smoke "
        "dataset)",
    )
    parser.add_argument(
        "--overwrite", action="store_true",
        help="train afresh in --out even if it holds another run's or other files (they are "
        "replaced; by default such a directory is refused)")
    parser.add_argument(
        "--resume", default=None, metavar="RUN_DIR",
        help="continue the interrupted run in RUN_DIR with its recorded settings (options "
        "given as well win, e.g. a larger --epochs); running the same command again on the "
        "same --out continues it too",
    )
    parser.add_argument(
        "--allow-other-data", action="store_true",
        help="resume on other --data or --limit than the run trained on so far (refused by "
        "default: its history would mix both)")
    parser.add_argument("--config", default=None, metavar="FILE",
                        help="JSON or YAML mapping of preset fields to values (--set wins)")
    cli.add_training_arguments(parser, PRESETS[default_preset], out=None)
    parser.add_argument("--limit", type=cli.positive_int, default=None,
                        help="use only the first N images of each split (training and "
                        "validation) of any data but lfw-mini and TFDS celeb_a (default: all)")
    parser.add_argument("--no-validation", action="store_true",
                        help="MNIST: skip the per-epoch validation on the 10k test digits")
    cli.add_center_crop_argument(parser)
    cli.add_verbose_argument(parser)
    parser.add_argument("--validation-fraction", type=float, default=0.15,
                        help="faces, and your data without a test split: share of the images "
                        "held out for validation")
    parser.add_argument(
        "--metrics-every", type=int, default=None,
        help="MNIST: score the samples (mode coverage, KL to uniform, IS, MNIST-FID/KID) every "
        "N epochs into the history, TensorBoard and metrics.json; 0 turns it off "
        "(default: 1 for MNIST presets)",
    )
    parser.add_argument("--metrics-samples", type=cli.positive_int, default=10000,
                        help="MNIST: generated digits per evaluation")
    parser.add_argument(
        "--classifier", default=None, metavar="NAME_OR_DIR/NAME",
        help="score your data's samples with this classifier instead of the MNIST one: a "
        "shipped one (fashion_mnist) or DIR/NAME from vaegan-tf train-classifier; the "
        "reference images are the validation split (keys NAME_fid, NAME_kid; turns on "
        "--metrics-every 1)")
    parser.add_argument(
        "--attributes", default=None, metavar="FILE",
        help="attribute-conditional face presets (cdcgan-faces, ...): a CelebA-style "
        "list_attr_celeba.txt naming every image of --data (default: the one in --data or "
        "its parent folder)")
    return parser


def resumed_argv(parser: argparse.ArgumentParser, run_dir: str, argv: list[str]) -> list[str]:
    """The command line recorded in ``run_dir/config.json``, then ``argv`` (whose options win,
    e.g. a larger ``--epochs``), with ``--out run_dir``.

    A run that left ``--jit`` to ``auto`` keeps the compile mode ``auto`` chose when it
    started (``xla`` in its configuration), even if ``auto`` chooses otherwise now: XLA draws
    other random numbers than TensorFlow's kernels, so switching would change the run's path.
    """
    config_path = Path(run_dir) / "config.json"
    stage_path = Path(run_dir) / cli.PRETRAIN_DIRECTORY / "config.json"
    if not config_path.exists() and stage_path.exists():  # stopped in its first stage
        config_path = stage_path
    try:
        run = json.loads(config_path.read_text())["run"]
        recorded = [*run["argv"]]
        preset_name = run.get("stage_of", run["preset"])
        if config_path.parent == Path(run_dir) and "stage_of" in run:
            parser.error(f"--resume {run_dir}: this is the first stage of the run in "
                         f"{Path(run_dir).parent}; resume that one")
    except (OSError, ValueError, KeyError, TypeError) as error:
        parser.error(f"--resume {run_dir}: no readable run configuration at {config_path} "
                     f"({error})")
    # (a run stopped in its VAE stage recorded that stage's mode, not the GAN stage's)
    if config_path != stage_path and isinstance(run.get("xla"), bool) and not any(
            item == "--jit" or item.startswith("--jit=") for item in recorded):
        recorded += ["--jit", "on" if run["xla"] else "off"]
    return ["--preset", preset_name, *recorded, *argv, "--out", run_dir]


def parse_args(argv: list[str] | None = None, presets: Sequence[str] = tuple(sorted(PRESETS)),
               default_preset: str = "mnist", prog: str | None = None) -> argparse.Namespace:
    """Parses and checks the options; usage errors exit with code 2 and one line.

    ``--resume RUN_DIR`` re-reads the run's recorded command line and applies the options
    given now on top of it.
    """
    parser = build_parser(presets, default_preset, prog)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.resume is not None:
        position = argv.index("--resume") if "--resume" in argv else None
        if position is None:  # --resume=DIR
            rest = [item for item in argv if not item.startswith("--resume=")]
        else:
            rest = argv[:position] + argv[position + 2:]
        argv = resumed_argv(parser, args.resume, rest)
        args = parser.parse_args(argv)
    # recorded in config.json, what --resume replays (a data change is allowed once, not for
    # every later resume)
    args.argv = [item for item in argv if item != "--allow-other-data"]
    base = PRESETS[args.preset]
    if args.config is not None:
        try:
            overrides = read_config(args.config)
            base = base.replace(**overrides)
        except (OSError, ValueError, TypeError) as error:
            parser.error(f"--config {args.config}: {error}")
    args.preset = cli.resolve_preset(parser, args, base)
    mnist = is_mnist(args.preset)
    try:
        own_data = mnist and args.data is not None and prepared_tfds_mnist(args.data) is None
    except ValueError as error:  # a TFDS dir whose metadata would import code
        parser.error(str(error))
    if args.classifier is not None and not own_data:
        parser.error("--classifier scores your own data (--data) with its classifier; MNIST "
                     "runs use the shipped MNIST classifier")
    if args.metrics_every is None:
        args.metrics_every = 1 if mnist and (not own_data or args.classifier) else 0
    if args.metrics_every and own_data and args.classifier is None:
        parser.error("--metrics-every scores samples with the shipped MNIST digit classifier, "
                     f"which says nothing about other data (--data {args.data}); give "
                     "--classifier (vaegan-tf train-classifier) or drop it")
    if args.classifier is not None and args.no_validation:
        parser.error("--classifier compares samples with the validation images; drop "
                     "--no-validation")
    if args.metrics_every < 0:
        parser.error(f"--metrics-every must be >= 0, got {args.metrics_every}")
    if args.metrics_every and not mnist:
        parser.error("--metrics-every applies to MNIST presets; use scripts/evaluate.py for RGB")
    if args.attributes is not None and not getattr(args.preset, "num_attributes", 0):
        parser.error(f"--attributes applies to attribute-conditional presets (c...-faces), "
                     f"not {args.preset.name}")
    if not 0.0 < args.validation_fraction < 1.0:
        parser.error(f"--validation-fraction must be in (0, 1), got {args.validation_fraction}")
    if mnist and args.preset.schedule != 1 and args.no_validation:
        parser.error(f"--schedule {args.preset.schedule} needs validation; drop --no-validation")
    if args.cpu_replicas and args.distribute != "mirrored":
        parser.error("--cpu-replicas needs --distribute mirrored")
    args.worker, args.chief = 0, True
    if args.distribute == "multi-worker":
        try:
            args.worker, args.chief = cli.cluster_role()
        except ValueError as error:
            parser.error(str(error))
    try:
        cli.check_jit(args.jit, bool(args.distribute), args.deterministic)
        if args.fast_paths is None:  # the environment variable's mode, checked now
            fast_paths.fast_paths_mode()
    except ValueError as error:
        parser.error(str(error))
    if args.jit == "on" and getattr(args.preset, "equilibrium_margin", 0.0) > 0:
        print("warning: --jit with the equilibrium gate is several times slower than without "
              "XLA (README, Speed)", file=sys.stderr)
    if args.out is None:
        args.out = f"runs/{args.preset.name}"
    return args


def load_data(args: argparse.Namespace) -> tuple[Any, Any, str]:
    """Training and validation datasets for the preset, and a description of the source."""
    preset = args.preset
    if is_mnist(preset) and args.data is not None and prepared_tfds_mnist(args.data) is None:
        train_data, validation_data, source = data.user_datasets(
            args.data, preset.image_shape, preset.images_per_step, preset.batch_size,
            seed=args.seed, limit=args.limit, value_range=preset.data_range,
            with_labels=bool(getattr(preset, "num_classes", 0)),
            num_classes=getattr(preset, "num_classes", 0),
            validation_fraction=args.validation_fraction,
            split_file=Path(args.out) / "split.json")
        return train_data, None if args.no_validation else validation_data, source
    if is_mnist(preset):
        classes = getattr(preset, "num_classes", 0)
        train_data = data.mnist("train", batch_size=preset.images_per_step, limit=args.limit,
                                seed=args.seed, value_range=preset.data_range,
                                with_labels=bool(classes), data_dir=args.data,
                                num_classes=classes)
        validation_data = None if args.no_validation else data.mnist(
            "test", batch_size=preset.batch_size, limit=args.limit,
            value_range=preset.data_range, with_labels=bool(classes), data_dir=args.data,
            num_classes=classes)
        kind, path = data.locate_mnist(args.data)
        return train_data, validation_data, f"{kind}:{path}"
    source = args.data or data.LFW_MINI
    attributes = attribute_file(args, source)
    train_data, validation_data = data.load_faces(
        source, image_size=preset.image_shape[0], batch_size=preset.images_per_step,
        seed=args.seed, validation_fraction=args.validation_fraction,
        center_crop=args.center_crop, value_range=preset.data_range,
        split_file=Path(args.out) / "split.json", limit=args.limit,
        **({} if attributes is None else {"attributes": attributes}),
    )
    return train_data, validation_data, str(source) + (
        "" if attributes is None else f" with attributes {attributes}")


def user_scoring(spec: str, validation_data: Any, preset: PresetBase, source: str
                 ) -> dict[str, Any]:
    """``MnistQuality``'s ``classifier`` and ``reference`` for ``--classifier spec``: the
    classifier, and the reference set of the validation images
    (``evaluation.validation_reference``).

    Raises:
        ValueError: the classifier takes another image shape than the preset's, or its file
            does not match its record.
    """
    from vaegan_tf.metrics.classifier import find_classifier
    from vaegan_tf.metrics.evaluation import validation_reference

    classifier = find_classifier(spec)
    if classifier.image_shape != tuple(preset.image_shape):
        raise ValueError(f"the classifier takes {classifier.image_shape} images, the preset "
                         f"makes {tuple(preset.image_shape)}")
    return {"classifier": classifier, "reference": validation_reference(
        classifier, validation_data, preset.data_range, source)}


ATTRIBUTE_LIST = "list_attr_celeba.txt"


def attribute_file(args: argparse.Namespace, source: str) -> Path | None:
    """The attribute list an attribute-conditional preset trains on (None for others).

    Raises:
        ValueError: none was given or found, or its attribute count is not the preset's.
    """
    wanted = getattr(args.preset, "num_attributes", 0)
    if not wanted:
        return None
    if source == data.LFW_MINI:
        raise ValueError(f"{args.preset.name} needs images with attributes; lfw-mini has none "
                         f"(give --data FOLDER with a {ATTRIBUTE_LIST})")
    candidates = [Path(args.attributes)] if args.attributes else [
        Path(source) / ATTRIBUTE_LIST, Path(source).parent / ATTRIBUTE_LIST]
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        raise ValueError(f"{args.preset.name} is conditioned on attributes: no attribute list "
                         f"at {' or '.join(str(path) for path in candidates)}")
    names, _, _ = data.celeba_attributes(found)
    if len(names) != wanted:
        raise ValueError(f"{found} has {len(names)} attributes; {args.preset.name} takes "
                         f"{wanted} (--set num_attributes={len(names)} to match)")
    return found


def main(argv: list[str] | None = None, presets: Sequence[str] = tuple(sorted(PRESETS)),
         default_preset: str = "mnist", prog: str | None = None) -> int:
    args = parse_args(argv, presets, default_preset, prog)
    cli.start_tensorflow(args)
    import keras
    import tensorflow as tf

    from vaegan_tf.callbacks import MnistQuality
    from vaegan_tf.training import check_training_steps

    keras.utils.set_random_seed(args.seed)
    if args.deterministic:
        tf.config.experimental.enable_op_determinism()
    if Path(args.out).exists() and not Path(args.out).is_dir():
        print(f"error: --out {args.out} is a file, not a run directory", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as held:
        if not args.chief:  # only the chief writes --out
            args.out = cli.worker_directory(args.out, args.worker, fresh=args.overwrite)
            held.callback(shutil.rmtree, args.out, ignore_errors=True)
        try:
            held.enter_context(run_lock(args.out))
        except RunDirectoryError as error:  # in use by another training
            print(f"error: {error}", file=sys.stderr)
            return 2
        except OSError as error:  # cannot be created or written
            print(f"error: --out {args.out}: cannot write the run directory there "
                  f"({error.strerror or error})", file=sys.stderr)
            return 2
        stop = cli.prepare_run_directory(args, args.preset)
        if stop is not None:
            return stop
        try:  # the model first: a preset its networks cannot make fails before any file
            model = cli.model_for(args, args.preset)
            train_data, validation_data, source = load_data(args)
            check_training_steps(train_data, args.preset)
        except (OSError, ValueError, ImportError, MemoryError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        try:
            cli.check_same_data(args, source)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"Data: {source}")
        args.data = source
        try:
            scoring = {} if args.classifier is None else user_scoring(
                args.classifier, validation_data, args.preset, source)
        except (OSError, ValueError) as error:
            print(f"error: --classifier {args.classifier}: {error}", file=sys.stderr)
            return 2
        def quality(out: str) -> list[MnistQuality]:
            return [] if not args.metrics_every else [MnistQuality(
                args.metrics_every, args.metrics_samples, args.seed,
                Path(out) / "metrics.json", **scoring)]

        if isinstance(args.preset, VAELSGANPreset):
            stopped = pretrain_generator(args, model, train_data, validation_data,
                                         quality, prog or "vaegan-tf train")
            if stopped:
                return stopped
        return cli.train_and_report(args, args.preset, train_data, validation_data,
                                    prog or "vaegan-tf train", extra_callbacks=quality(args.out),
                                    model=model)


def pretrain_generator(args: argparse.Namespace, model: Any, train_data: Any,
                       validation_data: Any, quality: Callable[[str], list[Any]],
                       script: str) -> int:
    """The VAE stage of a VAE-pretrained LSGAN run (``preset.pretraining()``) in
    ``RUN/pretrain/``: trained, resumed where it was interrupted, or found complete; then its
    decoder's weights start ``model``'s generator (``transfer_decoder_weights``). Skipped when
    the GAN stage has a backup (resuming it restores the generator). Returns the VAE stage's
    exit code when it stopped (Ctrl-C, an error), else 0."""
    from vaegan_tf.networks import transfer_decoder_weights
    from vaegan_tf.training import saved_state

    if not args.overwrite and saved_state(args.out, args.preset, args.seed) is not None:
        return 0
    stage = argparse.Namespace(**vars(args))
    stage.out = str(Path(args.out) / cli.PRETRAIN_DIRECTORY)
    stage.preset = args.preset.pretraining()
    stage.epochs = stage.preset.epochs
    stage.stage_of, stage.resume_directory = args.preset.name, args.out
    try:
        state = None if args.overwrite else saved_state(stage.out, stage.preset, args.seed)
    except ValueError as error:  # another configuration's backup
        print(f"error: {error} (or pass --overwrite)", file=sys.stderr)
        return 2
    if state is None or state["epoch"] < stage.epochs:
        print(f"Stage 1 of 2: the VAE, {stage.epochs} epoch(s), in {stage.out}")
        if state is not None:
            print(f"Resuming {stage.out} after epoch {state['epoch']} of {stage.epochs}")
        try:
            vae = cli.model_for(stage, stage.preset)
        except (MemoryError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        stopped = cli.train_and_report(stage, stage.preset, train_data, validation_data, script,
                                       extra_callbacks=quality(stage.out), model=vae)
        if stopped:
            return stopped
    decoder = cli.load_model(stage.out).network("decoder")
    transfer_decoder_weights(decoder, model.generator)
    model.restart_average()
    print(f"Stage 2 of 2: the LSGAN from the VAE's decoder, {args.epochs} epoch(s), in "
          f"{args.out}")
    return 0


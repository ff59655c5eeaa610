"""Train the NTUT VAE-GAN on MNIST with ``model.fit`` and write a run directory.

Example:
    python scripts/train_mnist.py --epochs 10 --sample-every 1 --out runs/mnist
"""

from __future__ import annotations

import argparse
import sys
import time

import keras

import vaegan_tf  # sets TF_ENABLE_ONEDNN_OPTS before TensorFlow loads
from vaegan_tf import data, training


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    preset = vaegan_tf.get_preset("mnist")
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--epochs", type=int, default=preset.epochs, help="epochs to train")
    parser.add_argument("--batch-size", type=int, default=preset.batch_size, help="batch size")
    parser.add_argument(
        "--limit", type=int, default=None,
        help="use only the first N images of each split (train and validation)",
    )
    parser.add_argument(
        "--sample-every", type=int, default=preset.sample_every,
        help="write a 4x4 sample grid every N epochs",
    )
    parser.add_argument(
        "--learning-rate", type=float, default=preset.learning_rate,
        help="initial learning rate of the three Adam optimizers",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, data and samples")
    parser.add_argument("--out", default="runs/mnist", help="run directory")
    parser.add_argument(
        "--fixed-latents", action="store_true",
        help="decode the same 16 latents for every grid (the original drew fresh ones)",
    )
    parser.add_argument(
        "--no-validation", action="store_true",
        help="skip the per-epoch validation on the 10k test digits (the original had none)",
    )
    parser.add_argument(
        "--schedule", type=int, choices=(1, 2, 3, 4), default=None,
        help="NTUT learning-rate schedule, driven by each network's validation loss "
        "(default: none, constant rate as in the original MNIST run)",
    )
    parser.add_argument(
        "--jit", action="store_true",
        help="compile the train step with XLA (a ~15 s compile first; see the README's Speed)",
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE",
        help="override a preset field, e.g. --set output_activation=sigmoid (repeatable; "
        "fields in vaegan_tf/presets.py)",
    )
    args = parser.parse_args(argv)
    if args.schedule not in (None, 1) and args.no_validation:
        parser.error(f"--schedule {args.schedule} needs validation; drop --no-validation")
    try:
        args.overrides = dict(preset.parse_override(item) for item in args.set)
        preset.replace(**args.overrides)
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    for name in ("epochs", "batch_size", "sample_every", "limit", "learning_rate"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive, got {value}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    preset = vaegan_tf.get_preset("mnist", **{"learning_rate": args.learning_rate,
                                              **args.overrides})
    try:
        train_data = data.mnist(
            "train", batch_size=args.batch_size, limit=args.limit, seed=args.seed,
            value_range=preset.data_range,
        )
        validation_data = None if args.no_validation else data.mnist(
            "test", batch_size=args.batch_size, limit=args.limit, value_range=preset.data_range,
        )
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    kind, path = data.locate_mnist()
    print(f"MNIST from {kind}: {path}")

    model = vaegan_tf.build_vaegan("mnist", seed=args.seed, **args.overrides)
    model.compile(
        **vaegan_tf.adam_optimizers(preset.learning_rate, preset.adam_beta_1),
        jit_compile=args.jit,
    )
    started = time.time()
    history, files = training.train(
        model, train_data, args.out, preset, epochs=args.epochs,
        validation_data=validation_data, sample_every=args.sample_every, seed=args.seed,
        fixed_latents=args.fixed_latents, schedule=args.schedule,
        run_config={"script": "scripts/train_mnist.py", "argv": sys.argv[1:], **vars(args)},
    )
    minutes = (time.time() - started) / 60
    last = {key: values[-1] for key, values in history.history.items()}
    print(f"\nTrained {args.epochs} epoch(s) in {minutes:.1f} min. Last epoch:")
    for key in sorted(last):
        print(f"  {key:32s} {last[key]:.6g}")
    print(f"\nRun directory: {files.directory}")
    print(f"  sample grids:  {len(files.grids)} file(s), e.g. "
          f"{files.grids[-1] if files.grids else '(none: fewer epochs than --sample-every)'}")
    print(f"  GIF:           {files.gif or '(none)'}")
    print(f"  history:       {files.history_csv}, {files.history_json}")
    print(f"  TensorBoard:   tensorboard --logdir {files.tensorboard}")
    print(f"  model:         {files.model}  (keras.models.load_model)")
    print(f"  config:        {files.config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

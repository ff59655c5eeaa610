"""Train the face VAE-GAN once per NTUT learning-rate schedule (1-4) and compare them.

Every run uses the same data, split, seed and initial weights; only the schedule differs. Each
run goes to ``OUT/lr1`` ... ``OUT/lr4`` (like the original's ``img/lr*``), and
``OUT/schedules.png`` compares the four learning-rate curves and validation losses.
``OUT/summary.json`` holds each run's final rates and losses.

Example:
    python scripts/compare_schedules.py --data lfw-mini --epochs 30 --batch-size 16 \
        --out img/faces/schedules
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import keras

import vaegan_tf  # sets TF_ENABLE_ONEDNN_OPTS before TensorFlow loads
from vaegan_tf import cli, data, plotting, training
from vaegan_tf.presets import SCHEDULE_PRESETS

FACE_PRESETS = sorted(
    name for name, preset in vaegan_tf.PRESETS.items() if preset.image_shape == (64, 64, 3)
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=cli.HelpFormatter,
    )
    parser.add_argument("--data", default=data.LFW_MINI,
                        help="face folder, TFDS dir with celeb_a, or 'lfw-mini'")
    parser.add_argument("--preset", choices=FACE_PRESETS, default="faces")
    parser.add_argument("--schedules", type=int, nargs="+", choices=sorted(SCHEDULE_PRESETS),
                        default=sorted(SCHEDULE_PRESETS), help="schedules to run")
    parser.add_argument("--center-crop", type=int, default=None,
                        help="central square to cut before resizing, e.g. 160 for CelebA "
                        "(default: no crop)")
    parser.add_argument("--checkpoints", action="store_true",
                        help="also save each run's model.keras (1.1 GB each for faces)")
    cli.add_training_arguments(parser, vaegan_tf.get_preset("faces"), out="runs/schedules")
    args = parser.parse_args(argv)
    if args.schedule is not None:
        parser.error("use --schedules here: every listed schedule gets its own run")
    args.preset = cli.resolve_preset(parser, args, args.preset)
    return args


def run_schedule(args: argparse.Namespace, number: int) -> dict[str, list[float]]:
    preset = args.preset.replace(schedule=number)
    directory = Path(args.out) / f"lr{number}"
    keras.utils.set_random_seed(args.seed)  # same initial weights and noise for every schedule
    train_data, validation_data = data.load_faces(
        args.data, image_size=preset.image_shape[0], batch_size=preset.batch_size,
        seed=args.seed, center_crop=args.center_crop, value_range=preset.data_range,
        split_file=directory / "split.json",
    )
    model = cli.compiled_model(preset, args.seed, args.jit)
    started = time.time()
    history, _ = training.train(
        model, train_data, directory, preset, epochs=args.epochs,
        validation_data=validation_data, sample_every=args.sample_every, seed=args.seed,
        fixed_latents=args.fixed_latents, schedule=number, checkpoint=args.checkpoints,
        verbose=2,
        run_config={"script": "scripts/compare_schedules.py", "argv": sys.argv[1:],
                    **vars(args) | {"preset": preset.name}},
    )
    print(f"lr{number}: {args.epochs} epochs in {(time.time() - started) / 60:.1f} min")
    return history.history


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    histories = {}
    for number in args.schedules:
        try:
            histories[f"lr{number}"] = run_schedule(args, number)
        except (OSError, ValueError, ImportError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    figure = plotting.save_schedule_comparison(histories, Path(args.out) / "schedules.png")
    summary = {
        label: {key: values[-1] for key, values in history.items()}
        for label, history in histories.items()
    }
    summary_path = Path(args.out) / "summary.json"
    summary_path.write_text(json.dumps(summary, indent=2) + "\n")
    print("\nLast epoch of each run (learning rates and validation losses):")
    keys = [f"{network}_learning_rate" for network in plotting.NETWORKS] + [
        f"val_{network}_loss" for network in plotting.NETWORKS]
    print("  run  " + "  ".join(f"{key:>27s}" for key in keys))
    for label, last in summary.items():
        print(f"  {label:4s} " + "  ".join(f"{last.get(key, float('nan')):27.4g}" for key in keys))
    print(f"\nComparison figure: {figure}\nSummary: {summary_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=cli.HelpFormatter,
    )
    cli.add_face_data_arguments(parser)
    parser.add_argument("--schedules", type=int, nargs="+", choices=sorted(SCHEDULE_PRESETS),
                        default=sorted(SCHEDULE_PRESETS), help="schedules to run")
    parser.add_argument("--summary-only", action="store_true",
                        help="redraw the figure and summary from the runs already in --out")
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
    model = cli.model_for(args, preset)
    started = time.time()
    history, _ = training.train(
        model, train_data, directory, preset, epochs=args.epochs,
        validation_data=validation_data, sample_every=args.sample_every, seed=args.seed,
        fixed_latents=args.fixed_latents, schedule=number, checkpoint=args.checkpoints,
        keep_every=args.keep_every or 0, network_files=args.network_files, verbose=0,
        run_config={"script": "scripts/compare_schedules.py", "argv": sys.argv[1:],
                    **vars(args) | {"preset": preset.name}},
    )
    print(f"lr{number}: {args.epochs} epochs in {(time.time() - started) / 60:.1f} min")
    return history.history


def decay_epochs(rates: list[float], initial_rate: float) -> list[int]:
    """Epochs at whose end the learning rate dropped (as the original's logs list them)."""
    previous = [initial_rate, *rates[:-1]]
    return [epoch for epoch, (rate, before) in enumerate(zip(rates, previous, strict=True))
            if rate < before]


def summarize(
    out: Path, histories: dict[str, dict[str, list[float]]], initial_rate: float
) -> Path:
    """Writes ``schedules.png`` and ``summary.json``, prints the comparison table."""
    figure = plotting.save_schedule_comparison(histories, out / "schedules.png")
    summary = {
        label: {
            "last_epoch": {key: values[-1] for key, values in history.items()},
            "decay_epochs": {
                network: decay_epochs(history.get(f"{network}_learning_rate", []), initial_rate)
                for network in plotting.NETWORKS
            },
        }
        for label, history in histories.items()
    }
    summary_path = out / "summary.json"
    summary_path.write_text(json.dumps(summary, indent=2) + "\n")
    print("\n| run | final lr (enc / dec / disc) | decay epochs (enc; dec; disc) "
          "| last val loss (enc / dec / disc) | best val loss (enc / dec / disc) |")
    print("|---|---|---|---|---|")
    for label, history in histories.items():
        rates = " / ".join(f"{history[f'{n}_learning_rate'][-1]:.3g}" for n in plotting.NETWORKS)
        decays = "; ".join(
            ", ".join(map(str, summary[label]["decay_epochs"][n])) or "none"
            for n in plotting.NETWORKS)
        last = " / ".join(f"{history[f'val_{n}_loss'][-1]:.3f}" for n in plotting.NETWORKS)
        best = " / ".join(f"{min(history[f'val_{n}_loss']):.3f}" for n in plotting.NETWORKS)
        print(f"| {label} | {rates} | {decays} | {last} | {best} |")
    print(f"\nComparison figure: {figure}\nSummary: {summary_path}")
    return summary_path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cli.start_tensorflow(args)  # --cpu-replicas before TensorFlow's devices start
    out = Path(args.out)
    histories = {}
    for number in args.schedules:
        label = f"lr{number}"
        if args.summary_only:
            path = out / label / "history.json"
            if not path.is_file():
                print(f"error: {path} does not exist; run without --summary-only first",
                      file=sys.stderr)
                return 2
            histories[label] = json.loads(path.read_text())
            continue
        try:
            histories[label] = run_schedule(args, number)
        except (OSError, ValueError, ImportError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    summarize(out, histories, args.preset.learning_rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())

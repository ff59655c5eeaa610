"""A training run: ``model.fit`` plus the callbacks that write a run directory.

A run directory holds the sample grids and progress GIF (named as the original named them),
``history.csv`` (appended every epoch), ``history.json``, ``losses.png`` and
``learning_rates.png`` (redrawn every epoch), ``config.json``, TensorBoard logs
under ``logs/`` and the whole model as ``model.keras`` (rewritten every epoch).
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from vaegan_tf.callbacks import (
    EpochSummary,
    GifRenderer,
    GracefulInterrupt,
    HistoryPlots,
    LatestCheckpoint,
    LearningRateLogger,
    NonFiniteGuard,
    SampleGrid,
    TensorBoardLogger,
    learning_rate_schedule,
)
from vaegan_tf.presets import VAEGANPreset
from vaegan_tf.vaegan import VAEGAN


@dataclasses.dataclass
class RunFiles:
    """Where a run put its outputs."""

    directory: Path
    grids: list[Path]
    gif: Path | None
    history_csv: Path
    history_json: Path
    loss_plot: Path
    learning_rate_plot: Path
    config: Path
    tensorboard: Path
    model: Path | None
    interrupted: bool = False
    """Whether a Ctrl-C ended training early (after saving the partial epoch)."""


def run_callbacks(
    directory: Path,
    preset: VAEGANPreset,
    sample_every: int,
    seed: int | None = None,
    fixed_latents: bool = False,
    schedule: int | None = None,
    checkpoint: bool = True,
    extra_callbacks: list[keras.callbacks.Callback] | None = None,
    epochs: int | None = None,
) -> tuple[list[keras.callbacks.Callback], SampleGrid, GifRenderer]:
    """The callbacks that fill a run directory, in the order they must run.

    A learning-rate ``schedule`` (1-4) updates the rates first, so the history, CSV and
    TensorBoard all record the rate the next epoch uses. ``checkpoint`` saves ``model.keras``
    every epoch (about 1.1 GB for the face model: weights plus three Adam states).
    ``extra_callbacks`` (e.g. ``MnistQuality``) run right after the schedule, so what they add
    to the logs reaches the history, CSV, plots and TensorBoard. With ``epochs``, an
    ``EpochSummary`` prints one line per epoch with an ETA.
    """
    grids = SampleGrid(
        directory, every=sample_every, filename=preset.grid_filename,
        fixed_latents=fixed_latents, seed=seed,
    )
    gif = GifRenderer(directory, filename=preset.gif_filename, pattern=grids.glob_pattern)
    callbacks = [
        GracefulInterrupt(),
        NonFiniteGuard(),
        LearningRateLogger() if schedule is None else learning_rate_schedule(schedule),
        *(extra_callbacks or []),
        grids,
        TensorBoardLogger(directory / "logs", samples=grids),
        keras.callbacks.CSVLogger(str(directory / "history.csv")),
        HistoryPlots(directory),
        *([LatestCheckpoint(directory / "model.keras")] if checkpoint else []),
        gif,
        *([EpochSummary(epochs)] if epochs else []),
    ]
    return callbacks, grids, gif


def train(
    model: VAEGAN,
    train_data: tf.data.Dataset,
    directory: str | os.PathLike,
    preset: VAEGANPreset,
    epochs: int,
    validation_data: tf.data.Dataset | None = None,
    sample_every: int | None = None,
    seed: int | None = None,
    fixed_latents: bool = False,
    schedule: int | None = None,
    run_config: dict[str, Any] | None = None,
    verbose: int | str = "auto",
    checkpoint: bool = True,
    extra_callbacks: list[keras.callbacks.Callback] | None = None,
) -> tuple[keras.callbacks.History, RunFiles]:
    """Fits a compiled model and writes everything a run produces into ``directory``.

    Args:
        model: A compiled ``VAEGAN``.
        train_data: Training batches.
        directory: Run directory (created).
        preset: The model's preset (file names, grid interval).
        epochs: Epochs to train.
        validation_data: Validation batches, evaluated after every epoch.
        sample_every: Grid interval; the preset's by default.
        seed: Seed of the grid latents.
        fixed_latents: Grids decode one fixed latent batch (comparable frames).
        schedule: NTUT learning-rate schedule 1-4 (needs ``validation_data`` unless 1);
            None keeps the compiled rates.
        run_config: Extra settings recorded in ``config.json`` (e.g. the command line).
        verbose: ``fit``'s verbosity (its progress bar); one summary line per epoch is
            printed in any case.
        checkpoint: Save the whole model as ``model.keras`` after every epoch.
        extra_callbacks: More callbacks, run after the learning-rate callback.
    """
    if epochs <= 0:
        raise ValueError(f"epochs must be positive, got {epochs}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "config.json"
    config_path.write_text(
        json.dumps({"preset": preset.to_dict(), "run": run_config or {}}, indent=2) + "\n"
    )
    if schedule is not None and schedule != 1 and validation_data is None:
        raise ValueError(f"Learning-rate schedule {schedule} needs validation_data")
    callbacks, grids, gif = run_callbacks(
        directory, preset, sample_every or preset.sample_every, seed, fixed_latents, schedule,
        checkpoint, extra_callbacks, epochs,
    )
    with warnings.catch_warnings():
        # Keras warns each time a dataset of unknown length ends. Image-folder datasets have
        # an unknown length by design (unreadable files are skipped while decoding), and
        # ``fit`` here never sets steps_per_epoch, so the warning would only mislead.
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        history = model.fit(
            train_data,
            epochs=epochs,
            validation_data=validation_data,
            callbacks=callbacks,
            shuffle=False,  # the datasets shuffle themselves
            verbose=verbose,
        )
    history_json = directory / "history.json"
    history_json.write_text(json.dumps(history.history, indent=2) + "\n")
    files = RunFiles(
        directory=directory,
        grids=list(grids.paths),
        gif=gif.path,
        history_csv=directory / "history.csv",
        history_json=history_json,
        loss_plot=directory / HistoryPlots.LOSSES,
        learning_rate_plot=directory / HistoryPlots.LEARNING_RATES,
        config=config_path,
        tensorboard=directory / "logs",
        model=directory / "model.keras" if checkpoint else None,
        interrupted=any(isinstance(callback, GracefulInterrupt) and callback.interrupted
                        for callback in callbacks),
    )
    return history, files

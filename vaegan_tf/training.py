"""A training run: ``model.fit`` plus the callbacks that write a run directory.

A run directory holds the sample grids and progress GIF (named as the original named them),
``history.csv``, ``history.json``, ``losses.png`` and ``learning_rates.png`` (rewritten every
epoch), ``config.json`` (settings, command, package versions), TensorBoard logs under
``logs/``, the latest finished epoch as ``model.keras`` (weights and optimizers: the one
whole-model file, which the resume state in ``backup/`` refers to) and the networks that
sample from the best epoch (``best/``); on request every network of the latest epoch
(``latest/``) and the sampling networks of every N-th epoch (``epochs/``). It works for every
``AdversarialModel``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import warnings
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

import vaegan_tf
from vaegan_tf.adversarial import AdversarialModel
from vaegan_tf.callbacks import (
    BestCheckpoint,
    CodeTraversal,
    EpochSummary,
    GifRenderer,
    GracefulInterrupt,
    LatestCheckpoint,
    LearningRateLogger,
    NetworkSnapshots,
    NonFiniteGuard,
    RunBackup,
    RunHistory,
    SampleGrid,
    TensorBoardLogger,
    check_fingerprint,
    check_seed_generators,
    learning_rate_schedule,
    write_text_atomically,
)
from vaegan_tf.data.pipeline import EpochShuffle
from vaegan_tf.presets import PresetBase
from vaegan_tf.run_directory import remove_partial_files, run_lock

BACKUP = "backup"
"""The run directory's resume backup folder (``RunBackup``)."""


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
    best: Path | None = None
    """The best epoch's networks folder (its sampling networks, ``model.json``,
    ``best.json``)."""
    interrupted: bool = False
    """Whether a Ctrl-C ended training early (after saving the partial epoch)."""
    resumed_from: int = 0
    """Epochs restored from the run's backup before training (0: a fresh run)."""


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a run's numbers depend on."""
    return {"python": platform.python_version(), "vaegan_tf": vaegan_tf.__version__,
            "tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__}


def run_fingerprint(preset: PresetBase, seed: int | None) -> dict[str, Any]:
    """What a resumed run must share with the run it continues: every preset field and the
    seed."""
    return {**preset.to_dict(), "seed": seed}


def fingerprint_defaults(preset: PresetBase) -> dict[str, Any]:
    """The class defaults of ``preset``'s fields: a backup made before a field existed
    resumes a run that has it at its default."""
    return {field.name: field.default for field in dataclasses.fields(preset)
            if field.default is not dataclasses.MISSING}


def saved_state(
    directory: str | os.PathLike, preset: PresetBase, seed: int | None
) -> dict[str, Any] | None:
    """The resume backup's state in run ``directory``, or None without one; ``ValueError``
    naming the first difference if it backs up another preset or seed, ``BackupError``
    (a ``ValueError``) naming the file if the backup is unreadable or incomplete."""
    backup_dir = Path(directory) / BACKUP
    state = RunBackup.read_state(backup_dir)
    if state is not None:
        check_fingerprint(state, run_fingerprint(preset, seed), backup_dir,
                          fingerprint_defaults(preset))
    return state


class RunSetupError(ValueError):
    """A run refused before its first step (nothing written): the message says why."""


def check_training_steps(train_data: tf.data.Dataset, preset: PresetBase) -> None:
    """Raises ``ValueError`` when an epoch of ``train_data`` has no training step: a train
    step larger than the data, whose incomplete batch is dropped."""
    if int(train_data.cardinality()) != 0:
        return
    critic = (f" × {preset.discriminator_steps} critic steps"
              if preset.images_per_step != preset.batch_size else "")
    raise RunSetupError(
        f"no training step: a train step takes {preset.images_per_step} images (--batch-size "
        f"{preset.batch_size}{critic}), more than the training data holds; lower --batch-size "
        "or use more data")


AUTO = "auto"
"""``best_by``'s default: the VAE-GAN's ``val_encoder_loss`` when validated, else the FID
when it is measured (``mnist_fid``, or another classifier's ``NAME_fid``), else no best
checkpoint."""


def log_keys(model: AdversarialModel, validation: bool,
             extra_callbacks: list[keras.callbacks.Callback]) -> set[str]:
    """The keys every epoch of a run of ``model`` logs: its loss trackers (``val_`` ones too
    with ``validation``), each network's learning rate, and what ``extra_callbacks`` add
    (their ``log_keys(model)``)."""
    trackers = {metric.name for metric in model.metrics}
    keys = trackers | {f"{name}_learning_rate" for name in model.network_names}
    if validation:
        keys |= {f"val_{name}" for name in trackers}
    for callback in extra_callbacks:
        keys |= set(getattr(callback, "log_keys", lambda model: ())(model))
    return keys


def checked_best_by(best_by: str | None, keys: set[str]) -> str | None:
    """``best_by`` resolved (``"auto"``) and checked against the run's log ``keys`` before the
    first step: ``ValueError`` listing the keys if the run will never log it."""
    if best_by == AUTO:
        fids = sorted(key for key in keys if key.endswith("_fid"))
        return next((key for key in ("val_encoder_loss", *fids) if key in keys), None)
    if best_by and best_by not in keys:
        raise RunSetupError(f"best_by {best_by!r} is not a key of this run's history; it will "
                         f"have: {', '.join(sorted(keys))}")
    return best_by or None


def run_callbacks(
    directory: Path,
    preset: PresetBase,
    sample_every: int,
    seed: int | None = None,
    fixed_latents: bool = False,
    schedule: int | None = None,
    checkpoint: bool = True,
    extra_callbacks: list[keras.callbacks.Callback] | None = None,
    epochs: int | None = None,
    best_by: str | None = None,
    data_order: EpochShuffle | None = None,
    keep_every: int = 0,
    network_files: bool = False,
) -> tuple[list[keras.callbacks.Callback], SampleGrid, GifRenderer]:
    """The callbacks that fill a run directory, in the order they must run.

    A learning-rate ``schedule`` (1-4) updates the rates first, so the history, CSV and
    TensorBoard all record the rate the next epoch uses. ``extra_callbacks`` (e.g.
    ``MnistQuality``) run right after the schedule, so what they add to the logs reaches the
    history, plots, TensorBoard and the best-checkpoint choice. ``checkpoint`` saves the
    whole model every epoch with the resume backup, which runs last (``RunBackup``; for the
    face model that file is about 1.1 GB: weights plus three Adam states), and the best epoch's
    sampling networks by ``best_by`` (a log key, lower is better); ``keep_every`` N > 0 keeps
    the sampling networks of every N-th epoch too, ``network_files`` every network of the
    latest epoch. With ``epochs``, an ``EpochSummary`` prints one line per epoch with an ETA.
    """
    grids = SampleGrid(
        directory, every=sample_every, filename=preset.grid_filename,
        fixed_latents=fixed_latents, seed=seed,
    )
    gif = GifRenderer(directory, filename=preset.gif_filename, pattern=grids.glob_pattern,
                      samples=grids)
    interrupt = GracefulInterrupt()
    saving: list[keras.callbacks.Callback] = []
    if checkpoint and network_files:
        saving.append(LatestCheckpoint(None, directory / "latest"))
    if checkpoint and keep_every:
        saving.append(NetworkSnapshots(directory / "epochs", keep_every, interrupt))
    if checkpoint and best_by:
        saving.append(BestCheckpoint(directory / "best", monitor=best_by, interrupt=interrupt))
    callbacks = [
        interrupt,
        NonFiniteGuard(),
        LearningRateLogger() if schedule is None else learning_rate_schedule(schedule),
        *(extra_callbacks or []),
        grids,
        *([CodeTraversal(directory, every=sample_every, seed=seed or 0)]
          if getattr(preset, "categorical_dim", 0) else []),
        TensorBoardLogger(directory / "logs", samples=grids),
        RunHistory(directory),
        *saving,
        gif,
        *([EpochSummary(epochs)] if epochs else []),
    ]
    if checkpoint:
        stateful: dict[str, keras.callbacks.Callback] = {}
        for callback in callbacks:
            if hasattr(callback, "get_state"):
                name = type(callback).__name__
                stateful[name if name not in stateful else f"{name}_{len(stateful)}"] = callback
        callbacks.append(RunBackup(
            directory / BACKUP, stateful, fingerprint=run_fingerprint(preset, seed),
            interrupt=interrupt, data_order=data_order,
            fingerprint_defaults=fingerprint_defaults(preset), model_path=directory / "model.keras",
        ))
    return callbacks, grids, gif


def _find(callbacks: list[keras.callbacks.Callback], kind: type) -> Any:
    return next((callback for callback in callbacks if isinstance(callback, kind)), None)


def train(
    model: AdversarialModel,
    train_data: tf.data.Dataset,
    directory: str | os.PathLike,
    preset: PresetBase,
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
    resume: bool = False,
    best_by: str | None = AUTO,
    keep_every: int = 0,
    network_files: bool = False,
) -> tuple[keras.callbacks.History, RunFiles]:
    """Fits a compiled model and writes everything a run produces into ``directory``.

    Args:
        model: A compiled ``AdversarialModel`` (``VAEGAN``, ``GAN``, ...).
        train_data: Training batches. A vaegan_tf dataset (``data.mnist``,
            ``data.image_folder``, ...) carries its ``EpochShuffle``, so a resumed run sees the
            data in the same order as an uninterrupted one.
        directory: Run directory (created).
        preset: The model's preset (file names, grid interval).
        epochs: Epochs of the whole run (a resumed run trains the remaining ones).
        validation_data: Validation batches, evaluated after every epoch.
        sample_every: Grid interval; the preset's by default.
        seed: Seed of the grid latents.
        fixed_latents: Grids decode one fixed latent batch (comparable frames).
        schedule: NTUT learning-rate schedule 1-4 (needs ``validation_data`` unless 1);
            None keeps the compiled rates.
        run_config: Extra settings recorded in ``config.json`` (e.g. the command line).
        verbose: ``fit``'s verbosity (its progress bar); one summary line per epoch is
            printed in any case.
        checkpoint: Save the whole model (``model.keras``) and the resume state
            (``directory/backup``) every epoch, and the best epoch's sampling networks.
        extra_callbacks: More callbacks, run after the learning-rate callback.
        resume: Continue from ``directory/backup`` when it holds a backup of this preset and
            seed (weights, optimizers, schedule, RNG states, history, grids); ``ValueError``
            if it holds another configuration's. False starts over and deletes the backup.
        best_by: The log key (lower is better) that picks the best checkpoint, None for no
            best checkpoint, or ``"auto"``: ``val_encoder_loss`` with validation data,
            else the FID (``mnist_fid``, ...) when an extra callback logs it, else none. A
            key the run will not log raises ``RunSetupError`` before training.
        keep_every: N > 0 also keeps the sampling networks of every N-th epoch
            (``epochs/epoch_XXXX/``, for ``load_networks``); 0 keeps none.
        network_files: Also write every network of the latest epoch to ``latest/``.

    Returns:
        The history of the whole run (restored epochs included) and the files written.
    """
    if epochs <= 0:
        raise RunSetupError(f"epochs must be positive, got {epochs}")
    check_training_steps(train_data, preset)
    best_by = checked_best_by(best_by, log_keys(model, validation_data is not None,
                                                extra_callbacks or []))
    if schedule is not None and schedule != 1 and validation_data is None:
        raise RunSetupError(f"Learning-rate schedule {schedule} needs validation_data")
    directory = Path(directory)
    callbacks, grids, gif = run_callbacks(
        directory, preset, sample_every or preset.sample_every, seed, fixed_latents, schedule,
        checkpoint, extra_callbacks, epochs, best_by, getattr(train_data, "epoch_shuffle", None),
        keep_every, network_files,
    )
    with run_lock(directory):  # one training per run directory (run_directory.py)
        state = saved_state(directory, preset, seed) if resume and checkpoint else None
        if state is not None:  # before anything is written: a refused resume touches nothing
            check_seed_generators(state, model, directory / BACKUP)
        directory.mkdir(parents=True, exist_ok=True)
        leftovers = remove_partial_files(directory)
        if leftovers:
            print(f"Removed {len(leftovers)} unfinished file(s) of a save that was interrupted: "
                  f"{', '.join(str(path) for path in leftovers)}")
        if not resume:
            shutil.rmtree(directory / BACKUP, ignore_errors=True)
        config_path = write_text_atomically(directory / "config.json", json.dumps({
            "preset": preset.to_dict(),
            "run": run_config or {},
            "resumed_from_epoch": 0 if state is None else state["epoch"],
            "versions": package_versions(),
        }, indent=2) + "\n")
        with warnings.catch_warnings():
            # Keras warns each time a dataset of unknown length ends. Image-folder datasets have
            # an unknown length by design (unreadable files are skipped while decoding), and
            # ``fit`` here never sets steps_per_epoch, so the warning would only mislead.
            warnings.filterwarnings("ignore", message="Your input ran out of data")
            model.fit(
                train_data,
                epochs=epochs,
                validation_data=validation_data,
                callbacks=callbacks,
                shuffle=False,  # the datasets shuffle themselves
                verbose=verbose,
            )
        run_history: RunHistory = _find(callbacks, RunHistory)
        history = keras.callbacks.History()
        history.history, history.epoch = run_history.history, run_history.epochs
        best: BestCheckpoint | None = _find(callbacks, BestCheckpoint)
        files = RunFiles(
            directory=directory,
            grids=list(grids.paths),
            gif=gif.path,
            history_csv=directory / RunHistory.CSV,
            history_json=directory / RunHistory.JSON,
            loss_plot=directory / RunHistory.LOSSES,
            learning_rate_plot=directory / RunHistory.LEARNING_RATES,
            config=config_path,
            tensorboard=directory / "logs",
            model=directory / "model.keras" if checkpoint else None,
            best=best.directory if best is not None and best.best_epoch is not None else None,
            interrupted=_find(callbacks, GracefulInterrupt).interrupted,
            resumed_from=getattr(_find(callbacks, RunBackup), "restored_epoch", 0),
        )
        return history, files

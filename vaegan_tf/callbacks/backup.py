"""Resume after a crash: the whole training state after every finished epoch."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np

from vaegan_tf.callbacks.checkpoint import (
    file_sha256,
    save_atomically,
    write_atomically,
    write_text_atomically,
)
from vaegan_tf.callbacks.interrupt import GracefulInterrupt
from vaegan_tf.data.pipeline import EpochShuffle
from vaegan_tf.private_api import set_initial_epoch, streamed_weights


def _json_normal(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists), for comparisons."""
    return json.loads(json.dumps(value))


def seed_generator_states(model: keras.Model) -> list[keras.Variable]:
    """The state variables of every ``keras.random.SeedGenerator`` in ``model`` (its noise and
    label draws, dropout masks). ``save_weights`` does not store them."""
    return [variable for variable in model.variables if "seed_generator" in variable.path]


class BackupError(ValueError):
    """A resume backup that cannot be restored; the message names the file and what to do."""

    def __init__(self, path: str | os.PathLike, problem: str,
                 backup_dir: str | os.PathLike | None = None) -> None:
        backup_dir = Path(path).parent if backup_dir is None else backup_dir
        super().__init__(
            f"{path}: {problem}. The run cannot resume from this backup (it keeps the last "
            f"finished epoch only): restore the file, or delete {backup_dir} to train the run "
            "over from epoch 0")


_WEIGHTS_NAME = re.compile(r"epoch_\d{4,}\.weights\.h5")
"""The weights file of a backup of the earlier layout, in which ``RunBackup`` kept its own copy
of the weights (such backups still resume)."""
_MODEL_NAME = re.compile(r"(\.\./)?[\w.-]+\.keras")
"""Where a backup's whole-model file may be: in the backup folder or beside it (``RUN/``)."""
BACKUP_MODEL = "model.keras"
"""The whole-model file inside the backup folder: a standalone backup's, or, after a Ctrl-C,
the last finished epoch's (moved there before the partial epoch is saved)."""


def _check_state(path: Path, state: Any) -> dict[str, Any]:
    """``state`` (read from ``path``) if it has the shape ``RunBackup`` writes, else
    ``BackupError`` naming what is wrong."""
    expected = {"epoch": int, "fingerprint": dict, "seed_generators": list, "callbacks": dict}
    if not isinstance(state, dict):
        raise BackupError(path, f"holds a {type(state).__name__}, not a backup state")
    expected.update({"model": str, "sha256": str} if "model" in state else {"weights": str})
    for key, kind in expected.items():
        if not isinstance(state.get(key), kind) or isinstance(state.get(key), bool):
            raise BackupError(path, f"its {key!r} is {state.get(key)!r}, not a {kind.__name__}")
    if state["epoch"] < 1:
        raise BackupError(path, f"its epoch is {state['epoch']}")
    if "model" in state and not _MODEL_NAME.fullmatch(state["model"]):
        raise BackupError(path, f"it names the model {state['model']!r}, not NAME.keras in the "
                          "backup folder or ../NAME.keras beside it")
    if "weights" in state and not _WEIGHTS_NAME.fullmatch(state["weights"]):
        raise BackupError(path, f"it names weights {state['weights']!r}, not "
                          "epoch_NNNN.weights.h5")
    return state


def _read_state_file(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise BackupError(path, f"unreadable ({error})") from None
    return _check_state(path, state)


def _restore_file(backup_dir: Path, state: dict[str, Any]) -> Path | None:
    """The file that holds ``state``'s weights and optimizers, or None if none matches: the
    model file it names, else the backup folder's own ``model.keras`` (where a Ctrl-C moves
    the finished epoch), whichever has the recorded SHA-256; an earlier-layout weights file
    if it opens as HDF5 (``BackupError`` if not)."""
    if "weights" in state:
        import h5py

        weights = backup_dir / state["weights"]
        try:
            with h5py.File(weights, "r"):
                pass
        except (OSError, ValueError) as error:
            raise BackupError(weights, "missing" if not weights.exists()
                              else f"not a readable weights file ({error})") from None
        return weights
    named = Path(os.path.normpath(backup_dir / state["model"]))
    for candidate in dict.fromkeys([named, backup_dir / BACKUP_MODEL]):
        if candidate.is_file() and file_sha256(candidate) == state["sha256"]:
            return candidate
    return None


def check_seed_generators(state: dict[str, Any], model: keras.Model,
                          backup_dir: str | os.PathLike) -> None:
    """``BackupError`` unless the backup holds one state of the right size per random
    generator of ``model``."""
    variables = seed_generator_states(model)
    saved = state["seed_generators"]
    if len(saved) != len(variables) or any(
            np.shape(value) != tuple(variable.shape)
            for value, variable in zip(saved, variables, strict=False)):
        raise BackupError(Path(backup_dir) / RunBackup.STATE,
                          f"it holds {len(saved)} random-generator state(s); the model has "
                          f"{len(variables)} of shape {[tuple(v.shape) for v in variables]}")


def check_fingerprint(state: dict[str, Any], fingerprint: Any, backup_dir: str | os.PathLike,
                      defaults: Mapping[str, Any] | None = None) -> None:
    """Raises ``ValueError`` naming the first difference if the backup ``state`` was made with
    another ``fingerprint``: another preset (by name), else another preset field or seed.

    A field the backup does not record (one added to the presets after it was made) counts as
    equal when the run has it at its default (``defaults``, as JSON), so old backups resume.
    """
    saved, expected = state.get("fingerprint"), _json_normal(fingerprint)
    if saved == expected:
        return
    if isinstance(saved, dict) and isinstance(expected, dict):
        if "name" in saved and saved["name"] != expected.get("name"):
            raise ValueError(
                f"{backup_dir} backs up a run of the preset {saved['name']!r}, not "
                f"{expected.get('name')!r}; use another run directory, or delete "
                f"{backup_dir} to start over")
        defaults = _json_normal(dict(defaults or {}))
        for key in sorted(saved.keys() | expected.keys()):
            if key not in saved and key in defaults and expected.get(key) == defaults[key]:
                continue
            if saved.get(key) != expected.get(key):
                raise ValueError(
                    f"{backup_dir} backs up a run with {key}={saved.get(key)!r}, not "
                    f"{expected.get(key)!r}; use another run directory, or delete "
                    f"{backup_dir} to start over"
                )
        return  # the differences are fields added since, at their defaults
    raise ValueError(f"{backup_dir} backs up a run of another configuration")


class RunBackup(keras.callbacks.BackupAndRestore):
    """Keras ``BackupAndRestore``, made atomic and extended to the whole training state.

    After every finished epoch it saves the whole model (weights, its optimizers' moments,
    step counts and learning rates, config) to ``model_path``, and writes ``state.json`` into
    ``backup_dir``: the epoch count, the model file's name and SHA-256, the model's
    random-generator states, a fingerprint of the configuration and each ``stateful``
    callback's ``get_state()`` (learning-rate schedule, grid latents and the list of grids,
    history, quality results, best checkpoint, elapsed time). Every file is written to a
    temporary name and renamed; ``state.json`` is written (the one before kept as
    ``state.previous.json``) while the new model is still a temporary file, so a kill at any
    moment leaves a state whose model file has the recorded SHA-256.

    The model file is the run's one copy of the weights: ``RUN/model.keras`` in a run
    directory, so the backup adds only ``state.json``. A partial epoch ended by Ctrl-C is not
    backed up (a resumed run redoes it); with ``model_path`` outside ``backup_dir`` it is
    saved there, after the finished epoch's file has moved into the backup folder.

    At the start of ``fit``, if ``state.json`` exists, everything is restored and ``fit``
    continues at the saved epoch (Keras' ``initial_epoch`` mechanism). Unlike Keras'
    default, the backup is kept after training, so a later ``fit`` with more epochs continues
    the same run. Place it last among the callbacks, so it restores after the others have
    reset themselves and saves after they have updated.

    Args:
        backup_dir: Folder of the backup (e.g. ``run/backup``); used by nothing else.
        stateful: Name → callback with ``get_state()`` / ``set_state(state)``.
        fingerprint: JSON-serializable description of the configuration (e.g. the preset);
            restoring a backup made with another fingerprint raises ``ValueError``.
        fingerprint_defaults: Default values of the fingerprint's fields (see
            ``check_fingerprint``).
        interrupt: The run's ``GracefulInterrupt``, to recognise a partial epoch.
        data_order: The training data's ``EpochShuffle``; set to each epoch's number, so a
            resumed run sees the same data order as an uninterrupted one.
        model_path: The whole-model file: ``backup_dir/model.keras`` by default, or a
            ``.keras`` file in the folder that holds ``backup_dir`` (``RUN/model.keras``).

    Attributes:
        restored_epoch: Epochs restored from the backup at the last ``fit`` start (0 if none).

    Example:
        >>> backup = RunBackup("runs/mnist/backup", {"schedule": schedule}, preset.to_dict())
        >>> model.fit(train, epochs=10, callbacks=[schedule, backup])  # doctest: +SKIP
    """

    STATE = "state.json"
    PREVIOUS = "state.previous.json"

    def __init__(
        self,
        backup_dir: str | os.PathLike,
        stateful: Mapping[str, Any] | None = None,
        fingerprint: Any = None,
        interrupt: GracefulInterrupt | None = None,
        data_order: EpochShuffle | None = None,
        fingerprint_defaults: Mapping[str, Any] | None = None,
        model_path: str | os.PathLike | None = None,
    ) -> None:
        super().__init__(str(backup_dir), save_freq="epoch", delete_checkpoint=False)
        self.directory = Path(backup_dir)
        relative = BACKUP_MODEL if model_path is None else os.path.relpath(
            model_path, self.directory)
        if not _MODEL_NAME.fullmatch(relative):
            raise ValueError(f"model_path {model_path} must be a .keras file in {backup_dir} "
                             "or in the folder that holds it")
        self.model_path = Path(os.path.normpath(self.directory / relative))
        self.stateful = dict(stateful or {})
        self.fingerprint = _json_normal(fingerprint)
        self.fingerprint_defaults = fingerprint_defaults
        self.interrupt = interrupt
        self.data_order = data_order
        self.restored_epoch = 0

    @classmethod
    def read_state(cls, backup_dir: str | os.PathLike) -> dict[str, Any] | None:
        """The saved ``state.json`` of ``backup_dir``, or None if there is no backup.

        Raises:
            BackupError: ``state.json`` or the model file it names is unreadable, truncated,
                missing, changed since, or not what ``RunBackup`` writes (the message names
                the file).
        """
        found = cls.locate(backup_dir)
        return None if found is None else found[0]

    @classmethod
    def locate(cls, backup_dir: str | os.PathLike) -> tuple[dict[str, Any], Path] | None:
        """The backup's state and the file holding its weights and optimizers, or None if
        there is no backup; ``BackupError`` as ``read_state``.

        A kill between writing ``state.json`` and renaming the new model file into place
        leaves the previous epoch's pair complete: then ``state.previous.json`` is used.
        """
        backup_dir = Path(backup_dir)
        path = backup_dir / cls.STATE
        if not path.exists():
            return None
        state = _read_state_file(path)
        model = _restore_file(backup_dir, state)
        if model is not None:
            return state, model
        previous = backup_dir / cls.PREVIOUS
        if previous.exists():
            older = _read_state_file(previous)
            model = _restore_file(backup_dir, older)
            if model is not None:
                return older, model
        named = Path(os.path.normpath(backup_dir / state["model"]))
        raise BackupError(named, "missing" if not named.exists() else
                          f"not the file {path} was written for (its SHA-256 differs: changed "
                          "or replaced since)", backup_dir)

    def _load_model(self) -> None:
        self.restored_epoch = 0
        found = self.locate(self.directory)
        if found is None:
            return
        state, model_file = found
        check_fingerprint(state, self.fingerprint, self.directory, self.fingerprint_defaults)
        check_seed_generators(state, self.model, self.directory)
        self.model.load_weights(model_file)
        for variable, value in zip(seed_generator_states(self.model),
                                   state["seed_generators"], strict=True):
            variable.assign(np.asarray(value, dtype=variable.dtype))
        for name, callback in self.stateful.items():
            if name in state["callbacks"]:  # a callback added on resume starts afresh
                callback.set_state(state["callbacks"][name])
        set_initial_epoch(self.model, state["epoch"])
        self.restored_epoch = state["epoch"]

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.data_order is not None:
            self.data_order.epoch.assign(epoch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.interrupt is not None and self.interrupt.interrupted:
            self._save_partial_epoch()
            return
        super().on_epoch_end(epoch, logs)

    def _save_partial_epoch(self) -> None:
        """A Ctrl-C ended the epoch: with ``model_path`` beside the backup, the last finished
        epoch's file moves into the backup folder (its SHA-256, recorded in ``state.json``,
        still finds it) and the partial epoch is saved to ``model_path``, so that file shows
        where training stopped while a resume redoes the partial epoch."""
        inside = self.directory / BACKUP_MODEL
        if self.model_path == inside:
            return
        try:
            found = self.locate(self.directory)
        except BackupError:
            found = None  # nothing restorable to keep: the partial epoch is all there is
        if found is not None and found[1] == self.model_path:
            os.replace(self.model_path, inside)
        save_atomically(self.model, self.model_path)

    def _save_model(self) -> None:
        relative = os.path.relpath(self.model_path, self.directory)

        def save_then_record(partial: Path) -> None:
            # state.json changes while the new model is still a temporary file: a kill before
            # the rename leaves the old model, which state.previous.json describes.
            self.model.save(partial)
            state = {
                "epoch": self._current_epoch,
                "model": relative,
                "sha256": file_sha256(partial),
                "fingerprint": self.fingerprint,
                "seed_generators": [np.asarray(variable).tolist()
                                    for variable in seed_generator_states(self.model)],
                "callbacks": {name: callback.get_state()
                              for name, callback in self.stateful.items()},
            }
            current = self.directory / self.STATE
            if current.exists():
                write_text_atomically(self.directory / self.PREVIOUS, current.read_text())
            write_text_atomically(current, json.dumps(state, indent=1) + "\n")

        self.directory.mkdir(parents=True, exist_ok=True)
        with streamed_weights():  # no in-memory copy of a face model's 1 GiB file
            write_atomically(self.model_path, save_then_record)
        stale = [*self.directory.glob("epoch_*.weights.h5"), self.directory / BACKUP_MODEL]
        for path in stale:
            if path != self.model_path:
                path.unlink(missing_ok=True)

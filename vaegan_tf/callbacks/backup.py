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

from vaegan_tf.callbacks.checkpoint import save_atomically, write_text_atomically
from vaegan_tf.callbacks.interrupt import GracefulInterrupt
from vaegan_tf.data.pipeline import EpochShuffle


def _json_normal(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists), for comparisons."""
    return json.loads(json.dumps(value))


def seed_generator_states(model: keras.Model) -> list[keras.Variable]:
    """The state variables of every ``keras.random.SeedGenerator`` in ``model`` (its noise and
    label draws, dropout masks). ``save_weights`` does not store them."""
    return [variable for variable in model.variables if "seed_generator" in variable.path]


class BackupError(ValueError):
    """A resume backup that cannot be restored; the message names the file and what to do."""

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        backup_dir = Path(path).parent
        super().__init__(
            f"{path}: {problem}. The run cannot resume from this backup (it keeps the last "
            f"finished epoch only): restore the file, or delete {backup_dir} to train the run "
            "over from epoch 0")


_WEIGHTS_NAME = re.compile(r"epoch_\d{4,}\.weights\.h5")


def _check_state(path: Path, state: Any) -> dict[str, Any]:
    """``state`` (read from ``path``) if it has the shape ``RunBackup`` writes, else
    ``BackupError`` naming what is wrong; the weights file it names must open as HDF5."""
    expected = {"epoch": int, "weights": str, "fingerprint": dict, "seed_generators": list,
                "callbacks": dict}
    if not isinstance(state, dict):
        raise BackupError(path, f"holds a {type(state).__name__}, not a backup state")
    for key, kind in expected.items():
        if not isinstance(state.get(key), kind) or isinstance(state.get(key), bool):
            raise BackupError(path, f"its {key!r} is {state.get(key)!r}, not a {kind.__name__}")
    if state["epoch"] < 1:
        raise BackupError(path, f"its epoch is {state['epoch']}")
    if not _WEIGHTS_NAME.fullmatch(state["weights"]):  # a name in the backup, never a path
        raise BackupError(path, f"it names weights {state['weights']!r}, not epoch_NNNN.weights.h5")
    import h5py

    weights = path.parent / state["weights"]
    try:
        with h5py.File(weights, "r"):
            pass
    except (OSError, ValueError) as error:
        raise BackupError(weights, "missing" if not weights.exists()
                          else f"not a readable weights file ({error})") from None
    return state


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
    another ``fingerprint`` (e.g. another preset field or seed).

    A field the backup does not record (one added to the presets after it was made) counts as
    equal when the run has it at its default (``defaults``, as JSON), so old backups resume.
    """
    saved, expected = state.get("fingerprint"), _json_normal(fingerprint)
    if saved == expected:
        return
    if isinstance(saved, dict) and isinstance(expected, dict):
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

    After every finished epoch it writes, into ``backup_dir``: the weights of the model and of
    its three optimizers (moments, step counts, learning rates) as ``epoch_XXXX.weights.h5``,
    then ``state.json`` naming that file, with the epoch count, the model's random-generator
    states, a fingerprint of the configuration and each ``stateful`` callback's
    ``get_state()`` (learning-rate schedule, grid latents and the list of grids, history,
    quality results, best checkpoint, elapsed time). Both files are written to a temporary
    name and renamed, and ``state.json`` changes only after its weights file is complete, so a
    kill at any moment leaves a consistent pair. A partial epoch ended by Ctrl-C is not backed
    up: a resumed run redoes it.

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

    Attributes:
        restored_epoch: Epochs restored from the backup at the last ``fit`` start (0 if none).

    Example:
        >>> backup = RunBackup("runs/mnist/backup", {"schedule": schedule}, preset.to_dict())
        >>> model.fit(train, epochs=10, callbacks=[schedule, backup])  # doctest: +SKIP
    """

    STATE = "state.json"

    def __init__(
        self,
        backup_dir: str | os.PathLike,
        stateful: Mapping[str, Any] | None = None,
        fingerprint: Any = None,
        interrupt: GracefulInterrupt | None = None,
        data_order: EpochShuffle | None = None,
        fingerprint_defaults: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(str(backup_dir), save_freq="epoch", delete_checkpoint=False)
        self.directory = Path(backup_dir)
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
            BackupError: ``state.json`` or the weights file it names is unreadable, truncated,
                missing or not what ``RunBackup`` writes (the message names the file).
        """
        path = Path(backup_dir) / cls.STATE
        if not path.exists():
            return None
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise BackupError(path, f"unreadable ({error})") from None
        return _check_state(path, state)

    def _load_model(self) -> None:
        self.restored_epoch = 0
        state = self.read_state(self.directory)
        if state is None:
            return
        check_fingerprint(state, self.fingerprint, self.directory, self.fingerprint_defaults)
        check_seed_generators(state, self.model, self.directory)
        self.model.load_weights(self.directory / state["weights"])
        for variable, value in zip(seed_generator_states(self.model),
                                   state["seed_generators"], strict=True):
            variable.assign(np.asarray(value, dtype=variable.dtype))
        for name, callback in self.stateful.items():
            if name in state["callbacks"]:  # a callback added on resume starts afresh
                callback.set_state(state["callbacks"][name])
        self.model._initial_epoch = state["epoch"]
        self.restored_epoch = state["epoch"]

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.data_order is not None:
            self.data_order.epoch.assign(epoch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.interrupt is not None and self.interrupt.interrupted:
            return
        super().on_epoch_end(epoch, logs)

    def _save_model(self) -> None:
        weights = f"epoch_{self._current_epoch:04d}.weights.h5"
        save_atomically(self.model, self.directory / weights)
        state = {
            "epoch": self._current_epoch,
            "weights": weights,
            "fingerprint": self.fingerprint,
            "seed_generators": [np.asarray(variable).tolist()
                                for variable in seed_generator_states(self.model)],
            "callbacks": {name: callback.get_state()
                          for name, callback in self.stateful.items()},
        }
        write_text_atomically(self.directory / self.STATE, json.dumps(state, indent=1) + "\n")
        for old in self.directory.glob("epoch_*.weights.h5"):
            if old.name != weights:
                old.unlink()

"""Checkpoints that a crash or a full disk cannot corrupt."""

from __future__ import annotations

import os
from pathlib import Path

import keras


def save_atomically(model: keras.Model, path: str | os.PathLike) -> Path:
    """``model.save`` to a temporary file beside ``path``, then an atomic rename onto it.

    If saving fails part-way (crash, full disk), the previous file at ``path`` is untouched and
    the partial file is removed.
    """
    path = Path(path)
    partial = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    try:
        model.save(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


class LatestCheckpoint(keras.callbacks.Callback):
    """Saves the whole model (weights, three optimizers, config) after every epoch, atomically.

    Args:
        path: The ``.keras`` file to keep current.

    Example:
        >>> checkpoint = LatestCheckpoint("runs/mnist/model.keras")
        >>> model.fit(data, callbacks=[checkpoint])  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike) -> None:
        super().__init__()
        self.path = Path(path)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        save_atomically(self.model, self.path)

"""Loss and learning-rate curves as PNG files, redrawn after every epoch."""

from __future__ import annotations

import os
from pathlib import Path

import keras

from vaegan_tf.plotting import save_learning_rate_curves, save_loss_curves


class HistoryPlots(keras.callbacks.Callback):
    """Writes ``losses.png`` (train vs validation per network) and ``learning_rates.png``.

    The original had only TensorBoard screenshots; these files are rewritten at every epoch
    end, so an interrupted run keeps its curves up to the last finished epoch. Place it after
    the learning-rate callback so the rates are in the logs.

    Args:
        directory: Where the two PNG files go.

    Example:
        >>> model.fit(data, epochs=5, callbacks=[HistoryPlots("runs/faces")])  # doctest: +SKIP
    """

    LOSSES = "losses.png"
    LEARNING_RATES = "learning_rates.png"

    def __init__(self, directory: str | os.PathLike) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.history: dict[str, list[float]] = {}

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.history = {}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        save_loss_curves(self.history, self.directory / self.LOSSES)
        if any(key.endswith("_learning_rate") for key in self.history):
            save_learning_rate_curves(self.history, self.directory / self.LEARNING_RATES)

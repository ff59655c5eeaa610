"""The run's history on disk: CSV, JSON and loss and learning-rate curves, every epoch."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any

import keras

from vaegan_tf.callbacks.checkpoint import write_text_atomically
from vaegan_tf.plotting import save_learning_rate_curves, save_loss_curves


class RunHistory(keras.callbacks.Callback):
    """Keeps every epoch's logs and rewrites ``history.csv``, ``history.json``, ``losses.png``
    (train vs validation per network) and ``learning_rates.png`` after each epoch.

    The CSV has Keras ``CSVLogger``'s layout (``epoch`` then the sorted keys). Unlike
    ``fit``'s ``History``, which starts empty in every ``fit``, this history covers the whole
    run: ``set_state`` gives it the epochs of an interrupted run, so the files of a resumed
    run hold every epoch once. The files are written to a temporary name and renamed, so an
    interruption never leaves half a file. Place it after the learning-rate and quality
    callbacks so their values are in the logs.

    Args:
        directory: Where the four files go.

    Attributes:
        history: Key → one value per finished epoch.
        epochs: The 0-based epoch number of each entry.

    Example:
        >>> model.fit(data, epochs=5, callbacks=[RunHistory("runs/faces")])  # doctest: +SKIP
    """

    CSV = "history.csv"
    JSON = "history.json"
    LOSSES = "losses.png"
    LEARNING_RATES = "learning_rates.png"

    def __init__(self, directory: str | os.PathLike) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        # Keys in order of first appearance (the model's network order), not a set's order.
        for key in [*self.history, *(key for key in logs if key not in self.history)]:
            column = self.history.setdefault(key, [math.nan] * len(self.epochs))
            column.append(float(logs.get(key, math.nan)))
        self.epochs.append(epoch)
        self.write()

    def write(self) -> None:
        """Writes the four files from ``history``."""
        self.directory.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.history)
        table = io.StringIO()
        writer = csv.writer(table, lineterminator="\r\n")
        writer.writerow(["epoch", *keys])
        for row, epoch in enumerate(self.epochs):
            writer.writerow([epoch, *(self.history[key][row] for key in keys)])
        write_text_atomically(self.directory / self.CSV, table.getvalue())
        write_text_atomically(self.directory / self.JSON, json.dumps(self.history, indent=2) + "\n")
        save_loss_curves(self.history, self.directory / self.LOSSES)
        if any(key.endswith("_learning_rate") for key in self.history):
            save_learning_rate_curves(self.history, self.directory / self.LEARNING_RATES)

    def get_state(self) -> dict[str, Any]:
        return {"history": self.history, "epochs": self.epochs}

    def set_state(self, state: dict[str, Any]) -> None:
        self.history = {key: list(values) for key, values in state["history"].items()}
        self.epochs = list(state["epochs"])

"""Checkpoints that a crash or a full disk cannot corrupt: the latest and the best."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras

from vaegan_tf.callbacks.interrupt import GracefulInterrupt


def write_atomically(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Calls ``write(temporary_path)`` beside ``path``, then renames the result onto ``path``.

    If writing fails part-way (crash, full disk), the previous file at ``path`` is untouched and
    the partial file is removed. The temporary name keeps ``path``'s suffix (Keras chooses the
    format from it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".weights.h5" if path.name.endswith(".weights.h5") else path.suffix
    partial = path.with_name(f".partial-{os.getpid()}-{path.name[:-len(suffix) or None]}{suffix}")
    try:
        write(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def save_atomically(model: keras.Model, path: str | os.PathLike) -> Path:
    """``model.save`` (or ``save_weights`` for a ``.weights.h5`` path), atomically."""
    weights_only = Path(path).name.endswith(".weights.h5")
    return write_atomically(path, model.save_weights if weights_only else model.save)


def write_text_atomically(path: str | os.PathLike, text: str) -> Path:
    """Writes ``text`` to ``path`` atomically."""
    return write_atomically(path, lambda partial: partial.write_text(text))


def save_model_and_networks(
    model: keras.Model, path: str | os.PathLike, networks_dir: str | os.PathLike | None = None
) -> None:
    """The whole model as ``path`` and, with ``networks_dir``, each of its networks there as
    ``NAME.keras`` (``encoder.keras``, ``decoder.keras``, ... ; ``generator.keras``, ...),
    every file atomically.

    The network files hold no optimizer: load one with ``keras.models.load_model`` to use the
    decoder as a generator, the encoder as a feature extractor, and so on.
    """
    if networks_dir is not None:
        for name, network in model.networks.items():
            save_atomically(network, Path(networks_dir) / f"{name}.keras")
    save_atomically(model, path)


class LatestCheckpoint(keras.callbacks.Callback):
    """After every epoch saves the whole model (weights, three optimizers, config), atomically.

    With ``networks_dir`` the encoder, decoder and discriminator are saved there as well, as
    ``encoder.keras``, ``decoder.keras`` and ``discriminator.keras``.

    Args:
        path: The ``.keras`` file to keep current.
        networks_dir: Folder for the three networks' files, or None.

    Example:
        >>> checkpoint = LatestCheckpoint("runs/mnist/model.keras", "runs/mnist/latest")
        >>> model.fit(data, callbacks=[checkpoint])  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike, networks_dir: str | os.PathLike | None = None):
        super().__init__()
        self.path = Path(path)
        self.networks_dir = None if networks_dir is None else Path(networks_dir)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        save_model_and_networks(self.model, self.path, self.networks_dir)


class BestCheckpoint(keras.callbacks.Callback):
    """Keeps the epoch with the lowest ``monitor`` value: ``model.keras``, the three networks and
    ``best.json`` (epoch, value, monitor) in ``directory``, all written atomically.

    Epochs without a finite value (e.g. a quality score on a skipped epoch) are passed over,
    and so is a partial epoch ended by Ctrl-C: its logs average fewer batches and cannot be
    resumed from, so it never becomes the best.

    Args:
        directory: Where the best checkpoint lives (e.g. ``run/best``).
        monitor: A key of the epoch logs; lower is better. ``val_encoder_loss`` (the VAE part's
            validation loss: KL plus the learned-similarity term) by default.
        interrupt: The run's ``GracefulInterrupt``, to recognise a partial epoch.

    Attributes:
        best: The lowest value so far (inf before the first).
        best_epoch: Its 0-based epoch, or None.

    Example:
        >>> best = BestCheckpoint("runs/mnist/best", monitor="mnist_fid")
        >>> model.fit(train, validation_data=test, callbacks=[best])  # doctest: +SKIP
    """

    INFO = "best.json"

    def __init__(self, directory: str | os.PathLike, monitor: str = "val_encoder_loss",
                 interrupt: GracefulInterrupt | None = None) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.monitor = monitor
        self.interrupt = interrupt
        self.best = math.inf
        self.best_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise ValueError(
                f"BestCheckpoint monitors {self.monitor!r}, which the epoch logs do not have "
                f"(they have {sorted(logs or {})})"
            )
        value = float(value)
        partial = self.interrupt is not None and self.interrupt.interrupted
        if partial or not math.isfinite(value) or value >= self.best:
            return
        save_model_and_networks(self.model, self.directory / "model.keras", self.directory)
        self.best, self.best_epoch = value, epoch
        write_text_atomically(self.directory / self.INFO, json.dumps(
            {"epoch": epoch, "monitor": self.monitor, "value": value}, indent=2) + "\n")

    def get_state(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch}

    def set_state(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch = float(state["best"]), state["best_epoch"]

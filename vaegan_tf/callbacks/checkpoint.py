"""Checkpoints that a crash or a full disk cannot corrupt: networks folders for the best epoch,
for every N-th epoch and for the latest; the files that write them."""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras

import vaegan_tf.models  # noqa: F401  (registers the model classes that model.json names)
from vaegan_tf.adversarial import AdversarialModel
from vaegan_tf.callbacks.interrupt import GracefulInterrupt
from vaegan_tf.fast_paths import portable
from vaegan_tf.private_api import streamed_weights


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
    """``model.save`` (or ``save_weights`` for a ``.weights.h5`` path), atomically; a
    ``.keras`` file's weights are streamed through a temporary file (``streamed_weights``)."""
    if Path(path).name.endswith(".weights.h5"):
        return write_atomically(path, model.save_weights)
    with streamed_weights():
        return write_atomically(path, model.save)


def write_text_atomically(path: str | os.PathLike, text: str) -> Path:
    """Writes ``text`` to ``path`` atomically."""
    return write_atomically(path, lambda partial: partial.write_text(text))


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of the file at ``path``, hex; remembered per (path, size, modification
    time, inode), so a file that did not change is read once per process."""
    path = Path(path).resolve()
    info = path.stat()
    return _sha256(path, info.st_size, info.st_mtime_ns, info.st_ino)


@functools.lru_cache(maxsize=16)
def _sha256(path: Path, size: int, modified: int, inode: int) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


MODEL_JSON = "model.json"
"""A networks folder's description of the whole model (Keras JSON, no weights)."""


def save_networks(model: AdversarialModel, directory: str | os.PathLike,
                  names: Sequence[str] | None = None) -> list[Path]:
    """Writes a networks folder: each network of ``names`` (``model.sampling_networks`` by
    default: the decoder and encoder of a VAE-GAN, a GAN's generator; with ``ema_decay`` the
    generator's or decoder's average) as ``NAME.keras``, and
    ``model.json``, the whole model's architecture; every file atomically. Other ``.keras``
    files in ``directory`` (of an earlier epoch or layout) are removed, so the folder holds
    one epoch.

    Each ``NAME.keras`` holds one network without optimizer state, made of Keras' own layers
    (``fast_paths.portable``): load it with ``keras.models.load_model``, in a process that
    need not import vaegan_tf (a face discriminator's ``MinibatchDiscrimination``, a
    conditional discriminator's ``ConditionChannels`` or a spectrally normalized one's
    ``SpectralNormalization`` aside), to use the decoder as a
    generator, the encoder as a feature extractor, and so on; ``load_networks`` rebuilds the
    whole model around them.

    Returns:
        The network files written.
    """
    directory = Path(directory)
    names = tuple(model.sampling_networks if names is None else names)
    # the sampling network: with ema_decay, the average of the generator (decoder)
    written = [save_atomically(portable(model.network(name)), directory / f"{name}.keras")
               for name in names]
    write_text_atomically(directory / MODEL_JSON, model.to_json(indent=1) + "\n")
    for stale in set(directory.glob("*.keras")) - set(written):
        stale.unlink()
    return written


def load_networks(directory: str | os.PathLike) -> AdversarialModel:
    """The model that ``save_networks`` wrote into ``directory``: built from ``model.json``
    (Keras ``safe_mode``: no code from the file runs) with the weights of each ``NAME.keras``
    there. Networks without a file (the discriminator of a ``best/`` folder) keep their initial
    weights; the model is not compiled, so it samples, encodes and scores but does not train.

    Raises:
        FileNotFoundError: ``directory`` has no ``model.json``.
        ValueError: ``model.json`` is not a vaegan_tf model, or a network file does not fit it.
    """
    directory = Path(directory)
    description = directory / MODEL_JSON
    if not description.is_file():
        raise FileNotFoundError(f"{directory} holds no {MODEL_JSON} (not a networks folder)")
    try:
        model = keras.saving.deserialize_keras_object(json.loads(description.read_text()),
                                                      safe_mode=True)
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"{description} is not a readable model description ({error})") from None
    if not isinstance(model, AdversarialModel):
        raise ValueError(f"{description} describes a {type(model).__name__}, not a vaegan_tf "
                         "model")
    for name in model.network_names:
        # the average the file holds, with ema_decay, and the statistics saved with it
        network = model.network(name, refresh_statistics=False)
        weights = directory / f"{name}.keras"
        if weights.is_file():
            try:
                network.load_weights(weights)
            except (ValueError, OSError) as error:
                raise ValueError(f"{weights} does not fit the {name} of {description} "
                                 f"({error})") from None
    model.keep_standing_statistics()
    return model


class LatestCheckpoint(keras.callbacks.Callback):
    """After every epoch saves the whole model (weights, optimizers, config) and/or a
    networks folder (``save_networks``), atomically.

    A run directory keeps its whole model through ``RunBackup`` (the resume point); this
    callback is for more copies: ``vaegan-tf train --network-files`` writes every network of
    the latest epoch to ``RUN/latest/``.

    Args:
        path: The ``.keras`` file to keep current, or None.
        networks_dir: Folder for the networks, or None.
        networks: Which networks go to ``networks_dir``; every one by default.

    Example:
        >>> checkpoint = LatestCheckpoint("runs/mnist/model.keras", "runs/mnist/latest")
        >>> model.fit(data, callbacks=[checkpoint])  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike | None,
                 networks_dir: str | os.PathLike | None = None,
                 networks: Sequence[str] | None = None) -> None:
        super().__init__()
        self.path = None if path is None else Path(path)
        self.networks_dir = None if networks_dir is None else Path(networks_dir)
        self.networks = networks

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.networks_dir is not None:
            save_networks(self.model, self.networks_dir,
                          self.networks or self.model.network_names)
        if self.path is not None:
            save_atomically(self.model, self.path)


class NetworkSnapshots(keras.callbacks.Callback):
    """Keeps the sampling networks of every ``every``-th finished epoch, each in its own
    networks folder ``directory/epoch_XXXX`` (1-based, as the grids count), so any of them can
    be sampled later (``vaegan-tf sample --model RUN/epochs/epoch_0010``).

    Args:
        directory: Where the folders go (``RUN/epochs``).
        every: Epoch interval.
        interrupt: The run's ``GracefulInterrupt``: a partial epoch is not kept.
    """

    def __init__(self, directory: str | os.PathLike, every: int,
                 interrupt: GracefulInterrupt | None = None) -> None:
        super().__init__()
        if every <= 0:
            raise ValueError(f"every must be positive, got {every}")
        self.directory, self.every, self.interrupt = Path(directory), every, interrupt

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        partial = self.interrupt is not None and self.interrupt.interrupted
        if not partial and (epoch + 1) % self.every == 0:
            save_networks(self.model, self.directory / f"epoch_{epoch + 1:04d}")


class BestCheckpoint(keras.callbacks.Callback):
    """Keeps the epoch with the lowest ``monitor`` value as a networks folder (``save_networks``:
    the networks that sample, e.g. ``decoder.keras`` and ``encoder.keras``, and
    ``model.json``) with ``best.json`` (epoch, value, monitor) in ``directory``, all written
    atomically. ``load_networks(directory)`` (or ``--model RUN/best`` on the command line)
    gives the model to sample from; the run's ``model.keras`` stays the one to resume from.

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
        save_networks(self.model, self.directory)
        self.best, self.best_epoch = value, epoch
        write_text_atomically(self.directory / self.INFO, json.dumps(
            {"epoch": epoch, "monitor": self.monitor, "value": value}, indent=2) + "\n")

    def get_state(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch}

    def set_state(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch = float(state["best"]), state["best_epoch"]

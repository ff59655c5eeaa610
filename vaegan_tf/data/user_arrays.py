"""Your own data: MNIST-format idx files, NumPy ``.npz`` archives and folders of images.

Formats (labels are kept where the format has them):

- a folder holding idx files, gzipped or not, named as MNIST, Fashion-MNIST, KMNIST and EMNIST
  ship them: ``*train-images-idx3-ubyte[.gz]`` with ``*train-labels-idx1-ubyte[.gz]``, and
  ``*t10k-images-idx3-ubyte[.gz]`` (or ``*test-images...``) with its labels;
- a ``.npz`` file in the ``keras.datasets`` layout: ``x_train`` (required), ``y_train``,
  ``x_test``, ``y_test``;
- a folder of images of any size, gray or colour (``image_folder``), converted to the
  preset's shape;
- ``tfds:NAME`` (or ``tfds:NAME@DATA_DIR``): a TFDS dataset already prepared in the TFDS data
  dir (``$TFDS_DATA_DIR``, else ``~/tensorflow_datasets``), with its ``image`` and ``label``
  features and ``train``/``test`` splits; never downloaded.

Nothing here imports code from a file: idx files are parsed by their header, ``.npz`` files are
read with ``allow_pickle=False``.
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import tensorflow as tf

from vaegan_tf.data.face_images import image_folder, list_images
from vaegan_tf.data.mnist_loader import MnistArrays, arrays_dataset
from vaegan_tf.data.pipeline import DEFAULT_VALIDATION_FRACTION, split_indices

IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
              0x0E: ">f8"}
FORMATS = ("a folder of MNIST-format idx files (train-images-idx3-ubyte[.gz], ...), a .npz "
           "with x_train/x_test, a folder of images, or tfds:NAME[@DATA_DIR] (a prepared "
           "TFDS dataset)")
TFDS_PREFIX = "tfds:"


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """An idx file (gzipped if its name ends in .gz) as a NumPy array.

    Raises:
        ValueError: the file is not an idx file (bad magic, or a size that does not match).
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as file:
        content = file.read()
    if len(content) < 4 or content[:2] != b"\0\0" or content[2] not in IDX_DTYPES:
        raise ValueError(f"{path} is not an idx file (bad header)")
    dimensions = content[3]
    shape = struct.unpack(f">{dimensions}I", content[4:4 + 4 * dimensions])
    dtype = np.dtype(IDX_DTYPES[content[2]])
    body = content[4 + 4 * dimensions:]
    if len(body) != int(np.prod(shape)) * dtype.itemsize:
        raise ValueError(f"{path}: header says {shape} of {dtype}, but the file holds "
                         f"{len(body)} bytes")
    return np.frombuffer(body, dtype).reshape(shape)


def _find(folder: Path, kinds: tuple[str, ...], what: str) -> Path | None:
    matches = sorted(path for kind in kinds for path in folder.glob(f"*{kind}-{what}*")
                     if path.name.endswith((f"{what}", f"{what}.gz")))
    if len(matches) > 1:
        raise ValueError(f"{folder} holds several {kinds[0]} {what} files "
                         f"({', '.join(p.name for p in matches)}); keep one set per folder")
    return matches[0] if matches else None


def idx_folder_splits(folder: str | os.PathLike) -> dict[str, MnistArrays] | None:
    """The train and test splits of the idx files in ``folder``, or None if it has none.

    Raises:
        ValueError: unreadable files, or labels that do not match the images.
    """
    folder = Path(folder)
    splits = {}
    for split, kinds in (("train", ("train",)), ("test", ("t10k", "test"))):
        images_path = _find(folder, kinds, "images-idx3-ubyte")
        if images_path is None:
            continue
        labels_path = _find(folder, kinds, "labels-idx1-ubyte")
        images = read_idx(images_path)
        labels = None if labels_path is None else read_idx(labels_path).astype(np.int64)
        splits[split] = _checked(images, labels, f"{images_path}")
    if not splits:
        return None
    if "train" not in splits:
        raise ValueError(f"{folder} has test idx files but no train-images-idx3-ubyte")
    return splits


def tfds_splits(spec: str) -> dict[str, MnistArrays]:
    """The ``train`` (and ``test``) splits of ``tfds:NAME[@DATA_DIR]``, a prepared TFDS
    dataset, as uint8 arrays with their labels.

    Raises:
        FileNotFoundError: NAME is not prepared there (nothing is downloaded).
        ValueError: its metadata names classes outside TFDS (reading it would import code), or
            it has no ``image`` feature.
    """
    from vaegan_tf.data.locations import prepared_tfds_dataset

    name, _, data_dir = spec.removeprefix(TFDS_PREFIX).partition("@")
    directory = prepared_tfds_dataset(name, data_dir or None)
    if directory is None:
        raise FileNotFoundError(f"--data {spec}: no prepared TFDS dataset {name!r} in "
                                f"{data_dir or '$TFDS_DATA_DIR or ~/tensorflow_datasets'} "
                                "(prepare it with tfds first; nothing is downloaded here)")
    import tensorflow_datasets as tfds

    builder = tfds.builder_from_directory(str(directory))
    if "image" not in builder.info.features:
        raise ValueError(f"--data {spec}: the dataset has no 'image' feature")
    splits = {}
    for split in ("train", "test"):
        if split not in builder.info.splits:
            continue
        arrays = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1))
        labels = arrays.get("label")
        splits[split] = MnistArrays(
            arrays["image"].astype(np.uint8),
            None if labels is None else labels.astype(np.int64),
            f"tfds:{directory}")
    if "train" not in splits:
        raise ValueError(f"--data {spec}: the dataset has no 'train' split")
    return splits


def npz_splits(path: str | os.PathLike) -> dict[str, MnistArrays]:
    """The ``x_train``/``y_train`` (and ``x_test``/``y_test``) arrays of a ``.npz`` file.

    Raises:
        ValueError: no ``x_train``, or labels that do not match the images.
    """
    try:
        with np.load(path, allow_pickle=False) as arrays:
            content = {key: arrays[key] for key in arrays.files}
    except (OSError, ValueError) as error:
        raise ValueError(f"{path} is not a readable .npz ({error})") from None
    if "x_train" not in content:
        raise ValueError(f"{path} has no x_train array (it has {sorted(content)}); expected "
                         "the keras.datasets layout x_train, y_train, x_test, y_test")
    return {split: _checked(content[f"x_{split}"], content.get(f"y_{split}"), f"{path}:{split}")
            for split in ("train", "test") if f"x_{split}" in content}


def _checked(images: np.ndarray, labels: np.ndarray | None, source: str) -> MnistArrays:
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
        raise ValueError(f"{source}: expected images of shape (N, H, W) or (N, H, W, 1|3), "
                         f"got {images.shape}")
    if images.dtype != np.uint8:
        if images.min() < 0 or images.max() > 255:
            raise ValueError(f"{source}: expected pixels in 0-255, got {images.dtype} in "
                             f"[{images.min()}, {images.max()}]")
        images = np.round(images * (255.0 if images.max() <= 1.0 else 1.0)).astype(np.uint8)
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if np.issubdtype(labels.dtype, np.number) and np.array_equal(labels, np.round(labels)):
            labels = labels.astype(np.int64)  # float labels that are not whole stay as they are
        if len(labels) != len(images):
            raise ValueError(f"{source}: {len(labels)} labels for {len(images)} images")
    return MnistArrays(images, labels, source)


def user_datasets(
    path: str | os.PathLike,
    image_shape: tuple[int, int, int],
    batch_size: int,
    validation_batch_size: int,
    *,
    seed: int = 0,
    limit: int | None = None,
    value_range: tuple[float, float] = (-1.0, 1.0),
    with_labels: bool = False,
    num_classes: int = 0,
    validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
    split_file: str | os.PathLike | None = None,
) -> tuple[tf.data.Dataset, tf.data.Dataset | None, str]:
    """Training and validation batches of your data at ``image_shape``, and what was read.

    ``path`` is a ``.npz`` file, a folder of idx files or a folder of images (see the module
    docstring). Arrays use their test split for validation, or hold out
    ``validation_fraction`` of the training images (seeded) when there is none; images are
    resized and converted to ``image_shape``.

    Raises:
        ValueError, FileNotFoundError: nothing of an accepted format at ``path`` (the message
            says what was found and what is accepted), labels asked of data without any, or
            labels that are not class indices 0 to ``num_classes - 1``.
    """
    source = Path(path)
    tfds_name = str(path).startswith(TFDS_PREFIX)
    if not tfds_name and not source.exists():
        raise FileNotFoundError(f"--data {source} does not exist; expected {FORMATS}")
    if tfds_name:
        splits = tfds_splits(str(path))
    else:
        splits = npz_splits(source) if source.is_file() and source.suffix == ".npz" else (
            idx_folder_splits(source) if source.is_dir() else None)
    if splits is None and source.is_dir() and _has_images(source):
        if with_labels:
            raise ValueError(f"{source} is a folder of images, which has no labels; this "
                             "model needs labels: give idx files or a .npz with y_train")
        height, _, channels = image_shape
        train, validation = image_folder(
            source, image_size=height, batch_size=batch_size, seed=seed,
            validation_fraction=validation_fraction, value_range=value_range,
            split_file=split_file, channels=channels, limit=limit)
        return train, validation, f"images:{source}"
    if splits is None:
        found = "a file" if source.is_file() else (
            f"a folder with {sorted(p.name for p in source.iterdir())[:5]}")
        raise ValueError(f"--data {source}: {found} is none of the accepted formats: "
                         f"{FORMATS}")
    train_arrays = splits["train"]
    validation_arrays = splits.get("test")
    if validation_arrays is None:
        train_index, validation_index = split_indices(len(train_arrays.images), seed,
                                                      validation_fraction)
        validation_arrays = _subset(train_arrays, validation_index)
        train_arrays = _subset(train_arrays, train_index)
    common = {"value_range": value_range, "with_labels": with_labels, "limit": limit,
              "num_classes": num_classes}
    train = arrays_dataset(train_arrays, batch_size, image_shape, shuffle=True, seed=seed,
                           drop_remainder=True, **common)
    validation = arrays_dataset(validation_arrays, validation_batch_size, image_shape,
                                **common)
    return train, validation, str(path) if tfds_name else f"arrays:{source}"


def _subset(arrays: MnistArrays, index: np.ndarray) -> MnistArrays:
    return MnistArrays(arrays.images[index],
                       None if arrays.labels is None else arrays.labels[index], arrays.source)


def _has_images(folder: Path) -> bool:
    try:
        list_images(folder)
    except ValueError:
        return False
    return True

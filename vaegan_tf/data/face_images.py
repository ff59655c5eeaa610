"""Face images as ``tf.data`` pipelines: any image folder, CelebA, and the offline ``lfw-mini``.

Every source goes through the same steps: decode with Pillow (JPEG, PNG, BMP, GIF first
frame; grayscale, palette and RGBA become RGB, transparency on white), an optional centre
crop, a bilinear resize of both sides to ``image_size`` (the original squashed its faces to
64×64 without keeping the aspect ratio, spec 5), then a seeded train/validation split.

Sources:

- a folder, searched recursively (the 10k US Adult Faces Database, CelebA's
  ``img_align_celeba/``, your own photos);
- a TFDS data directory holding a prepared ``celeb_a`` (its own train/validation splits);
- ``"lfw-mini"``: the 100 LFW face crops (25×25 gray) that scikit-image ships. A smoke
  dataset for offline demos and tests, not a face dataset to judge a model by.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from PIL import Image

from vaegan_tf.data import LFW_MINI
from vaegan_tf.data.locations import safe_tfds_directory
from vaegan_tf.data.pipeline import (
    DEFAULT_VALIDATION_FRACTION,
    EpochShuffle,
    prefetched,
    scale_images,
    split_indices,
)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif"})
LFW_MINI_FACES = 100
"""``skimage.data.lfw_subset()`` holds 100 faces followed by 100 non-faces."""


@dataclasses.dataclass(frozen=True)
class ImageSplit:
    """Which images train and which validate.

    Args:
        source: The folder, ``"lfw-mini"`` or ``"tfds:<dir>"``.
        seed: Seed of the split (None for a dataset's own fixed splits).
        train: Training items (paths relative to the folder, or item names).
        validation: Validation items.
    """

    source: str
    seed: int | None
    train: tuple[str, ...]
    validation: tuple[str, ...]

    def write(self, path: str | os.PathLike) -> Path:
        """Writes the split as JSON (``source``, ``seed``, counts and both lists)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "source": self.source,
            "seed": self.seed,
            "train_count": len(self.train),
            "validation_count": len(self.validation),
            "train": list(self.train),
            "validation": list(self.validation),
        }
        path.write_text(json.dumps(record, indent=1) + "\n")
        return path


def list_images(folder: str | os.PathLike) -> list[Path]:
    """All JPEG/PNG/BMP/GIF files under ``folder`` (recursively), sorted by relative path.

    Symbolic links to folders are followed (each real folder once, so a link loop ends);
    hidden files and folders (``.cache/``, ``.ipynb_checkpoints/``) are skipped; a file name
    that is not valid UTF-8 is skipped with a warning naming it (TensorFlow's strings need
    UTF-8), the other files still train.

    Raises:
        FileNotFoundError: ``folder`` does not exist.
        NotADirectoryError: ``folder`` is a file.
        ValueError: ``folder`` holds no image files.
    """
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"Image folder {folder} does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder of images")
    found, seen = [], set()
    for root, directories, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:  # a link back to a folder already listed
            directories.clear()
            continue
        seen.add(real)
        directories[:] = [name for name in directories if not name.startswith(".")]
        for name in names:
            path = Path(root) / name
            if name.startswith(".") or path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                str(path).encode("utf-8")
            except UnicodeEncodeError:
                warnings.warn(f"Skipping {os.fsencode(path)!r}: its name is not UTF-8",
                              stacklevel=2)
                continue
            if path.is_file():
                found.append(path)
    files = sorted(found, key=lambda path: path.relative_to(folder).as_posix())
    if not files:
        raise ValueError(
            f"No images in {folder}: expected JPEG, PNG, BMP or GIF files (searched recursively)"
        )
    return files


def split_image_folder(
    folder: str | os.PathLike,
    seed: int = 0,
    validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
    validation_size: int | None = None,
) -> ImageSplit:
    """A reproducible train/validation split of the images under ``folder``.

    The sorted file list is split by ``split_indices``: the same folder and seed always give
    the same split; 10 000 images give the original's 8500/1500.
    """
    files = list_images(folder)
    names = [path.relative_to(folder).as_posix() for path in files]
    train, validation = split_indices(len(names), seed, validation_fraction, validation_size)
    return ImageSplit(
        str(folder), seed, tuple(names[i] for i in train), tuple(names[i] for i in validation)
    )


def prepare_image(
    image: Image.Image, image_size: int = 64, center_crop: int | None = None
) -> np.ndarray:
    """One Pillow image → uint8 ``(image_size, image_size, 3)``.

    Transparent pixels become white (the 10k US Adult Faces have white backgrounds); 16- and
    32-bit gray images are scaled to 8 bits (Pillow's RGB conversion would clip them: a 16-bit
    PNG came out 99.6% white).
    ``center_crop`` first cuts the central square of that side (CelebA's usual 160), or of the
    shorter side if the image is smaller; the resize is bilinear and squashes the aspect ratio.
    """
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        image = _to_8_bit(image)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    image = image.convert("RGB")
    if center_crop is not None:
        side = min(center_crop, *image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        image = image.crop((left, top, left + side, top + side))
    image = image.resize((image_size, image_size), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.uint8)


def _to_8_bit(image: Image.Image) -> Image.Image:
    """A 16-bit, 32-bit integer or float gray image as an 8-bit one: 16-bit values / 257,
    others by their own range (a 16-bit PNG opens as mode I;16 or I)."""
    pixels = np.asarray(image).astype(np.float64)
    if image.mode.startswith("I;16") or (image.mode == "I" and pixels.max(initial=0) <= 65535
                                         and pixels.min(initial=0) >= 0):
        scaled = pixels / 257.0
    else:
        low, high = pixels.min(initial=0), pixels.max(initial=0)
        scaled = (pixels - low) * (255.0 / (high - low)) if high > low else pixels * 0
    return Image.fromarray(np.clip(np.round(scaled), 0, 255).astype(np.uint8), mode="L")


def _file_reader(
    image_size: int, center_crop: int | None
) -> Callable[[bytes], tuple[np.ndarray, bool]]:
    blank = np.zeros((image_size, image_size, 3), np.uint8)

    def read(path: bytes) -> tuple[np.ndarray, bool]:
        name = path.decode()
        try:
            with Image.open(name) as image:
                return prepare_image(image, image_size, center_crop), np.bool_(True)
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            warnings.warn(f"Skipping unreadable image {name}: {error}", stacklevel=1)
            return blank, np.bool_(False)

    return read


def _check_readable(paths: Sequence[Path], part: str) -> None:
    """``ValueError`` when not one of ``paths`` decodes (found before training, not after a
    whole epoch of skipped files); stops at the first readable image, so a good folder costs
    one decode."""
    problems = []
    for path in paths:
        try:
            with Image.open(path) as image:
                image.load()
            return
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            problems.append(f"{path}: {error}")
    raise ValueError(f"none of the {len(paths)} {part} images can be read, e.g. {problems[0]}")


def _decoded_files(
    paths: Sequence[Path],
    image_size: int,
    center_crop: int | None,
    order: EpochShuffle | None = None,
    labels: np.ndarray | None = None,
    channels: int = 3,
) -> tf.data.Dataset:
    """uint8 images from files (with their rows of ``labels``, if given: ``(image, label)``
    elements); unreadable files are skipped with a warning naming them.

    ``order`` reshuffles the file names every epoch (cheap: no decoded images are held).
    """
    read = _file_reader(image_size, center_crop)
    names = tf.data.Dataset.from_tensor_slices([str(path) for path in paths])
    rows = tf.data.Dataset.from_tensor_slices(
        np.zeros((len(paths), 0), np.float32) if labels is None else labels)
    dataset = tf.data.Dataset.zip((names, rows))
    if order is not None:
        dataset = order(dataset, len(paths))
    dataset = dataset.map(
        lambda path, row: (*tf.numpy_function(read, [path], (tf.uint8, tf.bool),
                                              stateful=False), row),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
    dataset = dataset.filter(lambda image, ok, row: ok)

    def shaped(image: tf.Tensor) -> tf.Tensor:
        image = tf.ensure_shape(image, (image_size, image_size, 3))
        return tf.image.rgb_to_grayscale(image) if channels == 1 else image

    if labels is None:
        return dataset.map(lambda image, ok, row: shaped(image))
    return dataset.map(lambda image, ok, row: (shaped(image), row))


def _batched(
    images: tf.data.Dataset,
    count: int,
    batch_size: int,
    training: bool,
    value_range: tuple[float, float],
    cache: bool,
    order: EpochShuffle | None = None,
) -> tf.data.Dataset:
    """Cache, shuffle (cached images, by ``order``), batch and scale uint8 images.

    ``order`` marks the result as shuffled by it even when the shuffling happened upstream.
    """
    if cache:
        images = images.cache()
        if order is not None:
            images = order(images, count)
    # Training drops a short last batch: static shapes, and the minibatch-discrimination layer
    # makes D depend on the batch, so every training batch has the same size.
    images = images.batch(batch_size, drop_remainder=training)

    def scale(batch: tf.Tensor, *labels: tf.Tensor) -> Any:
        scaled = scale_images(batch, value_range)
        return (scaled, *labels) if labels else scaled

    images = images.map(scale, num_parallel_calls=tf.data.AUTOTUNE)
    return prefetched(images, order)


def _check_batch(source: str, train_count: int, batch_size: int) -> None:
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if train_count < batch_size:
        raise ValueError(
            f"{source} has {train_count} training images, fewer than one batch of "
            f"{batch_size}: add images or lower the batch size"
        )


def _tfds_celeb_a_directory(folder: Path) -> Path | None:
    """The newest prepared ``celeb_a/<version>`` under ``folder`` (or ``folder`` itself)."""
    candidates = [*folder.glob("celeb_a/*/dataset_info.json"), *folder.glob("*/dataset_info.json"),
                  *folder.glob("dataset_info.json")]
    versions = {
        path.parent for path in candidates
        if path.parent.parent.name == "celeb_a"
        and re.fullmatch(r"\d+\.\d+\.\d+", path.parent.name)
    }
    if not versions:
        return None
    newest = max(versions, key=lambda v: tuple(map(int, v.name.split("."))))
    return safe_tfds_directory(newest, explicit=True)


def _tfds_celeb_a(
    directory: Path,
    image_size: int,
    batch_size: int,
    center_crop: int | None,
    seed: int | None,
    value_range: tuple[float, float],
    cache: bool,
    split_file: str | os.PathLike | None,
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    import tensorflow_datasets as tfds  # only when a prepared celeb_a exists

    builder = tfds.builder_from_directory(str(directory))
    counts = {split: builder.info.splits[split].num_examples for split in ("train", "validation")}
    source = f"tfds:{directory}"
    _check_batch(source, counts["train"], batch_size)

    def prepare(pixels: np.ndarray) -> np.ndarray:
        return prepare_image(Image.fromarray(pixels), image_size, center_crop)

    def images(split: str) -> tf.data.Dataset:
        return builder.as_dataset(split=split, shuffle_files=False).map(
            lambda example: tf.ensure_shape(
                tf.numpy_function(prepare, [example["image"]], tf.uint8, stateful=False),
                (image_size, image_size, 3),
            ),
            num_parallel_calls=tf.data.AUTOTUNE,
        )

    if split_file is not None:
        ImageSplit(source, None, *(
            tuple(f"{split}[{index}]" for index in range(count))
            for split, count in counts.items()
        )).write(split_file)
    return (
        _batched(images("train"), counts["train"], batch_size, True, value_range, cache,
                 EpochShuffle(seed) if cache else None),
        _batched(images("validation"), counts["validation"], batch_size, False, value_range,
                 cache),
    )


def image_folder(
    path: str | os.PathLike,
    image_size: int = 64,
    batch_size: int = 64,
    *,
    seed: int = 0,
    validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
    validation_size: int | None = None,
    center_crop: int | None = None,
    value_range: tuple[float, float] = (-1.0, 1.0),
    cache: bool = True,
    split_file: str | os.PathLike | None = None,
    attributes: str | os.PathLike | None = None,
    channels: int = 3,
    limit: int | None = None,
) -> tuple[tf.data.Dataset, tf.data.Dataset | None]:
    """Training and validation batches of the images under ``path``.

    Args:
        path: A folder of images (searched recursively), or a TFDS data directory with a
            prepared ``celeb_a`` (whose own train/validation splits are used).
        image_size: Side of the square output images.
        batch_size: Images per batch; training drops a short last batch.
        seed: Seed of the train/validation split and of the training shuffle.
        validation_fraction: Share of the images held out (0.15: 1500 of 10 000).
        validation_size: An exact number of validation images instead.
        center_crop: Cut the central square of this side before resizing (160 for CelebA).
        value_range: Pixel range of the output, the model preset's ``data_range``.
        cache: Keep the decoded images in memory after the first epoch
            (``count · image_size² · 3`` bytes: 12 KB per 64×64 image).
        split_file: Write the split (JSON) here, e.g. into the run directory.
        attributes: A CelebA-style ``list_attr_celeba.txt`` naming every image of the folder
            (by file name): the batches are then ``(images, attributes)`` with one float32
            0/1 value per attribute (``celeba_attributes``), for conditional models.
        channels: 3 (RGB) or 1 (gray: images are converted, e.g. for 28×28×1 presets).
        limit: Use only the first ``limit`` images of each split (as ``--limit`` does for
            arrays); not for a TFDS celeb_a directory (``ValueError``).

    Returns:
        ``(train_ds, val_ds)`` of float32 ``(batch, image_size, image_size, 3)`` (and the
        attribute vectors); ``val_ds`` is None when nothing is held out.

    Raises:
        FileNotFoundError, NotADirectoryError: ``path`` is missing or not a folder.
        ValueError: no images, fewer training images than one batch, or images the
            attribute list does not name.

    Example:
        >>> train_ds, val_ds = image_folder("faces/", batch_size=64)  # doctest: +SKIP
    """
    folder = Path(path)
    celeb_a = _tfds_celeb_a_directory(folder) if folder.is_dir() else None
    if celeb_a is not None:
        if attributes is not None or channels != 3 or limit is not None:
            raise ValueError(f"{folder} is a TFDS celeb_a directory; attributes=, channels= "
                             "and limit= (--limit) apply to image folders")
        return _tfds_celeb_a(celeb_a, image_size, batch_size, center_crop, seed, value_range,
                             cache, split_file)
    if limit is not None and limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
    split = split_image_folder(folder, seed, validation_fraction, validation_size)
    _check_batch(str(folder), len(split.train[:limit]), batch_size)
    if split_file is not None:
        split.write(split_file)
    datasets = []
    for names, training in ((split.train[:limit], True), (split.validation[:limit], False)):
        if not names:
            datasets.append(None)
            continue
        paths = [folder / name for name in names]
        _check_readable(paths, "training" if training else "validation")
        order = EpochShuffle(seed) if training else None
        labels = None if attributes is None else attribute_rows(attributes, names)
        images = _decoded_files(paths, image_size, center_crop, None if cache else order,
                                labels, channels)
        datasets.append(
            _batched(images, len(paths), batch_size, training, value_range, cache, order)
        )
    return datasets[0], datasets[1]


def lfw_mini(
    image_size: int = 64,
    batch_size: int = 64,
    *,
    seed: int = 0,
    validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
    validation_size: int | None = None,
    value_range: tuple[float, float] = (-1.0, 1.0),
    split_file: str | os.PathLike | None = None,
) -> tuple[tf.data.Dataset, tf.data.Dataset | None]:
    """The 100 real LFW face crops bundled with scikit-image, upscaled to ``image_size``.

    A smoke dataset (25×25 gray faces, 85 train / 15 validation by default) so the face
    pipeline runs offline; nothing trained on it says much about faces. Arguments as for
    ``image_folder``.

    Raises:
        ImportError: scikit-image is not installed.
    """
    try:
        from skimage.data import lfw_subset
    except ImportError as error:
        raise ImportError(
            "--data lfw-mini needs scikit-image: pip install scikit-image"
        ) from error
    faces = np.round(lfw_subset()[:LFW_MINI_FACES] * 255.0).astype(np.uint8)
    images = np.stack([prepare_image(Image.fromarray(face), image_size) for face in faces])
    train, validation = split_indices(len(images), seed, validation_fraction, validation_size)
    _check_batch(LFW_MINI, len(train), batch_size)
    if split_file is not None:
        ImageSplit(
            LFW_MINI, seed, tuple(f"lfw_subset[{i}]" for i in train),
            tuple(f"lfw_subset[{i}]" for i in validation),
        ).write(split_file)
    datasets = []
    for indices, training in ((train, True), (validation, False)):
        if len(indices) == 0:
            datasets.append(None)
            continue
        pixels = tf.data.Dataset.from_tensor_slices(images[indices])
        datasets.append(
            _batched(pixels, len(indices), batch_size, training, value_range, cache=True,
                     order=EpochShuffle(seed) if training else None)
        )
    return datasets[0], datasets[1]


def load_faces(
    data: str | os.PathLike, **kwargs: Any
) -> tuple[tf.data.Dataset, tf.data.Dataset | None]:
    """``image_folder(data, ...)``, or ``lfw_mini(...)`` when ``data == "lfw-mini"``.

    ``center_crop`` and ``cache`` do not apply to lfw-mini (already cropped, always cached).
    """
    if str(data) == LFW_MINI:
        if kwargs.get("limit") is not None:
            raise ValueError("--limit applies to your own data; lfw-mini is 100 faces")
        for option in ("center_crop", "cache", "limit"):
            kwargs.pop(option, None)
        return lfw_mini(**kwargs)
    return image_folder(data, **kwargs)


def attribute_rows(path: str | os.PathLike, names: Sequence[str]) -> np.ndarray:
    """The 0/1 attribute vectors (float32, images × attributes) of the images ``names`` (paths
    relative to their folder, matched by file name) from a CelebA attribute list.

    Raises:
        ValueError: an image has no row in the list.
    """
    _, files, values = celeba_attributes(path)
    rows = {name: index for index, name in enumerate(files)}
    missing = [name for name in names if Path(name).name not in rows]
    if missing:
        raise ValueError(f"{len(missing)} image(s) have no row in {path}, e.g. {missing[0]}")
    indices = [rows[Path(name).name] for name in names]
    return (values[indices] > 0).astype(np.float32)


def celeba_attributes(path: str | os.PathLike) -> tuple[list[str], list[str], np.ndarray]:
    """Reads CelebA's ``list_attr_celeba.txt``: attribute names, image file names, and an int8
    matrix (images × attributes) of +1 / -1.

    The file's first line is the image count, the second the 40 attribute names, then one line
    per image: ``000001.jpg -1 1 1 ...``.

    Raises:
        ValueError: the file does not have that layout.
    """
    lines = Path(path).read_text().split("\n")
    try:
        count = int(lines[0].strip())
        names = lines[1].split()
        rows = [line.split() for line in lines[2:2 + count]]
        files = [row[0] for row in rows]
        values = np.array([[int(value) for value in row[1:]] for row in rows], dtype=np.int8)
    except (IndexError, ValueError) as error:
        raise ValueError(f"{path} is not a CelebA attribute list ({error})") from None
    if values.shape != (count, len(names)) or not np.all(np.isin(values, (-1, 1))):
        raise ValueError(f"{path}: expected {count} rows of {len(names)} values of +1/-1")
    return names, files, values

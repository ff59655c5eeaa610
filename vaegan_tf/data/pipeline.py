"""Steps shared by every input pipeline: pixel scaling, the seeded train/validation split and
the per-epoch shuffle."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

DEFAULT_VALIDATION_FRACTION = 0.15
"""The original's 1500 of 10 000 face images (spec 5)."""


def scale_images(images: tf.Tensor, value_range: tuple[float, float]) -> tf.Tensor:
    """uint8 pixels [0, 255] → float32 in ``value_range``."""
    low, high = value_range
    return tf.cast(images, tf.float32) * ((high - low) / 255.0) + low


def validation_count(
    total: int,
    validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
    validation_size: int | None = None,
) -> int:
    """How many of ``total`` items go to validation.

    ``validation_size`` wins when given; otherwise ``round(total · validation_fraction)``, at
    least 1 when the fraction is positive (10 000 images → 1500, the original's split).
    """
    if validation_size is not None:
        if not 0 <= validation_size < total:
            raise ValueError(
                f"validation_size must be in [0, {total}) for {total} images, "
                f"got {validation_size}"
            )
        return validation_size
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    if validation_fraction == 0.0:
        return 0
    return max(1, round(total * validation_fraction))


def split_indices(
    total: int,
    seed: int = 0,
    validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
    validation_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of ``range(total)`` into sorted (train, validation) index arrays.

    The same ``total`` and ``seed`` always give the same split (NumPy's PCG64 permutation,
    stable across platforms); the two parts never overlap.
    """
    permutation = np.random.default_rng(seed).permutation(total)
    count = validation_count(total, validation_fraction, validation_size)
    return np.sort(permutation[count:]), np.sort(permutation[:count])


class EpochShuffle:
    """A full reshuffle every epoch, whose order is a function of the seed and the epoch number.

    tf.data's ``shuffle(reshuffle_each_iteration=True)`` draws each epoch's order from a hidden
    generator that starts over in a new process, so a resumed run would replay epoch 0's order.
    Here epoch ``e`` is ordered by ``shuffle(seed=seed · 1000003 + e)``. ``epoch`` advances by
    one at each new iteration (plain loops and ``model.fit`` reshuffle every epoch as usual);
    ``vaegan_tf.training.train`` sets it to the epoch number before each epoch, so a resumed run
    sees the orders of an uninterrupted one.

    Args:
        seed: Seed of the orders; None draws one.

    Example:
        >>> order = EpochShuffle(seed=0)
        >>> numbers = order(tf.data.Dataset.range(5), count=5)
        >>> sorted(int(x) for x in numbers)
        [0, 1, 2, 3, 4]
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = int(np.random.default_rng().integers(2**31)) if seed is None else int(seed)
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="data_epoch")

    def __call__(self, dataset: tf.data.Dataset, count: int) -> tf.data.Dataset:
        """``dataset`` (``count`` elements) in this epoch's order."""
        def ordered(_: tf.Tensor) -> tf.data.Dataset:
            # This function's graph inherits the global seed; with a global seed of 0,
            # tf.data's seed handling tests the tensor seed below in Python and fails. The
            # order depends only on the seed and the epoch, so the graph's seed is cleared.
            tf.random.set_seed(None)
            epoch = self.epoch.assign_add(1) - 1
            seed = tf.constant(self.seed * 1_000_003, tf.int64) + epoch
            return dataset.shuffle(count, seed=seed, reshuffle_each_iteration=False)

        shuffled = tf.data.Dataset.from_tensors(0).flat_map(ordered)
        known = int(dataset.cardinality())
        return shuffled.apply(tf.data.experimental.assert_cardinality(known)) if known >= 0 \
            else shuffled


def with_epoch_shuffle(dataset: tf.data.Dataset, order: EpochShuffle | None) -> tf.data.Dataset:
    """Marks ``dataset`` as ordered by ``order``, so training can set the epoch (resume)."""
    if order is not None:
        dataset.epoch_shuffle = order
    return dataset


def prefetched(dataset: tf.data.Dataset, order: EpochShuffle | None) -> tf.data.Dataset:
    """The last stage of every vaegan_tf pipeline: prefetch, tf.data's autotuning off, and
    marked with ``order`` (``with_epoch_shuffle``).

    Why autotuning is off: tearing down an iterator waited 2-4 s for tf.data's autotuning
    thread, and Keras makes a new iterator every epoch (MNIST, 5 epochs of 20 steps: the
    first batch of an epoch came 2.3-2.9 s late in 1-3 of the 4 later epochs, 0.15 s with
    autotuning off; the steps themselves equally fast). Parallel maps then run one call per
    core, which ``benchmarks/input_pipeline.py`` measures.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return with_epoch_shuffle(dataset.prefetch(tf.data.AUTOTUNE).with_options(options), order)


RANGE_CHECK = "vaegan_tf: a training batch outside the data range of the model"
"""The message of ``checked_batches``' assertion (how ``fit`` recognises its error)."""

LABEL_CHECK = "vaegan_tf: a training batch with labels the model has no condition for"
"""The message of ``checked_batches``' label assertion."""


def label_problem(labels: Any, num_classes: int, condition_dim: int) -> str | None:
    """What makes ``labels`` unfit for a model conditioned on ``num_classes`` classes (class
    indices: integers 0 to ``num_classes - 1``) or, with ``num_classes`` 0, on attribute
    vectors of ``condition_dim`` values in [0, 1]; None when they fit.

    Example:
        >>> label_problem(np.array([0, 3, 10, 11]), 10, 10)
        '2 label(s) are not class indices 0-9: [10, 11]'
    """
    values = np.asarray(labels)
    if num_classes:
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1:
            return (f"labels of shape {values.shape}: expected one class index per image "
                    f"(0-{num_classes - 1})")
        numbers = values.astype(np.float64)
        bad = ~np.isfinite(numbers) | (numbers != np.round(numbers)) | (numbers < 0) | (
            numbers >= num_classes)
        what = f"class indices 0-{num_classes - 1}"
    else:
        if values.ndim != 2 or values.shape[1] != condition_dim:
            return (f"labels of shape {values.shape}: expected attribute vectors of "
                    f"{condition_dim} values, shape (N, {condition_dim})")
        numbers = values.astype(np.float64)
        bad = ~np.isfinite(numbers) | (numbers < 0) | (numbers > 1)
        what = "attribute values in [0, 1]"
    if not bad.any():
        return None
    shown = np.unique(values[bad]).tolist()
    listed = shown[:8] + (["..."] if len(shown) > 8 else [])
    return f"{int(bad.sum())} label(s) are not {what}: [{', '.join(map(str, listed))}]"


def check_labels(labels: Any, num_classes: int, condition_dim: int, source: str) -> None:
    """Raises ``ValueError`` naming ``source`` where ``label_problem`` finds one."""
    problem = label_problem(labels, num_classes, condition_dim)
    if problem is not None:
        raise ValueError(f"{source}: {problem}")


def checked_batches(dataset: tf.data.Dataset, value_range: tuple[float, float],
                    num_classes: int = 0) -> tf.data.Dataset:
    """``dataset`` with each batch's values checked as it is drawn (``fit`` uses it): a batch
    outside ``value_range`` (0-255 floats), or a batch of [0, 1] values for a model whose
    range is [-1, 1], fails with an ``InvalidArgumentError`` carrying ``RANGE_CHECK`` and the
    batch's smallest and largest value; with ``num_classes``, a batch whose labels are not
    class indices 0 to ``num_classes - 1`` fails carrying ``LABEL_CHECK``, their count and
    the smallest and largest label. Checking while training reads the batches changes
    nothing about their order, which drawing one beforehand would (it advances the shuffle
    state of some datasets)."""
    low, high = value_range
    margin = 0.01 * (high - low)

    def check(*element: tf.Tensor) -> Any:
        images = element[0]
        smallest, largest = tf.reduce_min(images), tf.reduce_max(images)
        outside = tf.logical_or(smallest < low - margin, largest > high + margin)
        unit = tf.logical_and(smallest >= 0.0, largest > 0.0) if low < 0.0 else False
        assertions = [tf.debugging.Assert(tf.logical_not(tf.logical_or(outside, unit)),
                                          [RANGE_CHECK, smallest, largest])]
        if num_classes and len(element) > 1:
            labels = tf.cast(element[1], tf.float64)
            bad = tf.logical_or(tf.logical_or(labels < 0, labels >= num_classes),
                                tf.not_equal(labels, tf.round(labels)))
            assertions.append(tf.debugging.Assert(
                tf.logical_not(tf.reduce_any(bad)),
                [LABEL_CHECK, tf.reduce_sum(tf.cast(bad, tf.int64)), tf.reduce_min(labels),
                 tf.reduce_max(labels)]))
        with tf.control_dependencies(assertions):
            images = tf.identity(images)
        return (images, *element[1:]) if len(element) > 1 else images

    return dataset.map(check)


def check_training_images(data: Any, value_range: tuple[float, float]) -> None:
    """Refuses training data a model would silently learn nonsense from: ``fit``'s ``x`` (a
    ``tf.data.Dataset`` or an array, of images or of ``(images, labels)``).

    A dataset is judged here by its element spec (type and rank); its values are checked
    batch by batch while training reads them (``checked_batches``). Arrays are checked fully.

    Raises:
        ValueError: integer images (uint8 0-255: scale them, ``scale_images``), a dataset that
            is not batched (elements of rank 3), or array values outside ``value_range``
            (0-255 floats), or [0, 1] arrays for a model whose range is [-1, 1].
    """
    low, high = value_range
    if isinstance(data, tf.data.Dataset):
        spec = data.element_spec
        spec = spec[0] if isinstance(spec, tuple) else spec
        if spec.shape.rank == 3:
            raise ValueError(f"the dataset yields single images {tuple(spec.shape)}, not "
                             "batches: call .batch(batch_size) on it")
        dtype = spec.dtype
    elif isinstance(data, np.ndarray) or tf.is_tensor(data):
        dtype = tf.as_dtype(data.dtype)
    else:
        return  # a generator or a PyDataset: not inspected
    if not dtype.is_floating:
        raise ValueError(f"the images are {dtype.name}: scale them to the model's data range "
                         f"{value_range} first, e.g. with vaegan_tf.data.pipeline.scale_images")
    if isinstance(data, tf.data.Dataset):
        return
    smallest, largest = float(np.min(data)), float(np.max(data))
    if smallest < low - 0.01 * (high - low) or largest > high + 0.01 * (high - low):
        raise ValueError(f"the images span [{smallest:.3g}, {largest:.3g}], outside the model's "
                         f"data range {value_range}: scale them first (scale_images)")
    if low < 0.0 <= smallest and largest > 0.0:
        raise ValueError(f"the images span [{smallest:.3g}, {largest:.3g}]: they look like "
                         f"[0, 1] data, but the model's data range is {value_range} (its "
                         "output activation); map them with x * 2 - 1, or use a preset with "
                         "output_activation='sigmoid'")

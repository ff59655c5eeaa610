"""Steps shared by every input pipeline: pixel scaling and the seeded train/validation split."""

from __future__ import annotations

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

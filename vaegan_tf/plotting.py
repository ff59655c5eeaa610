"""Image grids as PNG files, drawn as the original's notebooks drew them (spec 6)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

GRID_FIGSIZE_INCHES = 4.0
GRID_DPI = 72  # the 2020 Colab inline default: 4 in × 72 dpi = 288 × 288 pixels


def to_unit_range(images: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    """Maps images from ``value_range`` to [0, 1] for display, clipping stray values."""
    low, high = value_range
    return np.clip((np.asarray(images, dtype=np.float32) - low) / (high - low), 0.0, 1.0)


def save_image_grid(
    images: np.ndarray,
    path: str | os.PathLike,
    value_range: tuple[float, float] = (-1.0, 1.0),
    columns: int = 4,
) -> Path:
    """Saves images as a matplotlib grid, axes off, 288×288 RGBA PNG for the default 4×4.

    One-channel images use the gray colormap (white digits on black) on a fixed [0, 1] scale,
    so brightness is comparable between images and epochs.

    Args:
        images: (N, H, W, C) array in ``value_range``, C = 1 or 3.
        path: Output file; parent directories are created.
        value_range: Range of ``images``.
        columns: Grid columns; rows follow from N.

    Example:
        >>> save_image_grid(model.sample(16).numpy(), "grid.png")  # doctest: +SKIP
    """
    images = to_unit_range(images, value_range)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"Expected images of shape (N, H, W, 1 or 3), got {images.shape}")
    rows = math.ceil(len(images) / columns)
    figure = Figure(figsize=(GRID_FIGSIZE_INCHES, GRID_FIGSIZE_INCHES), dpi=GRID_DPI)
    for index, image in enumerate(images):
        axes = figure.add_subplot(rows, columns, index + 1)
        if image.shape[-1] == 1:
            axes.imshow(image[..., 0], cmap="gray", vmin=0.0, vmax=1.0)
        else:
            axes.imshow(image)
        axes.axis("off")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=GRID_DPI)
    return path

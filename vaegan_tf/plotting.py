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


NETWORKS = ("encoder", "decoder", "discriminator")
"""The VAE-GAN's networks (the schedule comparison's panels)."""
CURVE_DPI = 100


def history_networks(history: dict[str, list[float]]) -> list[str]:
    """The networks a history has losses for (``encoder_loss`` → ``encoder``), in key order."""
    return [key.removesuffix("_loss") for key in history
            if key.endswith("_loss") and not key.startswith("val_")]


def _save(figure: Figure, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=CURVE_DPI)
    return path


def save_loss_curves(history: dict[str, list[float]], path: str | os.PathLike) -> Path:
    """One panel per network: its training loss and, when logged, its validation loss.

    Args:
        history: ``fit``'s ``history.history`` (keys ``encoder_loss``, ``val_encoder_loss``, …).
        path: Output PNG.
    """
    networks = history_networks(history)
    figure = Figure(figsize=(4.0 * max(len(networks), 1), 3.6))
    for column, network in enumerate(networks):
        axes = figure.add_subplot(1, len(networks), column + 1)
        for prefix, label in (("", "train"), ("val_", "validation")):
            values = history.get(f"{prefix}{network}_loss")
            if values:
                axes.plot(range(len(values)), values, marker=".", label=label)
        axes.set(title=f"{network} loss", xlabel="epoch")
        axes.grid(alpha=0.3)
        if axes.lines:
            axes.legend()
    figure.tight_layout()
    return _save(figure, path)


def save_learning_rate_curves(history: dict[str, list[float]], path: str | os.PathLike) -> Path:
    """Each optimizer's learning rate after every epoch (log scale), as the original logged it."""
    figure = Figure(figsize=(6.0, 3.6))
    axes = figure.add_subplot(1, 1, 1)
    for network in history_networks(history):
        values = history.get(f"{network}_learning_rate")
        if values:
            axes.step(range(len(values)), values, where="post", label=network)
    axes.set(title="learning rate after each epoch", xlabel="epoch", yscale="log")
    axes.grid(alpha=0.3, which="both")
    axes.legend()
    figure.tight_layout()
    return _save(figure, path)


def save_schedule_comparison(
    histories: dict[str, dict[str, list[float]]], path: str | os.PathLike
) -> Path:
    """Two rows for several runs: each network's learning rate (top) and validation loss.

    Args:
        histories: Run label (e.g. ``"lr1"``) → that run's ``history.history``.
        path: Output PNG.
    """
    figure = Figure(figsize=(12.0, 6.4))
    for column, network in enumerate(NETWORKS):
        rate_axes = figure.add_subplot(2, 3, column + 1)
        loss_axes = figure.add_subplot(2, 3, column + 4)
        for label, history in histories.items():
            rates = history.get(f"{network}_learning_rate", [])
            losses = history.get(f"val_{network}_loss", [])
            rate_axes.step(range(len(rates)), rates, where="post", label=label)
            loss_axes.plot(range(len(losses)), losses, marker=".", label=label)
        rate_axes.set(title=f"{network} learning rate", yscale="log")
        loss_axes.set(title=f"{network} validation loss", xlabel="epoch")
        for axes in (rate_axes, loss_axes):
            axes.grid(alpha=0.3)
            axes.legend(fontsize="small")
    figure.tight_layout()
    return _save(figure, path)

"""Latent-space tools: reconstructions, interpolation, random walks and latent arithmetic.

Everything works on a trained model and NumPy arrays in the model's data range, and returns
arrays; ``save_rows`` and ``save_animation`` turn them into a PNG or a GIF. Decoding works for
every model; encoding (``encode_means``, ``reconstruct``) needs one that can encode (the
VAE-GAN).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image

from vaegan_tf.animation import write_gif
from vaegan_tf.plotting import to_unit_range

Method = Literal["linear", "slerp"]


def encode_means(model: Any, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """The encoder's mean code of each image (the deterministic code, no sampling)."""
    if not model.can_encode:
        raise ValueError(f"{type(model).__name__} has no encoder; this needs a model that can "
                         "encode images (the VAE-GAN)")
    means = [np.asarray(model.encode(images[start:start + batch_size])[0])
             for start in range(0, len(images), batch_size)]
    return np.concatenate(means)


def decode(model: Any, codes: np.ndarray, labels: np.ndarray | None = None,
           batch_size: int = 500) -> np.ndarray:
    """Images generated from codes (and, for a conditional model, one label or attribute
    vector per code), in the model's data range."""
    if model.conditional and labels is None:
        raise ValueError(f"{type(model).__name__} is conditional: give a label per code")
    batches = []
    for start in range(0, len(codes), batch_size):
        part = None if labels is None else model.condition_vectors(
            labels[start:start + batch_size])
        batches.append(np.asarray(model.generate(codes[start:start + batch_size], part)))
    return np.concatenate(batches)


def reconstruct(model: Any, images: np.ndarray) -> np.ndarray:
    """Dec(μ(x)) for each image: what the model keeps of it."""
    return decode(model, encode_means(model, images))


def variations(model: Any, images: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """For each image, ``count`` decodings of draws z ~ q(z|x) = N(μ(x), σ(x)²): what the
    model keeps of the image and what it varies (the VAE seed's "one sample with variations").
    Returns (images, count, *image shape); draw ``j`` of every image uses the same ε.

    Example:
        >>> variations(model, images[:3], 8).shape  # doctest: +SKIP
        (3, 8, 28, 28, 1)
    """
    mean, log_var = (np.asarray(part) for part in model.encode(images))
    noise = np.random.default_rng(seed).standard_normal((count, mean.shape[-1])).astype(
        np.float32)
    codes = mean[:, None] + np.exp(0.5 * log_var)[:, None] * noise[None]
    decoded = decode(model, codes.reshape(-1, mean.shape[-1]))
    return decoded.reshape(len(images), count, *decoded.shape[1:])


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation between two codes (linear when they are parallel)."""
    unit_a, unit_b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    angle = np.arccos(np.clip(np.dot(unit_a, unit_b), -1.0, 1.0))
    if angle < 1e-6:
        return (1.0 - t) * a + t * b
    return (np.sin((1.0 - t) * angle) * a + np.sin(t * angle) * b) / np.sin(angle)


def interpolate_codes(
    a: np.ndarray, b: np.ndarray, steps: int = 10, method: Method = "linear"
) -> np.ndarray:
    """``steps`` codes from ``a`` to ``b`` (both included), linearly or spherically.

    Spherical interpolation keeps the codes at the norm typical of N(0, I) draws, where a
    straight line between two such codes passes closer to the origin than the prior puts mass.
    """
    if steps < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    if method not in ("linear", "slerp"):
        raise ValueError(f"method must be 'linear' or 'slerp', got {method!r}")
    ts = np.linspace(0.0, 1.0, steps)
    if method == "linear":
        return np.stack([(1.0 - t) * a + t * b for t in ts]).astype(np.float32)
    return np.stack([slerp(a, b, t) for t in ts]).astype(np.float32)


def random_walk_codes(
    latent_dim: int, steps: int = 60, step_size: float = 0.2, seed: int = 0
) -> np.ndarray:
    """A smooth walk through the prior: z ← √(1 − s²)·z + s·ε keeps z ~ N(0, I) at every step."""
    rng = np.random.default_rng(seed)
    code = rng.standard_normal(latent_dim)
    keep = np.sqrt(1.0 - step_size**2)
    codes = []
    for _ in range(steps):
        codes.append(code)
        code = keep * code + step_size * rng.standard_normal(latent_dim)
    return np.stack(codes).astype(np.float32)


def attribute_vector(
    codes: np.ndarray, labels: np.ndarray, positive: Any, negative: Any
) -> np.ndarray:
    """Mean code of the ``positive`` label minus that of ``negative`` (latent arithmetic).

    For MNIST: ``attribute_vector(codes, digits, 7, 1)`` moves a code from "1" towards "7";
    for CelebA: labels from ``list_attr_celeba.txt`` (1 / -1), as in the VAE/GAN paper.
    """
    labels = np.asarray(labels)
    for value in (positive, negative):
        if not np.any(labels == value):
            raise ValueError(f"No codes labelled {value!r}")
    return codes[labels == positive].mean(axis=0) - codes[labels == negative].mean(axis=0)


def to_pixels(images: np.ndarray, value_range: tuple[float, float], scale: int = 1) -> np.ndarray:
    """uint8 RGB pixels, each image enlarged ``scale`` times (nearest neighbour)."""
    pixels = np.round(to_unit_range(images, value_range) * 255.0).astype(np.uint8)
    if pixels.shape[-1] == 1:
        pixels = np.repeat(pixels, 3, axis=-1)
    return pixels.repeat(scale, axis=1).repeat(scale, axis=2)


def save_rows(
    rows: Sequence[np.ndarray], path: str | os.PathLike,
    value_range: tuple[float, float] = (-1.0, 1.0), scale: int = 2,
) -> Path:
    """One PNG with each array of images as a row (e.g. originals above reconstructions)."""
    strips = [np.concatenate(list(to_pixels(row, value_range, scale)), axis=1) for row in rows]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(strips, axis=0)).save(path)
    return path


def save_animation(
    images: np.ndarray, path: str | os.PathLike,
    value_range: tuple[float, float] = (-1.0, 1.0), scale: int = 4, frame_ms: int = 100,
) -> Path:
    """A looping GIF with one image per frame."""
    frames = [Image.fromarray(frame) for frame in to_pixels(images, value_range, scale)]
    return write_gif(frames, path, frame_ms)

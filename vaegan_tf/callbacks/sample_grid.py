"""A callback that saves a grid of prior samples every N epochs (spec 6)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import keras
import numpy as np

from vaegan_tf.plotting import save_image_grid


class SampleGrid(keras.callbacks.Callback):
    """Every ``every`` epochs, generates ``num_samples`` prior draws and saves them as a grid.

    With ``every=5`` the grids are written after epochs 4, 9, 14, ... (0-based), as
    ``image_at_epoch_004.png`` and so on: the original's files. The model must provide
    ``latent_dim``, ``generate(latents, conditions)`` and ``data_range`` (every
    ``AdversarialModel`` does). A class-conditional model gets one row per class with
    ``num_samples // num_classes`` images each (at least ``MIN_CONDITIONAL_COLUMNS``); an
    attribute-conditional one gets random attribute vectors (each attribute on with
    probability ½), drawn like the latents.

    Args:
        directory: Where the PNG files go.
        every: Epoch interval.
        num_samples: Images per grid (16 gives the original 4×4).
        filename: File name, formatted with the 0-based ``epoch``.
        fixed_latents: Decode the same latent batch every time, so frames are comparable.
            The original drew fresh latents each time (the default).
        seed: Seed of the callback's own latent draws (they never touch the model's RNG).

    Attributes:
        paths: The grid files written so far.
        last_images: The latest decoded batch (in the model's data range), or None.
        last_epoch: The epoch of ``last_images``, or None.

    Example:
        >>> model.fit(train, epochs=10, callbacks=[SampleGrid("runs/grids")])  # doctest: +SKIP
    """

    MIN_CONDITIONAL_COLUMNS = 8

    def __init__(
        self,
        directory: str | os.PathLike,
        every: int = 5,
        num_samples: int = 16,
        filename: str = "image_at_epoch_{epoch:03d}.png",
        fixed_latents: bool = False,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        if every <= 0:
            raise ValueError(f"every must be positive, got {every}")
        if "{epoch" not in filename:
            raise ValueError(f"filename must contain an {{epoch}} field, got {filename!r}")
        self.directory = Path(directory)
        self.every = every
        self.num_samples = num_samples
        self.filename = filename
        self.fixed_latents = fixed_latents
        self.seed = seed
        self.paths: list[Path] = []
        self.last_images: np.ndarray | None = None
        self.last_epoch: int | None = None
        self._rng = np.random.default_rng(seed)
        self._latents: np.ndarray | None = None
        self._conditions: np.ndarray | None = None

    @property
    def glob_pattern(self) -> str:
        """A glob matching every grid file this callback writes (for ``render_gif``)."""
        return re.sub(r"\{epoch[^}]*\}", "*", self.filename)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    @property
    def columns(self) -> int:
        """Grid columns: 4 (the original's 4×4), or the images per class of a class model."""
        classes = self.model.num_classes
        return max(self.num_samples // classes, self.MIN_CONDITIONAL_COLUMNS) if classes else 4

    def _draw(self) -> tuple[np.ndarray, np.ndarray | None]:
        """This grid's latents and conditions (None for an unconditional model)."""
        classes = self.model.num_classes
        count = classes * self.columns if classes else self.num_samples
        if self.fixed_latents and self._latents is not None:
            return self._latents, self._conditions
        latents = self._rng.standard_normal((count, self.model.latent_dim)).astype(np.float32)
        conditions = None
        if classes:
            conditions = np.repeat(np.arange(classes), self.columns)
        elif self.model.condition_dim:
            conditions = (self._rng.random((count, self.model.condition_dim)) < 0.5
                          ).astype(np.float32)
        if self.fixed_latents:
            self._latents, self._conditions = latents, conditions
        return latents, conditions

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if (epoch + 1) % self.every:
            return
        latents, conditions = self._draw()
        model = self.model
        images = np.asarray(model.generate(latents, model.condition_vectors(conditions)))
        path = self.directory / self.filename.format(epoch=epoch)
        self.paths.append(save_image_grid(images, path, model.data_range, columns=self.columns))
        self.last_images, self.last_epoch = images, epoch

    def get_state(self) -> dict[str, Any]:
        """The grids written and the latent generator's state (JSON-serializable), for resume."""
        return {
            "paths": [str(path) for path in self.paths],
            "rng": self._rng.bit_generator.state,
            "latents": None if self._latents is None else self._latents.tolist(),
            "conditions": None if self._conditions is None else self._conditions.tolist(),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.paths = [Path(path) for path in state["paths"]]
        self._rng.bit_generator.state = state["rng"]
        latents = state["latents"]
        self._latents = None if latents is None else np.asarray(latents, np.float32)
        conditions = state.get("conditions")
        self._conditions = None if conditions is None else np.asarray(conditions)

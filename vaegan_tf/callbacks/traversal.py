"""A latent-code traversal grid per epoch, for models with a categorical code (InfoGAN)."""

from __future__ import annotations

import os
from pathlib import Path

import keras

from vaegan_tf.plotting import save_image_grid

TRAVERSAL_FILENAME = "traversal_at_epoch_{epoch:03d}.png"


class CodeTraversal(keras.callbacks.Callback):
    """Every ``every``-th epoch writes ``model.traversal(steps)`` as one grid: a row per value
    of the categorical code, a column per value of the first continuous code from −2 to 2,
    one z for the grid (the InfoGAN paper's figures). Does nothing for a model without a
    categorical code.

    Args:
        directory: The run directory.
        every: Epoch interval (as the sample grids').
        steps: Columns: the continuous code's values.
        seed: Seed of the grid's z (the same every epoch, so the grids compare).

    Example:
        >>> model.fit(data, callbacks=[CodeTraversal("runs/infogan", every=1)])  # doctest: +SKIP
    """

    def __init__(self, directory: str | os.PathLike, every: int = 1, steps: int = 10,
                 seed: int = 0) -> None:
        super().__init__()
        if every <= 0 or steps <= 1:
            raise ValueError(f"every must be positive and steps > 1, got {every}, {steps}")
        self.directory, self.every, self.steps, self.seed = Path(directory), every, steps, seed
        self.written: list[Path] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not getattr(self.model, "categorical_dim", 0) or (epoch + 1) % self.every:
            return
        grid = self.model.traversal(self.steps, seed=self.seed)
        path = self.directory / TRAVERSAL_FILENAME.format(epoch=epoch)
        self.written.append(save_image_grid(grid.reshape(-1, *grid.shape[2:]), path,
                                            self.model.data_range, columns=self.steps))

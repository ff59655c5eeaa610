"""Progress GIFs from sample grids, built the way the original built them (spec 6)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import keras

from vaegan_tf.animation import render_gif
from vaegan_tf.callbacks.sample_grid import SampleGrid


class GifRenderer(keras.callbacks.Callback):
    """At the end of training, renders the grids in ``directory`` into a progress GIF.

    ``render()`` does the same at any time, e.g. on the folder of an earlier run.

    Args:
        directory: Folder holding the grids (a ``SampleGrid``'s directory).
        filename: GIF name (``number.gif`` for MNIST, ``vaegan_face.gif`` for faces).
        pattern: Glob of the grids (``SampleGrid.glob_pattern``).
        samples: A ``SampleGrid``: render exactly its ``paths`` (restored on resume) instead of
            every file matching ``pattern``.

    Attributes:
        path: The GIF written, or None if training produced no grids.

    Example:
        >>> GifRenderer("runs/old_run").render()  # doctest: +SKIP
        >>> callbacks = [SampleGrid("runs/mnist"), GifRenderer("runs/mnist")]
        >>> model.fit(train, epochs=10, callbacks=callbacks)  # doctest: +SKIP
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        filename: str = "number.gif",
        pattern: str = "image_at_epoch_*.png",
        samples: SampleGrid | None = None,
    ) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.filename = filename
        self.pattern = pattern
        self.samples = samples
        self.path: Path | None = None

    def render(self) -> Path:
        """Renders the GIF from the grids (``samples.paths``, or the files in ``directory``
        matching ``pattern``); also usable outside ``fit``."""
        grids = self.directory if self.samples is None else self.samples.paths
        self.path = render_gif(grids, self.directory / self.filename, self.pattern)
        return self.path

    def on_train_end(self, logs: dict | None = None) -> None:
        try:
            self.render()
        except (FileNotFoundError, ValueError) as error:
            warnings.warn(
                f"{error}; no GIF written (train for at least one grid interval)", stacklevel=2
            )

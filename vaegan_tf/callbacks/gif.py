"""Progress GIFs from sample grids, built the way the original built them (spec 6)."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import keras

from vaegan_tf.animation import FRAME_DURATION_MS, write_gif
from vaegan_tf.callbacks.sample_grid import SampleGrid


def select_gif_frames(count: int) -> list[int]:
    """Indices of the grids that become GIF frames, out of ``count`` sorted grids.

    The TF DCGAN tutorial's rule, which the original used: keep grid i when round(2·√i) exceeds
    the last kept value, then repeat the last grid once. For 20 grids (epochs 4, 9, ..., 99):
    ``[0, 1, 2, 4, 6, 8, 11, 15, 19, 19]``.
    """
    if count <= 0:
        return []
    kept: list[int] = []
    last = -1
    for index in range(count):
        value = round(2 * math.sqrt(index))
        if value > last:
            kept.append(index)
            last = value
    return [*kept, count - 1]


def render_gif(
    grids: Sequence[str | os.PathLike] | str | os.PathLike,
    output: str | os.PathLike,
    pattern: str = "image_at_epoch_*.png",
    frame_duration_ms: int = FRAME_DURATION_MS,
) -> Path:
    """Writes the progress GIF of a sequence of grid images (or a folder of them).

    Frames follow ``select_gif_frames`` over the grids in sorted order, so the last grid
    appears twice; every frame lasts ``frame_duration_ms``; the GIF loops forever.

    Args:
        grids: Grid image paths, or a folder whose files matching ``pattern`` are the grids.
        output: GIF path; written to a temporary file first and then renamed.
        pattern: Glob for the grids when ``grids`` is a folder.
        frame_duration_ms: Display time of each frame (GIF resolution: 10 ms).

    Example:
        >>> render_gif("runs/mnist", "runs/mnist/number.gif")  # doctest: +SKIP
    """
    if isinstance(grids, (str, os.PathLike)):
        folder = Path(grids)
        if not folder.is_dir():
            raise FileNotFoundError(f"No such folder of grid images: {folder}")
        paths = sorted(folder.glob(pattern))
        if not paths:
            raise FileNotFoundError(f"No grid images matching {pattern!r} in {folder}")
    else:
        paths = sorted(Path(path) for path in grids)
        if not paths:
            raise ValueError("render_gif needs at least one grid image")
    return write_gif([paths[index] for index in select_gif_frames(len(paths))], output,
                     frame_duration_ms)


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

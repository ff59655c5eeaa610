"""Ctrl-C during ``fit``: the first stops cleanly after the current batch, the second at once."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import keras


class GracefulInterrupt(keras.callbacks.Callback):
    """Turns the first SIGINT into ``model.stop_training``; a second one interrupts at once.

    After the first Ctrl-C the current batch finishes, the epoch ends as Keras ends a stopped
    epoch (validation, then the end-of-epoch callbacks, so the checkpoint, grid and history row
    are written for the partial epoch), and ``fit`` returns. The previous handler is restored
    when training ends. Only active in the main thread (signals cannot be caught elsewhere).

    Attributes:
        interrupted: Whether a Ctrl-C stopped this ``fit``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.interrupted = False
        self._previous = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.interrupted = False
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.interrupted:
            self.on_train_end()
            raise KeyboardInterrupt
        self.interrupted = True
        self.model.stop_training = True
        print("\nCtrl-C: finishing this batch, saving, then stopping "
              "(press Ctrl-C again to stop at once)", file=sys.stderr, flush=True)

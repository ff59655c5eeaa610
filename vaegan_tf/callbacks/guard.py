"""Stop at the first non-finite loss, naming where it happened, before anything is saved."""

from __future__ import annotations

import math

import keras


class NonFiniteLossError(RuntimeError):
    """A training loss became NaN or infinite.

    Attributes:
        epoch: 0-based epoch of the batch.
        batch: 0-based batch within the epoch.
        losses: The batch's loss values.
    """

    def __init__(self, epoch: int, batch: int, losses: dict[str, float]) -> None:
        bad = ", ".join(f"{name}={value}" for name, value in losses.items()
                        if not math.isfinite(value))
        super().__init__(f"non-finite loss at epoch {epoch}, batch {batch}: {bad}")
        self.epoch, self.batch, self.losses = epoch, batch, losses


class NonFiniteGuard(keras.callbacks.Callback):
    """Raises ``NonFiniteLossError`` at the first batch whose loss is NaN or infinite.

    Raising (rather than Keras' ``TerminateOnNaN``, which lets the epoch end) stops ``fit``
    before any end-of-epoch callback runs, so the last checkpoint, grids and history rows stay
    those of the last good epoch.

    Example:
        >>> model.fit(data, callbacks=[NonFiniteGuard(), ...])  # doctest: +SKIP
    """

    def __init__(self) -> None:
        super().__init__()
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        losses = {name: float(logs[name]) for name in self.model.loss_names
                  if name in (logs or {})}
        if not all(math.isfinite(value) for value in losses.values()):
            raise NonFiniteLossError(self.epoch, batch, losses)

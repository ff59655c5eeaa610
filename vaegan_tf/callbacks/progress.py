"""One line per epoch with the losses, learning rates, scores and an ETA for the whole run."""

from __future__ import annotations

import math
import sys
import time
from typing import TextIO

import keras

from vaegan_tf.plotting import history_networks


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def epoch_line(epoch: int, epochs: int, logs: dict, elapsed: float,
               networks: tuple[str, ...] | None = None) -> str:
    """``epoch 3/10 | loss e/d/D 0.91/3.10/1.41 | val ... | lr ... | mnist_fid 16.4 | 12m0s,
    ETA 28m0s``: fields appear when the logs have them; one value per network (e encoder,
    d decoder, g generator, D discriminator, ...), in the order of ``networks`` (default: the
    order of the ``*_loss`` keys in the logs)."""
    if networks is None:
        networks = tuple(history_networks(logs))

    def per_network(prefix: str, suffix: str, fmt: str) -> str | None:
        keys = [f"{prefix}{name}{suffix}" for name in networks]
        if not keys or not all(key in logs for key in keys):
            return None
        return "/".join(format(float(logs[key]), fmt) for key in keys)

    initials = "/".join("D" if name == "discriminator" else name[0] for name in networks)
    parts = [f"epoch {epoch + 1}/{epochs}"]
    for label, prefix, suffix, fmt in ((f"loss {initials}", "", "_loss", ".4g"),
                                       ("val", "val_", "_loss", ".4g"),
                                       ("lr", "", "_learning_rate", ".3g")):
        value = per_network(prefix, suffix, fmt)
        if value is not None:
            parts.append(f"{label} {value}")
    fids = sorted(key for key in logs if key.endswith("_fid"))  # mnist_fid, fashion_mnist_fid
    for key in ("mode_coverage", "kl_to_uniform", *fids, "class_match"):
        value = logs.get(key)
        if value is not None and math.isfinite(float(value)):
            parts.append(f"{key} {float(value):.4g}")
    remaining = elapsed / (epoch + 1) * (epochs - epoch - 1)
    parts.append(f"{_duration(elapsed)}, ETA {_duration(remaining)}")
    return " | ".join(parts)


class EpochSummary(keras.callbacks.Callback):
    """Prints ``epoch_line`` after every epoch (flushes, so log files follow along).

    Args:
        epochs: Epochs of the whole run (for the ETA).
        stream: Where to print (standard output by default).
    """

    def __init__(self, epochs: int, stream: TextIO | None = None) -> None:
        super().__init__()
        self.epochs = epochs
        self.stream = stream
        self.started = time.monotonic()
        self.elapsed_before = 0.0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.started = time.monotonic()
        self.elapsed_before = 0.0

    def elapsed(self) -> float:
        """Training seconds of the whole run, including those before a resume."""
        return self.elapsed_before + time.monotonic() - self.started

    def get_state(self) -> dict[str, float]:
        return {"elapsed": self.elapsed()}

    def set_state(self, state: dict[str, float]) -> None:
        self.started = time.monotonic()
        self.elapsed_before = float(state["elapsed"])

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        stream = self.stream or sys.stdout
        # With a progress bar, Keras is still mid-line here (it finishes the bar after the
        # callbacks), so start on a fresh line.
        lead = "\n" if self.params.get("verbose") in (1, "auto") else ""
        print(lead + epoch_line(epoch, self.epochs, logs or {}, self.elapsed(),
                                self.model.network_names), file=stream, flush=True)

"""Learning rates per network: logged in ``fit``'s history, and the NTUT schedules (spec 4.4).

A *rule* decides one optimizer's next learning rate from that network's validation loss; the
``LearningRateSchedule`` callback applies one rule per network at every epoch end. All rates are
computed in float32, as the optimizers hold them, so the original's logged rates reproduce
bit for bit.
"""

from __future__ import annotations

import copy
import math
from collections import deque
from typing import Any

import keras
import numpy as np

from vaegan_tf.presets import SCHEDULE_PRESETS


def current_rate(optimizer: keras.optimizers.Optimizer) -> float:
    """``optimizer``'s learning rate as a float, also under a ``tf.distribute`` strategy
    (where it is a mirrored variable, which ``float()`` refuses)."""
    return float(keras.ops.convert_to_numpy(keras.ops.convert_to_tensor(
        optimizer.learning_rate)))


class LearningRateLogger(keras.callbacks.Callback):
    """Adds each network's current learning rate to the epoch logs (and so to the history).

    Keys: ``{name}_learning_rate`` for each of the model's networks (``encoder_learning_rate``,
    ...). Place it after any callback that changes learning rates and before ``CSVLogger``.
    """

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None:
            return
        for name in self.model.network_names:
            logs[f"{name}_learning_rate"] = current_rate(self.model.optimizer_of(name))


def _decayed(rate: np.float32, factor: float, min_lr: float) -> np.float32:
    return max(np.float32(rate * np.float32(factor)), np.float32(min_lr))


class ConstantRule:
    """Schedule 1: the rate never changes."""

    needs_loss = False

    def step(self, rate: np.float32, loss: float | None) -> np.float32:
        return rate

    def get_state(self) -> dict[str, Any]:
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        del state


class PlateauRule:
    """Schedules 2 and 3: the README's plateau rule (Keras ``ReduceLROnPlateau`` logic).

    Keeps the best loss so far and a wait counter; a loss strictly below the best resets the
    wait, any other adds one; when the wait reaches ``patience`` the rate becomes
    ``max(rate · factor, min_lr)`` and the wait restarts.
    """

    needs_loss = True

    def __init__(self, factor: float, min_lr: float, patience: int) -> None:
        if not 0 < factor < 1 or patience <= 0 or min_lr < 0:
            raise ValueError("PlateauRule needs 0 < factor < 1, patience > 0 and min_lr >= 0")
        self.factor, self.min_lr, self.patience = factor, min_lr, patience
        self.best = math.inf
        self.wait = 0

    def step(self, rate: np.float32, loss: float | None) -> np.float32:
        if loss < self.best:
            self.best, self.wait = loss, 0
            return rate
        self.wait += 1
        if self.wait < self.patience:
            return rate
        self.wait = 0
        return _decayed(rate, self.factor, self.min_lr)

    def get_state(self) -> dict[str, Any]:
        return {"best": self.best, "wait": self.wait}

    def set_state(self, state: dict[str, Any]) -> None:
        self.best, self.wait = float(state["best"]), int(state["wait"])


class NtutBufferRule:
    """Schedule 4, as the original code ran it (spec 4.4).

    Keeps the previous ``window`` validation losses, never cleared. Once the buffer is full, a
    loss strictly below all of them decays the rate to ``max(rate · factor, min_lr)``; then the
    loss is pushed and the oldest dropped. With ``readme_rule=True`` the decay happens instead
    when the loss is *not* below the buffer's minimum, as the original README describes (use
    ``window=6`` for its "previous 6").
    """

    needs_loss = True

    def __init__(self, factor: float, min_lr: float, window: int, readme_rule: bool = False):
        if not 0 < factor < 1 or window <= 0 or min_lr < 0:
            raise ValueError("NtutBufferRule needs 0 < factor < 1, window > 0 and min_lr >= 0")
        self.factor, self.min_lr, self.readme_rule = factor, min_lr, readme_rule
        self.buffer: deque[float] = deque(maxlen=window)

    def step(self, rate: np.float32, loss: float | None) -> np.float32:
        if len(self.buffer) == self.buffer.maxlen:
            new_low = loss < min(self.buffer)
            if new_low != self.readme_rule:
                rate = _decayed(rate, self.factor, self.min_lr)
        self.buffer.append(loss)
        return rate

    def get_state(self) -> dict[str, Any]:
        return {"buffer": list(self.buffer)}

    def set_state(self, state: dict[str, Any]) -> None:
        self.buffer.clear()
        self.buffer.extend(float(value) for value in state["buffer"])


_RULES = {"constant": ConstantRule, "plateau": PlateauRule, "ntut_buffer": NtutBufferRule}


class LearningRateSchedule(LearningRateLogger):
    """Applies a rule to each network's optimizer at every epoch end, then logs the rates.

    Each network's rule sees that network's own validation loss (``val_encoder_loss``, ...),
    so ``fit`` needs ``validation_data`` unless the rule is constant. The rate written to the
    logs is the one after the update, i.e. the one the next epoch trains with (as the original
    logged it).

    Args:
        rule: A rule (``ConstantRule``, ``PlateauRule``, ``NtutBufferRule`` or any object with
            ``step(rate, loss)``, ``get_state()``, ``set_state()``); each network gets a copy.

    Example:
        >>> schedule = learning_rate_schedule(4)
        >>> model.fit(train, validation_data=val, callbacks=[schedule])  # doctest: +SKIP
    """

    def __init__(self, rule: Any) -> None:
        super().__init__()
        self.rule = rule
        self.rules: dict[str, Any] = {}

    def set_model(self, model: keras.Model) -> None:
        super().set_model(model)
        for name in model.network_names:
            self.rules.setdefault(name, copy.deepcopy(self.rule))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = {} if logs is None else logs
        for name, rule in self.rules.items():
            loss = logs.get(f"val_{name}_loss")
            if loss is None and rule.needs_loss:
                raise ValueError(
                    f"The learning-rate schedule needs val_{name}_loss: pass validation_data "
                    "to fit"
                )
            optimizer = self.model.optimizer_of(name)
            rate = np.float32(current_rate(optimizer))
            new_rate = rule.step(rate, None if loss is None else float(loss))
            if new_rate != rate:
                optimizer.learning_rate.assign(float(new_rate))
        super().on_epoch_end(epoch, logs)

    def get_state(self) -> dict[str, dict[str, Any]]:
        """Every rule's state (buffers, counters, best values), JSON-serializable."""
        return {name: rule.get_state() for name, rule in self.rules.items()}

    def set_state(self, state: dict[str, dict[str, Any]]) -> None:
        """Restores ``get_state()``'s output, so a resumed run continues the same schedule."""
        for name, rule_state in state.items():
            self.rules.setdefault(name, copy.deepcopy(self.rule)).set_state(rule_state)


def learning_rate_schedule(number: int, **overrides: Any) -> LearningRateSchedule:
    """The NTUT face experiment's schedule ``number`` (1-4) as a callback.

    Args:
        number: 1 constant; 2 plateau ×0.85, min 1e-4, patience 10; 3 plateau ×0.75, min 5e-6,
            patience 6; 4 the original code's buffer rule ×0.6, min 5e-6, window 4.
        **overrides: Rule parameters to change, e.g. ``learning_rate_schedule(4,
            readme_rule=True, window=6)``.
    """
    try:
        kind, parameters = SCHEDULE_PRESETS[number]
    except KeyError:
        raise ValueError(f"Unknown schedule {number!r}; choose 1, 2, 3 or 4") from None
    return LearningRateSchedule(_RULES[kind](**{**parameters, **overrides}))

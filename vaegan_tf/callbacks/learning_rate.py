"""Learning rates per network, as seen by ``fit``'s logs."""

from __future__ import annotations

import keras

from vaegan_tf.vaegan import NETWORK_NAMES


class LearningRateLogger(keras.callbacks.Callback):
    """Adds each network's current learning rate to the epoch logs (and so to the history).

    Keys: ``encoder_learning_rate``, ``decoder_learning_rate``, ``discriminator_learning_rate``.
    Place it after any callback that changes learning rates and before ``CSVLogger``.
    """

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None:
            return
        for name in NETWORK_NAMES:
            optimizer = getattr(self.model, f"{name}_optimizer")
            logs[f"{name}_learning_rate"] = float(optimizer.learning_rate)

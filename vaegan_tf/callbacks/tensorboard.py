"""TensorBoard logs in the original's layout (spec 4.2)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import keras
import tensorflow as tf

from vaegan_tf.callbacks.learning_rate import current_rate
from vaegan_tf.callbacks.quality import CLASS_MATCH, QUALITY_KEYS
from vaegan_tf.callbacks.sample_grid import SampleGrid
from vaegan_tf.plotting import to_unit_range


class TensorBoardLogger(keras.callbacks.Callback):
    """Writes each network's loss and learning rate and the sampled images per epoch.

    Layout under ``log_dir`` (the original's, spec 4.2):

    - ``scalars/train`` and ``scalars/validation``: tags ``encoder loss``, ``decoder loss``,
      ``discriminator loss``, step = epoch (the epoch means ``fit`` reports);
    - ``scalars/learning_rate/{encoder,decoder,discriminator}``: tag ``learning rate``, the
      rate after any end-of-epoch update, i.e. the one the next epoch uses;
    - ``imgs``: tag ``random generation``, the grid images of ``samples`` at their epoch;
    - ``scalars/quality``: the sample-quality scores (``MnistQuality``) on epochs that have them.

    The original MNIST notebook wrote every batch's losses at step = epoch; this writes the
    epoch means for MNIST too.

    Args:
        log_dir: Root of the logs.
        samples: A ``SampleGrid`` in the same ``fit``, whose images are logged as well.

    Example:
        >>> model.fit(train, callbacks=[TensorBoardLogger("runs/mnist/logs")])  # doctest: +SKIP
    """

    def __init__(self, log_dir: str | os.PathLike, samples: SampleGrid | None = None) -> None:
        super().__init__()
        self.log_dir = Path(log_dir)
        self.samples = samples
        self._writers: dict[str, tf.summary.SummaryWriter] = {}
        self._logged_sample_epoch: int | None = None

    def _writer(self, name: str) -> tf.summary.SummaryWriter:
        if name not in self._writers:
            self._writers[name] = tf.summary.create_file_writer(str(self.log_dir / name))
        return self._writers[name]

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        for split, prefix in (("train", ""), ("validation", "val_")):
            values = {name: logs.get(f"{prefix}{name}_loss")
                      for name in self.model.network_names}
            if any(value is None for value in values.values()):
                continue
            with self._writer(f"scalars/{split}").as_default():
                for name, value in values.items():
                    tf.summary.scalar(f"{name} loss", float(value), step=epoch)
        quality = {key: logs[key] for key in (*QUALITY_KEYS, CLASS_MATCH)
                   if math.isfinite(logs.get(key, math.nan))}
        if quality:
            with self._writer("scalars/quality").as_default():
                for key, value in quality.items():
                    tf.summary.scalar(key, float(value), step=epoch)
        for name in self.model.network_names:
            with self._writer(f"scalars/learning_rate/{name}").as_default():
                tf.summary.scalar("learning rate",
                                  current_rate(self.model.optimizer_of(name)), step=epoch)
        self._log_new_samples()

    def on_train_end(self, logs: dict | None = None) -> None:
        # Catches the last grid when SampleGrid runs after this callback in the list.
        self._log_new_samples()
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    def _log_new_samples(self) -> None:
        samples = self.samples
        if samples is None or samples.last_epoch in (None, self._logged_sample_epoch):
            return
        images = to_unit_range(samples.last_images, self.model.data_range)
        with self._writer("imgs").as_default():
            tf.summary.image(
                "random generation", images, step=samples.last_epoch, max_outputs=len(images)
            )
        self._logged_sample_epoch = samples.last_epoch

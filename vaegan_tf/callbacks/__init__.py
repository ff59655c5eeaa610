"""Keras callbacks for VAE-GAN training: sample grids, GIFs, TensorBoard, learning rates."""

from vaegan_tf.callbacks.checkpoint import LatestCheckpoint, save_atomically
from vaegan_tf.callbacks.gif import GifRenderer, render_gif, select_gif_frames
from vaegan_tf.callbacks.guard import NonFiniteGuard, NonFiniteLossError
from vaegan_tf.callbacks.history_plots import HistoryPlots
from vaegan_tf.callbacks.interrupt import GracefulInterrupt
from vaegan_tf.callbacks.learning_rate import (
    ConstantRule,
    LearningRateLogger,
    LearningRateSchedule,
    NtutBufferRule,
    PlateauRule,
    learning_rate_schedule,
)
from vaegan_tf.callbacks.progress import EpochSummary
from vaegan_tf.callbacks.quality import QUALITY_KEYS, MnistQuality
from vaegan_tf.callbacks.sample_grid import SampleGrid
from vaegan_tf.callbacks.tensorboard import TensorBoardLogger

__all__ = [
    "QUALITY_KEYS",
    "ConstantRule",
    "EpochSummary",
    "GifRenderer",
    "GracefulInterrupt",
    "HistoryPlots",
    "LatestCheckpoint",
    "LearningRateLogger",
    "LearningRateSchedule",
    "MnistQuality",
    "NonFiniteGuard",
    "NonFiniteLossError",
    "NtutBufferRule",
    "PlateauRule",
    "SampleGrid",
    "TensorBoardLogger",
    "learning_rate_schedule",
    "render_gif",
    "save_atomically",
    "select_gif_frames",
]

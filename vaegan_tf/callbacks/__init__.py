"""Keras callbacks for VAE-GAN training: sample grids, GIFs, TensorBoard, learning rates,
checkpoints and the resume backup."""

from vaegan_tf.animation import render_gif, select_gif_frames
from vaegan_tf.callbacks.backup import (
    BackupError,
    RunBackup,
    check_fingerprint,
    check_seed_generators,
)
from vaegan_tf.callbacks.checkpoint import (
    BestCheckpoint,
    LatestCheckpoint,
    NetworkSnapshots,
    file_sha256,
    load_networks,
    save_atomically,
    save_networks,
    write_text_atomically,
)
from vaegan_tf.callbacks.gif import GifRenderer
from vaegan_tf.callbacks.guard import NonFiniteGuard, NonFiniteLossError
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
from vaegan_tf.callbacks.run_history import RunHistory
from vaegan_tf.callbacks.sample_grid import SampleGrid
from vaegan_tf.callbacks.tensorboard import TensorBoardLogger
from vaegan_tf.callbacks.traversal import CodeTraversal

__all__ = [
    "QUALITY_KEYS",
    "BackupError",
    "BestCheckpoint",
    "CodeTraversal",
    "ConstantRule",
    "EpochSummary",
    "GifRenderer",
    "GracefulInterrupt",
    "LatestCheckpoint",
    "LearningRateLogger",
    "LearningRateSchedule",
    "MnistQuality",
    "NetworkSnapshots",
    "NonFiniteGuard",
    "NonFiniteLossError",
    "NtutBufferRule",
    "PlateauRule",
    "RunBackup",
    "RunHistory",
    "SampleGrid",
    "TensorBoardLogger",
    "check_fingerprint",
    "check_seed_generators",
    "file_sha256",
    "learning_rate_schedule",
    "load_networks",
    "render_gif",
    "save_atomically",
    "save_networks",
    "select_gif_frames",
    "write_text_atomically",
]

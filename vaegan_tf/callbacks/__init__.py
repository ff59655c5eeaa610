"""Keras callbacks for VAE-GAN training: sample grids, GIFs, TensorBoard, learning rates."""

from vaegan_tf.callbacks.gif import GifRenderer, render_gif, select_gif_frames
from vaegan_tf.callbacks.learning_rate import LearningRateLogger
from vaegan_tf.callbacks.sample_grid import SampleGrid
from vaegan_tf.callbacks.tensorboard import TensorBoardLogger

__all__ = [
    "GifRenderer",
    "LearningRateLogger",
    "SampleGrid",
    "TensorBoardLogger",
    "render_gif",
    "select_gif_frames",
]

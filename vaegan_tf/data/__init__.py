"""Input pipelines: ``tf.data`` datasets in the value range a model preset expects."""

from vaegan_tf.data.mnist_loader import MnistArrays, load_mnist, locate_mnist, mnist, scale_images

__all__ = ["MnistArrays", "load_mnist", "locate_mnist", "mnist", "scale_images"]

"""Input pipelines: ``tf.data`` datasets in the value range a model preset expects."""

from vaegan_tf.data.face_images import (
    LFW_MINI,
    ImageSplit,
    attribute_rows,
    celeba_attributes,
    image_folder,
    lfw_mini,
    list_images,
    load_faces,
    prepare_image,
    split_image_folder,
)
from vaegan_tf.data.mnist_loader import (
    MNIST_SHAPE,
    MnistArrays,
    load_mnist,
    locate_mnist,
    mnist,
)
from vaegan_tf.data.pipeline import (
    EpochShuffle,
    scale_images,
    split_indices,
    validation_count,
    with_epoch_shuffle,
)

__all__ = [
    "LFW_MINI",
    "MNIST_SHAPE",
    "EpochShuffle",
    "ImageSplit",
    "MnistArrays",
    "attribute_rows",
    "celeba_attributes",
    "image_folder",
    "lfw_mini",
    "list_images",
    "load_faces",
    "load_mnist",
    "locate_mnist",
    "mnist",
    "prepare_image",
    "scale_images",
    "split_image_folder",
    "split_indices",
    "validation_count",
    "with_epoch_shuffle",
]

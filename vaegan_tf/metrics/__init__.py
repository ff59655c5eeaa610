"""Quality metrics for generated images: MNIST class statistics, IS, FID and KID."""

from vaegan_tf.metrics.classifier import (
    build_mnist_classifier,
    classifier_record,
    mnist_classifier,
)

__all__ = ["build_mnist_classifier", "classifier_record", "mnist_classifier"]

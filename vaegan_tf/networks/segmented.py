"""Calling one network on several batches as if once per batch, with each Dense layer called once.

The VAE-GAN calls its discriminator on three batches (real, reconstructed, prior) and its
decoder on two, each call with its own batch-norm statistics. Called separately, each call's
backward pass forms its own gradient of every kernel, and TensorFlow holds them all until it
sums them: for the face discriminator's 25 104 × 1 024 kernel three 103 MB tensors at once, the
step's peak memory (README "Faces"). A Dense layer treats each row alone, so it can be called
once on all batches' rows: the same outputs, one forward product and one kernel-gradient
product over all rows (``layers.Dense.call_parts``; each batch's input gradient stays its own
product, computed only in the backward passes that need it). Every other layer (batch norm,
minibatch discrimination and dropout, which see the batch, and the convolutions, which ran no
faster on concatenated batches) is still called once per batch, in the batches' order, so
moving averages and random draws follow the same sequence as separate calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from vaegan_tf import private_api
from vaegan_tf.layers import Dense


class _Batches:
    """One functional-graph tensor's values, one per batch (a leaf to Keras' ``tree``)."""

    __slots__ = ("values",)

    def __init__(self, values: Sequence[Any]) -> None:
        self.values = list(values)


def _batch(structure: Any, index: int) -> Any:
    return keras.tree.map_structure(
        lambda value: value.values[index] if isinstance(value, _Batches) else value, structure)


def _call_layer(layer: Any, training: bool | None, args: tuple, kwargs: dict) -> _Batches:
    if isinstance(layer, Dense):
        (inputs,) = args
        return _Batches(layer.call_parts(inputs.values))
    call = private_api.layer_call(layer, training)
    count = next(len(value.values) for value in keras.tree.flatten((args, kwargs))
                 if isinstance(value, _Batches))
    outputs = [call(*_batch(args, index), **_batch(kwargs, index)) for index in range(count)]
    return keras.tree.map_structure(lambda *values: _Batches(values), *outputs)


def call_per_batch(network: keras.Model, batches: Sequence[Any],
                   training: bool | None = None) -> list[Any]:
    """``[network(batch, training=training) for batch in batches]``, Dense layers called once.

    For a single-input Keras functional model with vaegan_tf's ``Dense`` layers (the fast
    paths on), each Dense layer is called once on all batches' rows (equal outputs to float32
    round-off, one kernel-gradient product); every other layer once per batch, in order. Any
    other model is simply called once per batch.

    Args:
        network: The network.
        batches: The batches, each a valid input of ``network``.
        training: Passed to every layer that takes it, as ``network(...)`` would.

    Returns:
        The network's outputs for each batch, in order.

    Example:
        >>> discriminator = build_discriminator(get_preset("mnist"))
        >>> real, fake = call_per_batch(discriminator, [images, fakes], training=True)
    """
    if (not private_api.is_functional(network) or len(network.inputs) != 1
            or len(batches) < 2 or not any(isinstance(layer, Dense) for layer in network.layers)):
        return [network(batch, training=training) for batch in batches]
    outputs = private_api.run_through_graph(
        network, [_Batches(batches)],
        lambda layer, *args, **kwargs: _call_layer(layer, training, args, kwargs))
    return [_batch(outputs, index) for index in range(len(batches))]

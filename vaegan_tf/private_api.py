"""Every private Keras and TensorFlow name vaegan_tf uses, in one place.

None of these is public API: an upgrade may rename, move or change any of them.
``tests/test_private_api.py`` checks each one's presence and the behaviour relied on here, so
such an upgrade fails that test by name instead of making a fast path silently slower or wrong.
``requirements.txt`` pins the versions they were checked with.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import keras
import tensorflow as tf
from keras.src.models.functional import Functional, operation_fn
from keras.src.saving import saving_lib
from tensorflow.python.ops import control_flow_util


def compiling_with_xla() -> bool:
    """Whether the function being traced is compiled with XLA (``jit_compile=True``), read as
    ``tf.function`` marks it: an XLA control-flow context on the graph or a parent graph."""
    return (not tf.executing_eagerly()
            and control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph()))


def is_functional(model: Any) -> bool:
    """Whether ``model`` is a Keras functional model (a graph of layers)."""
    return isinstance(model, Functional)


def run_through_graph(network: keras.Model, inputs: list[Any],
                      call: Callable[..., Any]) -> Any:
    """Walks ``network``'s functional graph from ``inputs``, calling
    ``call(layer, *args, **kwargs)`` for each layer with the values of its inputs
    (``Functional._run_through_graph``)."""
    return network._run_through_graph(inputs, operation_fn=lambda layer: layer, call_fn=call)


def layer_call(layer: keras.layers.Layer, training: bool | None) -> Callable[..., Any]:
    """``layer``'s call as ``Functional.call`` makes it: ``training`` overrides what the
    graph's node recorded when the network was built (``functional.operation_fn``)."""
    return operation_fn(layer, training=training)


def nested_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Every layer of ``model``, nested models' layers included (``Layer._flatten_layers``)."""
    return list(model._flatten_layers())


def adam_slots(optimizer: keras.optimizers.Adam,
               variable: keras.Variable) -> tuple[keras.Variable, keras.Variable]:
    """Adam's first and second moment of ``variable`` (``_momentums``, ``_velocities``)."""
    index = optimizer._get_variable_index(variable)
    return optimizer._momentums[index], optimizer._velocities[index]


def set_initial_epoch(model: keras.Model, epoch: int) -> None:
    """Makes the next ``fit`` start at ``epoch`` whatever its ``initial_epoch`` argument, as
    Keras' ``BackupAndRestore`` does (``Trainer._initial_epoch``)."""
    model._initial_epoch = epoch


@contextlib.contextmanager
def streamed_weights() -> Iterator[None]:
    """Makes Keras write a ``.keras`` file's weights through a temporary file beside it
    instead of building them in memory, which it does when it judges memory plentiful
    (``saving_lib.is_memory_sufficient``): measured on the face model (1.0 GiB file), the
    in-memory way lifted the process's peak memory by 1.18 GiB, the streamed one by 0.22 GiB,
    for 1.1 s more per save."""
    original = saving_lib.is_memory_sufficient
    saving_lib.is_memory_sufficient = lambda model: False
    try:
        yield
    finally:
        saving_lib.is_memory_sufficient = original


def reduces_logs_across_workers() -> bool:
    """Whether Keras' ``fit`` will reduce a train step's logs with
    ``strategy.reduce("MEAN", value, axis=0)`` (keras-team/keras#20585): under a
    ``MultiWorkerMirroredStrategy`` that spans several workers (Keras'
    ``_collective_all_reduce_multi_worker``), where scalar logs fail ("Invalid reduction
    dimension 0 for input with 0 dimensions") and logs of shape (1,) reduce to the mean; and
    only while Keras' ``reduce_per_replica`` still has that line, so a Keras that changes it
    turns the workaround off."""
    from keras.src.backend.tensorflow import trainer

    return tf.distribute.has_strategy() and keras_reduces_worker_logs_along_axis_0() and bool(
        trainer._collective_all_reduce_multi_worker(tf.distribute.get_strategy()))


@functools.cache
def keras_reduces_worker_logs_along_axis_0() -> bool:
    """Whether Keras' ``reduce_per_replica`` reduces several workers' logs with
    ``strategy.reduce("MEAN", v, axis=0)``, read from its source (the line of
    keras-team/keras#20585)."""
    from keras.src.backend.tensorflow import trainer

    return 'strategy.reduce("MEAN", v, axis=0)' in inspect.getsource(trainer.reduce_per_replica)

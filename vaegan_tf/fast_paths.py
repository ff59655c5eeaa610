"""The one switch for vaegan_tf's fast paths: what a network runs, never what it is saved as.

The fast paths are Keras' own layers and optimizer computed another way, with the same
weights, configs and values (to float32 round-off): ``layers.Dense`` (an Einsum input
gradient; ``call_parts``, through which ``networks.call_per_batch`` calls a network on
several batches with each Dense layer once), ``layers.Conv2D`` and ``layers.Conv2DTranspose``
(sub-pixel transposed convolutions into images), ``layers.BatchNormalization`` (TensorFlow's
fused kernel) and ``optimizers.FusedAdam`` (TensorFlow's Adam kernel). Each earned its place
in a paired step (``docs/performance.md``).

The switch (``auto``, ``on``, ``off``) is read when a model is built or loaded: from
``set_fast_paths`` if called, else the environment variable ``VAEGAN_TF_FAST_PATHS``, else
``auto``. ``auto`` turns the fast paths on where they were measured to help: on a machine
without GPUs (they were measured with oneDNN on CPUs only; steps compiled with XLA take
Keras' paths inside the layers, per call). ``off`` builds stock Keras layers and Keras' Adam.

Whatever the switch, every file holds stock Keras classes: ``portable`` gives a network
``keras.saving.load_model`` loads in a process that never imported vaegan_tf, and the models'
configs name Keras' classes (``portable_config``); loading converts them back to the fast
classes where the switch is on (``for_this_process``). Two layers are genuinely custom and need
``import vaegan_tf`` to load: ``MinibatchDiscrimination`` (the face discriminator) and
``ConditionChannels`` (a conditional GAN's discriminator).

Example:
    >>> from vaegan_tf import fast_paths
    >>> fast_paths.set_fast_paths("off")      # or VAEGAN_TF_FAST_PATHS=off, --fast-paths off
    >>> model = vaegan_tf.build_vaegan("mnist")  # stock Keras layers, Keras' Adam
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import keras

# Keras and TensorFlow load on first use: the command line checks --fast-paths without them.
MODES = ("auto", "on", "off")
ENVIRONMENT_VARIABLE = "VAEGAN_TF_FAST_PATHS"

_mode: str | None = None


@functools.cache
def _stock_of() -> dict[type, type]:
    """vaegan_tf class → the Keras class it computes (same config and weights)."""
    import keras

    from vaegan_tf import layers, optimizers

    return {layers.Dense: keras.layers.Dense, layers.Conv2D: keras.layers.Conv2D,
            layers.Conv2DTranspose: keras.layers.Conv2DTranspose,
            layers.BatchNormalization: keras.layers.BatchNormalization,
            optimizers.FusedAdam: keras.optimizers.Adam}


@functools.cache
def _retired() -> dict[str, type]:
    """Registered names of fast classes that are gone, read as their Keras class (files
    written before: a LeakyReLU whose gradient was read from its outputs)."""
    import keras

    return {"vaegan_tf>LeakyReLU": keras.layers.LeakyReLU}


def _checked(mode: str, source: str) -> str:
    if mode not in MODES:
        raise ValueError(f"{source} must be one of {', '.join(MODES)}, got {mode!r}")
    return mode


def set_fast_paths(mode: str | None) -> None:
    """Sets the switch for this process (``auto``, ``on`` or ``off``); None goes back to the
    environment variable, or ``auto``. Models built or loaded afterwards follow it."""
    global _mode
    _mode = None if mode is None else _checked(mode, "the fast-paths mode")


def fast_paths_mode() -> str:
    """The switch as set: ``set_fast_paths``'s mode, else ``$VAEGAN_TF_FAST_PATHS``, else
    ``auto``.

    Raises:
        ValueError: the environment variable holds something else than a mode.
    """
    if _mode is not None:
        return _mode
    return _checked(os.environ.get(ENVIRONMENT_VARIABLE, "auto") or "auto",
                    f"${ENVIRONMENT_VARIABLE}")


def fast_paths_enabled(mode: str | None = None) -> bool:
    """Whether ``mode`` (the switch by default) turns the fast paths on: ``auto`` does on a
    machine without GPUs."""
    mode = fast_paths_mode() if mode is None else _checked(mode, "the fast-paths mode")
    if mode == "auto":
        import tensorflow as tf

        return not tf.config.list_logical_devices("GPU")
    return mode == "on"


class LayerTypes(NamedTuple):
    """The layer classes a network builder uses."""

    Dense: type[keras.layers.Dense]
    Conv2D: type[keras.layers.Conv2D]
    Conv2DTranspose: type[keras.layers.Conv2DTranspose]
    BatchNormalization: type[keras.layers.BatchNormalization]


def layer_types(enabled: bool | None = None) -> LayerTypes:
    """vaegan_tf's layers where the fast paths are ``enabled`` (the switch by default),
    Keras' otherwise.

    Example:
        >>> Dense = layer_types().Dense
        >>> hidden = Dense(64)(inputs)
    """
    from vaegan_tf import layers

    enabled = fast_paths_enabled() if enabled is None else enabled
    fast = LayerTypes(layers.Dense, layers.Conv2D, layers.Conv2DTranspose,
                      layers.BatchNormalization)
    return fast if enabled else LayerTypes(*(_stock_of()[kind] for kind in fast))


def adam(learning_rate: Any, enabled: bool | None = None, **kwargs: Any
         ) -> keras.optimizers.Adam:
    """``keras.optimizers.Adam(learning_rate, **kwargs)``, as ``FusedAdam`` where the fast
    paths are ``enabled`` (the switch by default)."""
    import keras

    from vaegan_tf.optimizers import FusedAdam

    enabled = fast_paths_enabled() if enabled is None else enabled
    return (FusedAdam if enabled else keras.optimizers.Adam)(learning_rate, **kwargs)


def _identity(kind: type) -> dict[str, str | None]:
    """How ``serialize_keras_object`` names an object of class ``kind``."""
    import keras

    if kind.__module__.startswith("keras"):
        module = "keras.layers" if issubclass(kind, keras.layers.Layer) else "keras.optimizers"
        return {"module": module, "class_name": kind.__name__, "registered_name": None}
    return {"module": kind.__module__, "class_name": kind.__name__,
            "registered_name": keras.saving.get_registered_name(kind)}


def _key(serialized: dict[str, Any]) -> str | None:
    """The registered name of a serialised object, or ``module.class`` for Keras' own."""
    if "class_name" not in serialized or "config" not in serialized:
        return None
    return (serialized.get("registered_name")
            or f"{serialized.get('module')}.{serialized['class_name']}")


def _retarget(serialized: Any, table: dict[str, type]) -> Any:
    """``serialized`` (a ``serialize_keras_object`` result) with every object whose ``_key``
    is in ``table`` named as that class instead (same config)."""
    if isinstance(serialized, list):
        return [_retarget(item, table) for item in serialized]
    if not isinstance(serialized, dict):
        return serialized
    converted = {key: _retarget(value, table) for key, value in serialized.items()}
    kind = table.get(_key(serialized))
    if kind is not None:
        converted.update(_identity(kind))
    return converted


def _name(kind: type) -> str:
    return _key({**_identity(kind), "config": None})


def portable_config(serialized: Any) -> Any:
    """A serialised network, model or optimizer naming Keras' classes instead of the fast
    ones (``FusedAdam`` as ``Adam``, ...): what vaegan_tf writes into every file."""
    table = {_name(fast): stock for fast, stock in _stock_of().items()}
    return _retarget(serialized, {**table, **_retired()})


def for_this_process(serialized: Any, enabled: bool | None = None) -> Any:
    """A serialised network, model or optimizer (as written by vaegan_tf or plain Keras)
    naming the classes the switch builds here: the fast ones where it is on, Keras' where it
    is off."""
    enabled = fast_paths_enabled() if enabled is None else enabled
    stock = portable_config(serialized)
    if not enabled:
        return stock
    return _retarget(stock, {_name(stock_kind): fast
                             for fast, stock_kind in _stock_of().items()})


def portable(network: keras.Model) -> keras.Model:
    """A copy of ``network`` made of Keras' classes, with its weights: what a network file
    holds. A network without fast layers is returned as it is."""
    import keras

    serialized = keras.saving.serialize_keras_object(network)
    stock = portable_config(serialized)
    if stock == serialized:
        return network
    copy = keras.saving.deserialize_keras_object(stock)
    copy.set_weights(network.get_weights())
    return copy

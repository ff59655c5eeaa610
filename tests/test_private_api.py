"""Every private Keras/TensorFlow name in ``vaegan_tf.private_api`` still exists and still does
what vaegan_tf relies on. A failure here names the API an upgrade changed."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from vaegan_tf import private_api


def test_compiling_with_xla_tells_xla_traces_from_others():
    seen = {}

    def probe(label):
        seen[label] = private_api.compiling_with_xla()
        return tf.constant(0.0)

    probe("eager")
    tf.function(lambda: probe("graph"))()
    tf.function(lambda: probe("xla"), jit_compile=True)()
    assert seen == {"eager": False, "graph": False, "xla": True}


def small_network():
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4, name="hidden")(inputs)
    return keras.Model(inputs, keras.layers.Dropout(0.5, seed=1)(hidden))


def test_is_functional():
    assert private_api.is_functional(small_network())
    assert not private_api.is_functional(keras.Sequential([keras.layers.Dense(2)]))


def test_run_through_graph_visits_each_layer_with_its_inputs_values():
    network = small_network()
    x = np.ones((2, 3), "float32")
    visited = []

    def call(layer, *args, **kwargs):
        visited.append(layer.name)
        return private_api.layer_call(layer, False)(*args, **kwargs)

    outputs = private_api.run_through_graph(network, [x], call)
    assert visited == ["hidden", network.layers[-1].name]
    np.testing.assert_allclose(np.asarray(outputs), np.asarray(network(x, training=False)))


def test_layer_call_passes_training_over_what_the_graph_recorded():
    dropout = small_network().layers[-1]
    x = np.ones((4, 100), "float32")
    np.testing.assert_array_equal(np.asarray(private_api.layer_call(dropout, False)(x)), x)
    assert float(np.min(np.asarray(private_api.layer_call(dropout, True)(x)))) == 0.0


def test_nested_layers_reach_into_nested_models():
    inner = small_network()
    inputs = keras.Input((3,))
    outer = keras.Model(inputs, keras.layers.BatchNormalization(name="norm")(inner(inputs)))
    names = {layer.name for layer in private_api.nested_layers(outer)}
    assert {"hidden", "norm", inner.name} <= names


def test_adam_slots_are_the_variables_adam_updates():
    variables = [keras.Variable(np.ones((3, 2), "float32")), keras.Variable(np.ones(2, "float32"))]
    optimizer = keras.optimizers.Adam(0.1)
    optimizer.build(variables)
    optimizer.apply_gradients(zip([np.ones((3, 2), "float32"), np.ones(2, "float32")],
                                  variables, strict=True))
    for variable in variables:
        momentum, velocity = private_api.adam_slots(optimizer, variable)
        assert momentum.shape == velocity.shape == variable.shape
        # after one step with gradient 1: m = (1 - β1) · 1, v = (1 - β2) · 1
        np.testing.assert_allclose(np.asarray(momentum), 0.1, rtol=1e-6)
        np.testing.assert_allclose(np.asarray(velocity), 0.001, rtol=1e-5)


def test_set_initial_epoch_makes_fit_start_there():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(loss="mse")
    private_api.set_initial_epoch(model, 2)
    history = model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=3, verbose=0)
    assert history.epoch == [2]


def test_streamed_weights_is_the_switch_keras_saving_consults(tmp_path, monkeypatch):
    from keras.src.saving import saving_lib

    asked = []
    original = saving_lib.is_memory_sufficient
    monkeypatch.setattr(saving_lib, "is_memory_sufficient",
                        lambda model: asked.append(model) or original(model))
    model = small_network()
    model.save(tmp_path / "plain.keras")
    assert asked, "Keras' saving no longer asks is_memory_sufficient"
    with private_api.streamed_weights():
        assert saving_lib.is_memory_sufficient(model) is False
        model.save(tmp_path / "streamed.keras")
    assert saving_lib.is_memory_sufficient is not None
    loaded = keras.models.load_model(tmp_path / "streamed.keras")
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(np.asarray(loaded(x, training=False)),
                                  np.asarray(model(x, training=False)))


def test_reduces_logs_across_workers_only_under_several_workers():
    """False without a strategy and under a one-machine MirroredStrategy (Keras reduces those
    logs by stacking the replicas'); Keras' check is the one read. The two-worker case (True)
    is tests/test_multi_worker.py's: without the workaround this drives, ``fit`` fails there
    with keras-team/keras#20585."""
    from keras.src.backend.tensorflow import trainer

    assert private_api.reduces_logs_across_workers() is False
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        assert private_api.reduces_logs_across_workers() is False
    assert trainer._collective_all_reduce_multi_worker(strategy) is False
    # the pinned Keras still has the line of the bug: the workaround is on where it applies
    assert private_api.keras_reduces_worker_logs_along_axis_0() is True


@pytest.mark.parametrize("several_workers", [False, True])
def test_logs_have_one_axis_exactly_where_keras_reduces_along_it(monkeypatch,
                                                                  several_workers):
    """Both ways of the keras-team/keras#20585 workaround: scalar logs normally, shape (1,)
    where Keras reduces several workers' logs along axis 0 (and so turned off by a Keras that
    no longer does)."""
    from vaegan_tf.models import build_model, optimizers_for
    from vaegan_tf.presets import get_preset

    monkeypatch.setattr(private_api, "reduces_logs_across_workers", lambda: several_workers)
    preset = get_preset("dcgan-mnist", latent_dim=4, dense_units=8, generator_filters=4,
                        discriminator_filters=4)
    model = build_model(preset, seed=0)
    model.compile(**optimizers_for(model, preset))
    logs = model.train_step(np.zeros((4, 28, 28, 1), "float32"))
    assert {tuple(value.shape) for value in logs.values()} == {(1,) if several_workers else ()}


def test_every_private_api_function_is_called_by_a_test_here():
    """A new entry in private_api needs its own test in this file."""
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    functions = [name for name, value in vars(private_api).items()
                 if callable(value) and getattr(value, "__module__", "") == private_api.__name__]
    assert len(functions) == 10
    assert [name for name in functions if f"private_api.{name}(" not in source] == []

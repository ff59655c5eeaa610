"""vaegan_tf.layers.Dense: Keras' forward, gradients against a NumPy reference, the
backward pass built the intended way, second-order gradients (WGAN-GP) and saving."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from vaegan_tf.layers import Dense


def built(units=5, inputs=7, activation=None, use_bias=True, seed=0):
    layer = Dense(units, activation=activation, use_bias=use_bias)
    layer.build((None, inputs))
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    return layer


def keras_twin(layer):
    twin = keras.layers.Dense.from_config(layer.get_config())
    twin.build((None, layer.kernel.shape[0]))
    twin.set_weights(layer.get_weights())
    return twin


@pytest.mark.parametrize("use_bias", [True, False])
def test_gradients_match_a_numpy_reference(use_bias):
    layer = built(use_bias=use_bias)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 7)).astype("float32")
    upstream = rng.normal(size=(4, 5)).astype("float32")
    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = layer(inputs)
        loss = tf.reduce_sum(outputs * upstream)
    gradients = tape.gradient(loss, [inputs, *layer.trainable_variables])
    kernel = layer.kernel.numpy().astype("float64")
    expected_outputs = x @ kernel + (layer.bias.numpy() if use_bias else 0)
    np.testing.assert_allclose(np.asarray(outputs), expected_outputs, rtol=1e-5, atol=1e-5)
    expected = [upstream @ kernel.T, x.T @ upstream] + ([upstream.sum(0)] if use_bias else [])
    assert len(gradients) == len(expected)
    for gradient, reference in zip(gradients, expected, strict=True):
        np.testing.assert_allclose(np.asarray(gradient), reference, rtol=1e-5, atol=1e-5)


def test_same_outputs_and_gradients_as_keras_dense_with_an_activation():
    layer = built(activation="sigmoid")
    twin = keras_twin(layer)
    x = tf.constant(np.random.default_rng(2).normal(size=(3, 7)).astype("float32"))
    results = []
    for candidate in (layer, twin):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(candidate(x) ** 2)
        results.append([loss, *tape.gradient(loss, [x, *candidate.trainable_variables])])
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-5, atol=1e-6)


def test_second_order_gradients_match_keras_dense():
    """The gradient penalty differentiates the input gradient with respect to the weights."""
    layer = built(activation="tanh")
    twin = keras_twin(layer)
    x = tf.constant(np.random.default_rng(3).normal(size=(3, 7)).astype("float32"))
    results = []
    for candidate in (layer, twin):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                score = tf.reduce_sum(candidate(x))
            penalty = tf.reduce_sum(inner.gradient(score, x) ** 2)
        results.append(outer.gradient(penalty, candidate.trainable_variables))
    for ours, theirs in zip(*results, strict=True):
        assert float(tf.reduce_max(tf.abs(theirs))) > 1e-3
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-5, atol=1e-6)


def test_the_input_gradient_is_an_einsum_not_a_transposed_matmul():
    """The point of the layer: no MatMul takes the kernel with transpose_b (TensorFlow's own
    gradient does, which oneDNN runs at half speed); the input gradient is an Einsum."""
    layer = built(units=6, inputs=9)

    @tf.function
    def input_gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x))
        return tape.gradient(loss, x)

    graph = input_gradient.get_concrete_function(tf.TensorSpec((None, 9))).graph
    assert not [op for op in graph.get_operations()
                if op.type == "MatMul" and op.get_attr("transpose_b")]
    (einsum,) = [op for op in graph.get_operations() if op.type == "Einsum"]
    assert einsum.get_attr("equation") == b"bo,io->bi"
    assert einsum.inputs[1].shape.as_list() == [9, 6]


def test_other_ranks_take_keras_path():
    layer = Dense(3)
    outputs = layer(np.ones((2, 4, 5), "float32"))
    assert outputs.shape == (2, 4, 3)


def test_saved_and_loaded_as_itself(tmp_path):
    inputs = keras.Input((7,))
    model = keras.Model(inputs, Dense(4, activation="relu", name="wide")(inputs))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.get_layer("wide")) is Dense
    x = np.random.default_rng(4).normal(size=(5, 7)).astype("float32")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)

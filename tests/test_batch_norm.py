"""vaegan_tf.layers.BatchNormalization: Keras' layer in every observable (outputs, gradients,
moving averages, saving) with its training pass on TensorFlow's fused kernel."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from vaegan_tf.layers import BatchNormalization


def built_pair(shape, **kwargs):
    """Ours and Keras' layer with the same random weights and moving statistics."""
    ours = BatchNormalization(**kwargs)
    theirs = keras.layers.BatchNormalization(**kwargs)
    rng = np.random.default_rng(0)
    for layer in (ours, theirs):
        layer.build(shape)
    weights = [rng.uniform(0.5, 2.0, size=w.shape).astype("float32") for w in ours.get_weights()]
    for layer in (ours, theirs):
        layer.set_weights(weights)
    return ours, theirs


def trained(layer, x, upstream, jit_compile=False):
    """Two training passes (the moving averages move twice) and the second one's gradients."""

    @tf.function(jit_compile=jit_compile)
    def step(x):
        layer(x * 0.5, training=True)
        with tf.GradientTape() as tape:
            tape.watch(x)
            outputs = layer(x, training=True)
            loss = tf.reduce_sum(outputs * upstream)
        return [outputs, *tape.gradient(loss, [x, *layer.trainable_variables])]

    results = step(tf.constant(x))
    return [np.asarray(r) for r in results] + [layer.moving_mean.numpy(),
                                               layer.moving_variance.numpy()]


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("shape", [(16, 3, 3, 4), (10, 6), (1, 5)])
def test_training_matches_keras_and_a_numpy_reference(shape, jit_compile):
    rng = np.random.default_rng(1)
    x = (rng.normal(size=shape) * 3 + 1).astype("float32")
    upstream = rng.normal(size=shape).astype("float32")
    ours, theirs = built_pair(shape, momentum=0.9, epsilon=1e-2)
    start_mean, start_variance = ours.moving_mean.numpy(), ours.moving_variance.numpy()
    results = [trained(layer, x, upstream, jit_compile) for layer in (ours, theirs)]
    for mine, keras_value in zip(*results, strict=True):
        np.testing.assert_allclose(mine, keras_value, rtol=2e-5, atol=2e-5)

    axes = tuple(range(len(shape) - 1))
    x64 = x.astype("float64")
    expected_mean, expected_variance = start_mean.astype("float64"), start_variance
    for batch in (x64 * 0.5, x64):  # Keras averages the biased variance
        expected_mean = expected_mean * 0.9 + batch.mean(axes) * 0.1
        expected_variance = expected_variance * 0.9 + batch.var(axes) * 0.1
    gamma, beta = ours.gamma.numpy(), ours.beta.numpy()
    normalized = (x64 - x64.mean(axes)) / np.sqrt(x64.var(axes) + 1e-2)
    np.testing.assert_allclose(results[0][0], normalized * gamma + beta, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(results[0][-2], expected_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][-1], expected_variance, rtol=1e-5, atol=1e-6)
    if shape[0] > 1:  # a batch of one normalises to beta: no input gradient
        assert np.abs(results[0][1]).max() > 1e-2


def test_without_center_and_scale():
    shape = (8, 5)
    ours, theirs = built_pair(shape, center=False, scale=False)
    assert not ours.trainable_variables
    x = np.random.default_rng(2).normal(size=shape).astype("float32")
    outputs = [np.asarray(layer(x, training=True)) for layer in (ours, theirs)]
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-5, atol=1e-5)


def test_second_order_gradients_match_keras():
    """A gradient penalty through Dense → batch norm → tanh, differentiated by the weights."""
    rng = np.random.default_rng(3)
    x = tf.constant(rng.normal(size=(6, 3)).astype("float32"))
    weights = [rng.normal(size=(3, 4)).astype("float32"), np.zeros(4, "float32")]
    results = []
    for normalization in (BatchNormalization(), keras.layers.BatchNormalization()):
        dense = keras.layers.Dense(4)
        model = keras.Sequential([keras.Input((3,)), dense, normalization,
                                  keras.layers.Activation("tanh")])
        dense.set_weights(weights)
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                score = tf.reduce_sum(model(x, training=True) * tf.range(1.0, 5.0))
            penalty = tf.reduce_sum(inner.gradient(score, x) ** 2)
        results.append(outer.gradient(penalty, [dense.kernel, *normalization.trainable_variables]))
    for ours, theirs in zip(*results, strict=True):
        assert float(tf.reduce_max(tf.abs(theirs))) > 1e-3
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-4, atol=1e-5)


def op_types(layer, shape, training, jit_compile=False):
    @tf.function(jit_compile=jit_compile)
    def call(x):
        return layer(x, training=training)

    return {op.type for op in call.get_concrete_function(tf.TensorSpec(shape)).graph
            .get_operations()}


def test_the_training_pass_is_the_fused_kernel():
    ours, theirs = built_pair((None, 4, 4, 3))
    assert "FusedBatchNormV3" in op_types(ours, (None, 4, 4, 3), training=True)
    assert "Mean" not in op_types(ours, (None, 4, 4, 3), training=True)
    assert "FusedBatchNormV3" not in op_types(theirs, (None, 4, 4, 3), training=True)


def test_steps_compiled_with_xla_take_keras_path():
    """XLA fuses Keras' ops itself; its version of the fused kernel halved the face step."""
    ours, _ = built_pair((None, 4, 4, 3))
    types = op_types(ours, (None, 4, 4, 3), training=True, jit_compile=True)
    assert "FusedBatchNormV3" not in types and "Mean" in types


def test_inference_and_synchronized_statistics_take_keras_path():
    shape = (4, 3)
    ours, theirs = built_pair(shape)
    x = np.random.default_rng(4).normal(size=shape).astype("float32")
    mean, variance = ours.moving_mean.numpy(), ours.moving_variance.numpy()
    expected = (x - mean) / np.sqrt(variance + 1e-3) * ours.gamma.numpy() + ours.beta.numpy()
    np.testing.assert_allclose(np.asarray(ours(x, training=False)), expected, rtol=1e-5)
    assert "FusedBatchNormV3" not in op_types(ours, (None, 3), training=False)
    ours.synchronized = True  # what AdversarialModel sets under a strategy
    assert "FusedBatchNormV3" not in op_types(ours, (None, 3), training=True)
    np.testing.assert_allclose(np.asarray(ours(x, training=True)),
                               np.asarray(theirs(x, training=True)), rtol=1e-5, atol=1e-5)


def test_mixed_precision_computes_statistics_in_float32():
    shape = (8, 2, 2, 3)
    ours = BatchNormalization(dtype="mixed_float16")
    theirs = keras.layers.BatchNormalization(dtype="mixed_float16")
    x = (np.random.default_rng(5).normal(size=shape) * 200).astype("float16")
    outputs = [layer(x, training=True) for layer in (ours, theirs)]
    assert outputs[0].dtype == tf.float16 and ours.moving_mean.dtype == "float32"
    np.testing.assert_allclose(np.asarray(outputs[0], "float32"),
                               np.asarray(outputs[1], "float32"), atol=2e-3)
    np.testing.assert_allclose(ours.moving_variance.numpy(), theirs.moving_variance.numpy(),
                               rtol=1e-5)


def test_saved_and_loaded_as_itself(tmp_path):
    inputs = keras.Input((5,))
    model = keras.Model(inputs, BatchNormalization(name="norm")(inputs))
    model(np.random.default_rng(6).normal(size=(9, 5)).astype("float32"), training=True)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.get_layer("norm")) is BatchNormalization
    for saved, restored in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, restored)

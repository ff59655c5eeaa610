"""MinibatchDiscrimination (spec 2.3) against a NumPy reference, for any batch size."""

import keras
import numpy as np
import pytest

from vaegan_tf.layers import MinibatchDiscrimination


def numpy_reference(x, theta, log_scale, bias):
    weights = theta / np.sqrt((theta**2).sum(axis=0, keepdims=True)) * np.exp(log_scale)
    projected = np.einsum("bf,fkd->bkd", x, weights)
    batch = len(x)
    similarity = np.zeros((batch, theta.shape[1]))
    for i in range(batch):
        for j in range(batch):
            if i != j:
                similarity[i] += np.exp(-np.abs(projected[i] - projected[j]).sum(axis=-1))
    return np.concatenate([x, similarity + bias], axis=1)


def built_layer(features=7, kernels=4, dims=3):
    layer = MinibatchDiscrimination(kernels, dims)
    layer.build((None, features))
    rng = np.random.default_rng(0)
    layer.theta.assign(rng.normal(size=(features, kernels, dims)).astype("float32"))
    layer.log_weight_scale.assign(rng.normal(scale=0.3, size=(kernels, dims)).astype("float32"))
    layer.bias.assign(rng.normal(size=kernels).astype("float32"))
    return layer


@pytest.mark.parametrize("batch", [1, 2, 5])
def test_matches_numpy_reference(batch):
    layer = built_layer()
    x = np.random.default_rng(batch).normal(scale=0.2, size=(batch, 7)).astype("float32")
    expected = numpy_reference(x.astype("float64"), *(v.numpy().astype("float64") for v in
                                                      (layer.theta, layer.log_weight_scale,
                                                       layer.bias)))
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_under_a_mixed_policy_the_similarities_are_float32(precision):
    """The projection runs in 16 bits, the norms and similarities in float32 (in 16 bits the
    layer failed: a float32 identity added to 16-bit distances)."""
    reference = built_layer()
    x = np.random.default_rng(3).normal(scale=0.2, size=(5, 7)).astype("float32")
    keras.mixed_precision.set_global_policy(precision)
    try:
        layer = MinibatchDiscrimination(4, 3)
        layer.build((None, 7))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    layer.set_weights(reference.get_weights())
    out = layer(x)
    assert keras.backend.standardize_dtype(out.dtype) == precision.removeprefix("mixed_")
    assert {keras.backend.standardize_dtype(w.dtype) for w in layer.weights} == {"float32"}
    expected = np.asarray(reference(x))
    # the similarities carry only the projection's 16-bit round-off (8 bits of mantissa
    # for bfloat16: about 0.4 %) and one final rounding
    np.testing.assert_allclose(np.asarray(out, "float32")[:, 7:], expected[:, 7:], rtol=3e-2)


def test_a_batch_of_one_sees_no_other_sample():
    layer = built_layer()
    out = np.asarray(layer(np.ones((1, 7), "float32")))
    np.testing.assert_allclose(out[0, 7:], layer.bias.numpy())


def test_default_initialisation_and_the_original_width():
    layer = MinibatchDiscrimination()
    out = layer(np.zeros((3, 25088), "float32"))
    assert out.shape == (3, 25104)
    assert layer.theta.shape == (25088, 16, 5)
    np.testing.assert_allclose(layer.bias.numpy(), -1.0)
    # identical samples: each sees the other two at distance 0 → 2 + bias
    np.testing.assert_allclose(np.asarray(out)[:, 25088:], 1.0)


def test_dynamic_batch_in_a_saved_functional_model(tmp_path):
    inputs = keras.Input((7,))
    model = keras.Model(inputs, MinibatchDiscrimination(4, 3)(inputs))
    assert model.output_shape == (None, 11)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    for batch in (1, 3, 64):  # including a short last batch
        x = np.random.default_rng(batch).normal(size=(batch, 7)).astype("float32")
        np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)
    assert loaded.layers[1].get_config()["num_kernels"] == 4


def test_gradients_reach_the_layer_and_the_input():
    import tensorflow as tf

    layer = built_layer()
    x = tf.constant(np.random.default_rng(0).normal(size=(4, 7)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x)[:, 7:])
    gradients = tape.gradient(loss, [x, *layer.trainable_variables])
    assert all(float(tf.reduce_sum(tf.abs(g))) > 0 for g in gradients)


def test_graph_mode_with_an_unknown_batch_dimension():
    import tensorflow as tf

    layer = built_layer()
    traced = tf.function(layer, input_signature=[tf.TensorSpec((None, 7), tf.float32)])
    x = np.random.default_rng(3).normal(scale=0.2, size=(5, 7)).astype("float32")
    # float32 round-off of graph vs eager (similarities of ~0.9 minus a bias of 1 amplify it)
    np.testing.assert_allclose(np.asarray(traced(x)), np.asarray(layer(x)), rtol=1e-6, atol=1e-6)
    assert traced(x[:1]).shape == (1, 11)

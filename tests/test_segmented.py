"""call_per_batch: a network on several batches equals one call per batch, with one product per
Dense layer (the face model's peak memory: README "Faces")."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from vaegan_tf.layers import Dense
from vaegan_tf.networks import build_decoder, build_discriminator, call_per_batch
from vaegan_tf.presets import get_preset

# Toy widths; the face preset's minibatch discrimination and dropout are what is under test.
TOY_FACES = get_preset("faces").replace(
    conv_filters=(8, 16), dense_units=32, latent_dim=8, decoder_base_shape=(15, 15, 8),
    decoder_filters=8)
NETWORKS = {
    "discriminator": (build_discriminator, TOY_FACES.image_shape, 3),
    "decoder": (build_decoder, (TOY_FACES.latent_dim,), 2),
}


def _twins(build):
    """Two copies of a network with equal weights and equal dropout seeds."""
    keras.utils.set_random_seed(0)
    separate = build(TOY_FACES)
    keras.utils.set_random_seed(0)
    joint = build(TOY_FACES)
    joint.set_weights(separate.get_weights())
    return separate, joint


def _loss(outputs):
    # A different weight per batch, so that each batch's gradient counts apart.
    return sum((index + 1.0) * tf.reduce_sum(tf.nest.flatten(output)[0] ** 2)
               for index, output in enumerate(outputs))


@pytest.mark.parametrize("name", NETWORKS)
def test_equals_one_call_per_batch(name):
    build, shape, count = NETWORKS[name]
    separate, joint = _twins(build)
    initial = [weight.copy() for weight in separate.get_weights()]
    rng = np.random.default_rng(1)
    batches = [tf.constant(rng.normal(size=(6, *shape)).astype("float32"))
               for _ in range(count)]
    with tf.GradientTape() as separate_tape:
        expected = [separate(batch, training=True) for batch in batches]
        expected_loss = _loss(expected)
    with tf.GradientTape() as joint_tape:
        got = call_per_batch(joint, batches, training=True)
        got_loss = _loss(got)

    for want, have in zip(tf.nest.flatten(expected), tf.nest.flatten(got), strict=True):
        np.testing.assert_allclose(have.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    wanted = [gradient.numpy() for gradient in
              separate_tape.gradient(expected_loss, separate.trainable_variables)]
    largest = max(np.abs(gradient).max() for gradient in wanted)
    # Biases before batch norm get gradients of round-off size: tolerance from the largest.
    for want, have in zip(wanted, joint_tape.gradient(got_loss, joint.trainable_variables),
                          strict=True):
        np.testing.assert_allclose(have.numpy(), want, rtol=1e-4, atol=1e-6 * largest)
    # The moving averages took the same three (two) updates in the same order.
    updated = 0
    for before, want, have in zip(initial, separate.get_weights(), joint.get_weights(),
                                  strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-6, atol=1e-7)
        updated += not np.array_equal(want, before)
    assert updated == 2 * sum(isinstance(layer, keras.layers.BatchNormalization)
                              for layer in separate.layers)


@pytest.mark.parametrize("name", NETWORKS)
def test_one_product_per_dense_layer(name):
    build, shape, count = NETWORKS[name]
    network = build(TOY_FACES)
    batches = [tf.zeros((4, *shape)) for _ in range(count)]
    dense_layers = sum(isinstance(layer, keras.layers.Dense) for layer in network.layers)

    def products(call) -> int:
        graph = tf.function(call).get_concrete_function().graph
        return sum(op.type == "MatMul" for op in graph.get_operations())

    # (Minibatch discrimination's projection, a MatMul too, stays one per batch.)
    separate = products(lambda: [network(batch, training=True) for batch in batches])
    joint = products(lambda: call_per_batch(network, batches, training=True))
    assert separate - joint == (count - 1) * dense_layers > 0


def test_inference_mode_and_other_models():
    separate, joint = _twins(build_discriminator)
    batches = [tf.random.stateless_normal((5, *TOY_FACES.image_shape), seed=(index, 0))
               for index in range(3)]
    for want, have in zip(tf.nest.flatten([separate(batch) for batch in batches]),
                          tf.nest.flatten(call_per_batch(joint, batches)), strict=True):
        np.testing.assert_allclose(have.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)

    class Doubler(keras.Model):  # not functional: called once per batch
        def call(self, inputs):
            return 2.0 * inputs

    doubled = call_per_batch(Doubler(), [tf.ones((2, 3)), tf.zeros((1, 3))])
    assert [output.numpy().tolist() for output in doubled] == [[[2.0] * 3] * 2, [[0.0] * 3]]


def test_each_batch_gets_its_own_input_gradient_product():
    """A loss that only one batch reaches gets that batch's input gradient from a product of
    its own rows (the others' are left for the graph to prune), and the right kernel gradient."""
    layer = Dense(4)
    layer.build((None, 3))
    rng = np.random.default_rng(2)
    first, second = (tf.constant(rng.normal(size=(rows, 3)).astype("float32")) for rows in (2, 5))

    @tf.function
    def gradients():
        with tf.GradientTape() as tape:
            tape.watch(first)
            outputs = layer.call_parts([first, second])
            loss = tf.reduce_sum(outputs[0] ** 2)
        return tape.gradient(loss, [first, layer.kernel])

    kernel, bias = (np.asarray(weight, "float64") for weight in (layer.kernel, layer.bias))
    upstream = 2.0 * (first.numpy() @ kernel + bias)
    input_gradient, kernel_gradient = gradients()
    np.testing.assert_allclose(input_gradient, upstream @ kernel.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(kernel_gradient, first.numpy().T @ upstream, rtol=1e-5, atol=1e-6)
    graph = gradients.get_concrete_function().graph
    products = [op.outputs[0].shape.as_list() for op in graph.get_operations()
                if op.type == "Einsum"]
    assert [2, 3] in products and [7, 3] not in products


def test_a_network_of_keras_layers_is_called_once_per_batch():
    """Without vaegan_tf's Dense (the fast paths off) nothing is joined: plain calls."""
    inputs = keras.Input((3,))
    hidden = keras.layers.BatchNormalization()(keras.layers.Dense(4)(inputs))
    network = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    batches = [tf.random.stateless_normal((rows, 3), seed=(rows, 1)) for rows in (3, 5)]
    joint = tf.function(lambda: call_per_batch(network, batches, training=False))
    expected = [network(batch, training=False) for batch in batches]
    for want, have in zip(expected, joint(), strict=True):
        np.testing.assert_allclose(have.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    graph = joint.get_concrete_function().graph
    assert sum(op.type == "MatMul" for op in graph.get_operations()) == 4

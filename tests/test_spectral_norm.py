"""Spectral normalization in the GAN discriminators (``spectral_norm``, the SNGAN presets)
against a NumPy power iteration, and where it sits."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_model_contract import toy_preset

from vaegan_tf.layers import SpectralNormalization
from vaegan_tf.networks.gan import build_gan_discriminator


def power_iteration(matrix: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, float]:
    """One power iteration (Miyato et al. 2018, Algorithm 1) on the kernel as a matrix of
    (inputs, outputs): the new u and the spectral-norm estimate σ = v W uᵀ."""
    v = u @ matrix.T
    v /= np.linalg.norm(v)
    u = v @ matrix
    u /= np.linalg.norm(u)
    return u, (v @ matrix @ u.T).item()


def test_a_dense_layer_computes_with_the_kernel_over_its_power_iteration_sigma():
    layer = SpectralNormalization(keras.layers.Dense(5, bias_initializer="glorot_uniform"))
    inputs = np.random.default_rng(0).normal(size=(3, 7)).astype("float32")
    layer.build((None, 7))
    kernel, bias = layer.layer.kernel.numpy(), layer.layer.bias.numpy()
    u = layer.vector_u.numpy().astype("float64")
    for _ in range(3):
        outputs = layer(inputs, training=True).numpy()
        u, sigma = power_iteration(kernel.astype("float64"), u)
        np.testing.assert_allclose(layer.vector_u.numpy(), u, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(outputs, inputs @ (kernel / sigma) + bias, rtol=1e-5,
                                   atol=1e-5)
    np.testing.assert_array_equal(layer.layer.kernel.numpy(), kernel)  # the optimizer's alone
    # inference: σ from the stored u, which stays
    v = u @ kernel.T
    v /= np.linalg.norm(v)
    sigma = (v @ kernel @ u.T).item()
    np.testing.assert_allclose(layer(inputs, training=False).numpy(),
                               inputs @ (kernel / sigma) + bias, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.vector_u.numpy(), u, rtol=1e-5, atol=1e-6)


def test_the_gradient_runs_through_sigma_with_u_and_v_held():
    """d/dW of sum(x W / σ), σ = v W uᵀ with this call's u and v held constant:
    xᵀ1 / σ − sum(x W) / σ² · vᵀu (the paper's gradient; Keras' layer drops the second
    term)."""
    layer = SpectralNormalization(keras.layers.Dense(4, use_bias=False))
    x = np.random.default_rng(1).normal(size=(2, 6))
    layer.build((None, 6))
    matrix = layer.layer.kernel.numpy().astype("float64")
    u_before = layer.vector_u.numpy().astype("float64")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(tf.constant(x, "float32"), training=True))
    gradient = tape.gradient(loss, layer.layer.kernel.value).numpy()
    v = u_before @ matrix.T
    v /= np.linalg.norm(v)
    u, sigma = power_iteration(matrix, u_before)
    expected = x.T @ np.ones((2, 4)) / sigma - float(np.sum(x @ matrix)) / sigma**2 * (v.T @ u)
    np.testing.assert_allclose(gradient, expected, rtol=1e-4, atol=1e-6)


def test_sngan_discriminators_normalize_every_score_layer_and_have_no_batch_norm():
    discriminator = build_gan_discriminator(toy_preset("sngan-mnist"))
    wrapped = [layer for layer in discriminator.layers
               if isinstance(layer, SpectralNormalization)]
    assert [type(layer.layer).__name__ for layer in wrapped] == [
        "Conv2D", "Conv2D", "Dense", "Dense"]
    assert not any(isinstance(layer, keras.layers.BatchNormalization)
                   for layer in discriminator.layers)
    assert not any(isinstance(layer, SpectralNormalization)
                   for layer in build_gan_discriminator(toy_preset("dcgan-mnist")).layers)


def test_a_layer_with_an_activation_is_refused():
    with pytest.raises(ValueError, match="needs a linear layer"):
        SpectralNormalization(keras.layers.Dense(3, activation="relu")).build((None, 2))

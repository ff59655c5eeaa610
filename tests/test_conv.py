"""vaegan_tf.layers.Conv2D and Conv2DTranspose: outputs and gradients against a NumPy
convolution, Keras' layers as twins (second-order gradients too), which ops the sub-pixel
path replaces, mixed precision and saving."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from vaegan_tf.layers import SUBPIXEL_MAX_CHANNELS, Conv2D, Conv2DTranspose


def padding_before(size, kernel, stride, padding):
    if padding == "valid":
        return 0
    outputs = -(-size // stride)
    return max((outputs - 1) * stride + kernel - size, 0) // 2


def output_size(size, kernel, stride, padding):
    return (size - kernel) // stride + 1 if padding == "valid" else -(-size // stride)


def windows(size, kernel, stride, padding):
    """The zeros padded before the input, the margin that covers every window with zeros
    after it, and for each kernel offset the padded-input rows it reads per output row."""
    start = padding_before(size, kernel, stride, padding)
    count = output_size(size, kernel, stride, padding)
    return start, kernel + stride * count, [np.arange(count) * stride + offset
                                            for offset in range(kernel)]


def patches(x, kernel, stride, padding):
    """``patches[a][b]``: the (batch, out, out, channels) inputs kernel tap (a, b) reads."""
    start, margin, rows = windows(x.shape[1], kernel, stride, padding)
    padded = np.pad(x, [(0, 0), (start, margin), (start, margin), (0, 0)])
    return [[padded[:, rows[a]][:, :, rows[b]] for b in range(kernel)] for a in range(kernel)]


def conv(x, w, stride, padding):
    """NHWC convolution, kernel (h, w, in, out), TensorFlow's padding, in float64."""
    taps = patches(x, w.shape[0], stride, padding)
    return sum(np.einsum("nijc,co->nijo", taps[a][b], w[a, b])
               for a in range(w.shape[0]) for b in range(w.shape[0]))


def conv_input_gradient(upstream, w, size, stride, padding):
    """The gradient of ``Σ conv(x, w) · upstream`` with respect to x of ``size`` × ``size``:
    the transposed convolution (``tf.nn.conv2d_transpose``)."""
    kernel = w.shape[0]
    start, margin, rows = windows(size, kernel, stride, padding)
    padded = np.zeros((upstream.shape[0], start + size + margin, start + size + margin,
                       w.shape[2]))
    for a in range(kernel):
        for b in range(kernel):
            padded[:, rows[a][:, None], rows[b][None, :]] += np.einsum(
                "nijo,co->nijc", upstream, w[a, b])
    return padded[:, start:start + size, start:start + size]


def conv_kernel_gradient(x, upstream, kernel, stride, padding):
    taps = patches(x, kernel, stride, padding)
    return np.stack([np.stack([np.einsum("nijc,nijo->co", taps[a][b], upstream)
                               for b in range(kernel)]) for a in range(kernel)])


def outputs_and_gradients(layer, x, upstream):
    with tf.GradientTape() as tape:
        inputs = tf.constant(x, tf.float32)
        tape.watch(inputs)
        outputs = layer(inputs)
        loss = tf.reduce_sum(outputs * upstream)
    return [outputs, *tape.gradient(loss, [inputs, layer.kernel, layer.bias])]


GEOMETRIES = [(28, 4, 2, "valid"), (13, 3, 2, "valid"), (14, 4, 2, "same"), (11, 5, 3, "same"),
              (16, 5, 3, "valid")]


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize(("size", "kernel", "stride", "padding"), GEOMETRIES)
def test_conv2d_matches_a_numpy_convolution(size, kernel, stride, padding, channels):
    layer = Conv2D(6, kernel, strides=stride, padding=padding)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, size, size, channels)).astype("float32")
    layer.build(x.shape)
    layer.bias.assign(rng.normal(size=6))
    w = layer.kernel.numpy().astype("float64")
    expected = conv(x, w, stride, padding) + layer.bias.numpy()
    upstream = rng.normal(size=expected.shape).astype("float32")
    outputs, x_gradient, kernel_gradient, bias_gradient = outputs_and_gradients(layer, x, upstream)
    np.testing.assert_allclose(np.asarray(outputs), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(x_gradient),
                               conv_input_gradient(upstream, w, size, stride, padding),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(kernel_gradient),
                               conv_kernel_gradient(x, upstream, kernel, stride, padding),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(bias_gradient), upstream.sum((0, 1, 2)), rtol=1e-5)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize(("size", "kernel", "stride", "padding"), GEOMETRIES)
def test_conv2d_transpose_matches_a_numpy_transposed_convolution(size, kernel, stride, padding,
                                                                 channels):
    # the transposed layer maps the convolution's output size back to ``size``
    inputs = output_size(size, kernel, stride, padding)
    layer = Conv2DTranspose(channels, kernel, strides=stride, padding=padding)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, inputs, inputs, 5)).astype("float32")
    layer.build(x.shape)
    layer.bias.assign(rng.normal(size=channels))
    w = layer.kernel.numpy().astype("float64")  # (h, w, out, in): the convolution's (in, out)
    produced = layer.compute_output_shape(x.shape)[1]
    expected = conv_input_gradient(x, w, produced, stride, padding) + layer.bias.numpy()
    upstream = rng.normal(size=expected.shape).astype("float32")
    outputs, x_gradient, kernel_gradient, bias_gradient = outputs_and_gradients(layer, x, upstream)
    np.testing.assert_allclose(np.asarray(outputs), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(x_gradient), conv(upstream, w, stride, padding),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(kernel_gradient),
                               conv_kernel_gradient(upstream, x, kernel, stride, padding),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(bias_gradient), upstream.sum((0, 1, 2)), rtol=1e-5)


def traced_ops(layer, shape, xla=False):
    @tf.function(jit_compile=xla)
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x) ** 2)
        return tape.gradient(loss, x)

    layer.build(shape)
    graph = run.get_concrete_function(tf.TensorSpec(shape)).graph
    return {op.type for op in graph.get_operations()}


def test_the_image_side_products_are_stride_1_convolutions():
    """What the layers are for: no oneDNN transposed-convolution kernel (Conv2DBackpropInput)
    producing an image, forward (the decoder's last layer) or backward (D's input gradient)."""
    into_image = traced_ops(Conv2DTranspose(1, 4, strides=2), (None, 13, 13, 64))
    from_image = traced_ops(Conv2D(64, 4, strides=2), (None, 28, 28, 1))
    for types in (into_image, from_image):
        assert "DepthToSpace" in types
        assert "Conv2DBackpropInput" not in types
    assert "Conv2D" in into_image  # its own input gradient: the strided convolution
    wide = traced_ops(Conv2DTranspose(SUBPIXEL_MAX_CHANNELS + 1, 4, strides=2), (None, 13, 13, 8))
    assert "Conv2DBackpropInput" in wide and "DepthToSpace" not in wide
    # XLA compiles its own transposed convolutions, faster there than the sub-pixel form
    for layer, shape in ((Conv2DTranspose(1, 4, strides=2), (None, 13, 13, 64)),
                         (Conv2D(64, 4, strides=2), (None, 28, 28, 1))):
        types = traced_ops(layer, shape, xla=True)
        assert "Conv2DBackpropInput" in types and "DepthToSpace" not in types


def keras_twin(layer, keras_class, shape):
    twin = keras_class.from_config(layer.get_config())
    twin.build(shape)
    twin.set_weights(layer.get_weights())
    return twin


@pytest.mark.parametrize(("ours", "theirs", "shape", "config"), [
    (Conv2D, keras.layers.Conv2D, (3, 12, 12, 1), {"strides": 2, "padding": "same"}),
    (Conv2DTranspose, keras.layers.Conv2DTranspose, (3, 6, 6, 4),
     {"strides": 2, "padding": "same"}),
])
def test_second_order_gradients_match_keras(ours, theirs, shape, config):
    """WGAN-GP's penalty differentiates D's input gradient with respect to the weights."""
    filters = 4 if ours is Conv2D else 1
    layer = ours(filters, 4, activation="tanh", **config)
    layer.build(shape)
    twin = keras_twin(layer, theirs, shape)
    x = tf.constant(np.random.default_rng(2).normal(size=shape).astype("float32"))
    results = []
    for candidate in (layer, twin):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                score = tf.reduce_sum(candidate(x) ** 2)
            penalty = tf.reduce_sum(inner.gradient(score, x) ** 2)
        results.append(outer.gradient(penalty, candidate.trainable_variables))
    for ours_gradient, theirs_gradient in zip(*results, strict=True):
        assert float(tf.reduce_max(tf.abs(theirs_gradient))) > 1e-3
        np.testing.assert_allclose(np.asarray(ours_gradient), np.asarray(theirs_gradient),
                                   rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("layer", "shape"), [
    (Conv2DTranspose(2, 3, strides=2, output_padding=1), (2, 5, 5, 3)),
    (Conv2DTranspose(2, 3, strides=(2, 1)), (2, 5, 5, 3)),
    (Conv2D(2, 3, strides=2, dilation_rate=1, padding="same"), (2, 9, 9, 8)),
    (Conv2D(2, 3, strides=1), (2, 9, 9, 1)),
])
def test_other_geometries_take_keras_path_with_keras_results(layer, shape):
    keras_class = keras.layers.Conv2D if isinstance(layer, Conv2D) else keras.layers.Conv2DTranspose
    layer.build(shape)
    twin = keras_twin(layer, keras_class, shape)
    x = np.random.default_rng(3).normal(size=shape).astype("float32")
    np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(twin(x)), rtol=1e-6, atol=1e-6)


def test_mixed_bfloat16_computes_in_bfloat16_close_to_float32():
    x = np.random.default_rng(4).normal(size=(2, 13, 13, 8)).astype("float32")
    layer = Conv2DTranspose(1, 4, strides=2, dtype="mixed_bfloat16")
    outputs = layer(x)
    assert outputs.dtype == tf.bfloat16
    twin = keras.layers.Conv2DTranspose.from_config({**layer.get_config(), "dtype": "float32"})
    twin.build(x.shape)
    twin.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.asarray(tf.cast(outputs, tf.float32)), np.asarray(twin(x)),
                               rtol=0.05, atol=0.05)


def test_saved_and_loaded_as_themselves(tmp_path):
    inputs = keras.Input((28, 28, 1))
    hidden = Conv2D(4, 4, strides=2, name="down")(inputs)
    model = keras.Model(inputs, Conv2DTranspose(1, 4, strides=2, name="up")(hidden))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.get_layer("down")) is Conv2D
    assert type(loaded.get_layer("up")) is Conv2DTranspose
    x = np.random.default_rng(5).normal(size=(2, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)


# Every geometry the layers accept, against Keras' own layers: non-square kernels, height ≠
# width, exactly SUBPIXEL_MAX_CHANNELS channels, odd sizes, strides 2 and 3, both paddings,
# and past the threshold (Keras' path).
TWIN_CASES = [
    (Conv2D, 6, (3, 5), 2, "valid", (2, 9, 11, 1)),
    (Conv2D, 5, (5, 3), 2, "same", (2, 10, 7, 4)),
    (Conv2D, 4, (4, 4), 3, "same", (2, 11, 13, 3)),
    (Conv2D, 3, (1, 3), 2, "valid", (2, 7, 7, 2)),
    (Conv2D, 3, (3, 4), 2, "same", (2, 8, 9, 5)),
    (Conv2DTranspose, 1, (3, 5), 2, "valid", (2, 5, 6, 3)),
    (Conv2DTranspose, 4, (5, 3), 2, "same", (2, 4, 7, 2)),
    (Conv2DTranspose, 3, (4, 2), 3, "same", (2, 3, 5, 4)),
    (Conv2DTranspose, 2, (3, 3), 2, "valid", (2, 5, 5, 3)),
    (Conv2DTranspose, 5, (4, 3), 2, "same", (2, 4, 5, 3)),
]


def twin_of(kind, filters, kernel, stride, padding, shape, dtype=None):
    layer = kind(filters, kernel, strides=stride, padding=padding, activation="tanh",
                 bias_initializer="random_normal", **({} if dtype is None else {"dtype": dtype}))
    layer.build(shape)
    keras_class = keras.layers.Conv2D if kind is Conv2D else keras.layers.Conv2DTranspose
    twin = keras_class.from_config({**layer.get_config(), "dtype": "float32"})
    twin.build(shape)
    twin.set_weights(layer.get_weights())
    return layer, twin


def first_and_second_order(layer, x):
    """Outputs; gradients of Σ out² by input, kernel and bias; and the gradients by the
    weights of a WGAN-GP-style penalty on the input gradient."""
    with tf.GradientTape() as outer:
        with tf.GradientTape(persistent=True) as inner:
            inner.watch(x)
            outputs = layer(x)
            score = tf.reduce_sum(tf.cast(outputs, tf.float32) ** 2)
        first = inner.gradient(score, [x, *layer.trainable_variables])
        penalty = tf.reduce_sum(tf.cast(first[0], tf.float32) ** 2)
    return [outputs, *first, *outer.gradient(penalty, layer.trainable_variables)]


@pytest.mark.parametrize(("kind", "filters", "kernel", "stride", "padding", "shape"), TWIN_CASES)
def test_every_geometry_matches_keras_forward_first_and_second_order(kind, filters, kernel,
                                                                     stride, padding, shape):
    layer, twin = twin_of(kind, filters, kernel, stride, padding, shape)
    x = tf.constant(np.random.default_rng(6).normal(size=shape).astype("float32"))
    ours, theirs = first_and_second_order(layer, x), first_and_second_order(twin, x)
    for index, (mine, keras_value) in enumerate(zip(ours, theirs, strict=True)):
        assert mine.shape == keras_value.shape, index
        np.testing.assert_allclose(np.asarray(mine), np.asarray(keras_value), rtol=2e-4,
                                   atol=2e-5, err_msg=f"value {index}")
    assert float(tf.reduce_max(tf.abs(theirs[-2]))) > 1e-3  # the penalty reaches the kernel
    image_side = (shape[-1] if kind is Conv2D else filters) <= SUBPIXEL_MAX_CHANNELS
    graph = tf.function(first_and_second_order).get_concrete_function(
        layer, tf.TensorSpec((None, *shape[1:]))).graph
    assert ("DepthToSpace" in {op.type for op in graph.get_operations()}) == image_side


@pytest.mark.parametrize("dtype", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("case", [TWIN_CASES[1], TWIN_CASES[6]], ids=["conv", "transpose"])
def test_16_bit_policies_stay_within_their_rounding_of_keras_float32(dtype, case):
    """16-bit outputs and input gradients against Keras' float32 layer: within 3 % of the
    largest value (bfloat16 keeps 8 significant bits, ~0.4 % per rounding; a sum of up to 60
    products rounds a few times)."""
    layer, twin = twin_of(*case, dtype=dtype)
    x = tf.constant(np.random.default_rng(7).normal(size=case[-1]).astype("float32"))
    for mine, keras_value in zip(first_and_second_order(layer, x)[:2],
                                 first_and_second_order(twin, x)[:2], strict=True):
        reference = np.asarray(keras_value)
        np.testing.assert_allclose(np.asarray(tf.cast(mine, tf.float32)), reference,
                                   atol=0.03 * np.abs(reference).max())
    assert layer(x).dtype == dtype.removeprefix("mixed_")


@pytest.mark.parametrize("case", [TWIN_CASES[1], TWIN_CASES[6]], ids=["conv", "transpose"])
def test_dynamic_height_and_width_take_keras_path(case):
    """Unknown height and width at trace time: Keras' path, with Keras' results."""
    layer, twin = twin_of(*case)
    shape = case[-1]

    @tf.function(input_signature=[tf.TensorSpec((None, None, None, shape[-1]))])
    def traced(x):
        return first_and_second_order(layer, x)

    x = tf.constant(np.random.default_rng(8).normal(size=shape).astype("float32"))
    for mine, keras_value in zip(traced(x), first_and_second_order(twin, x), strict=True):
        np.testing.assert_allclose(np.asarray(mine), np.asarray(keras_value), rtol=2e-4,
                                   atol=2e-5)
    graph = traced.get_concrete_function().graph
    assert "DepthToSpace" not in {op.type for op in graph.get_operations()}

"""Custom layers: serializable, any batch size.

``MinibatchDiscrimination`` and ``ConditionChannels`` are layers of their own. ``Dense``,
``Conv2D``, ``Conv2DTranspose`` and ``BatchNormalization`` are Keras' layers computed another way
with TensorFlow (same values as Keras' to float32 round-off, less time or memory): the fast
paths, which networks use where ``fast_paths`` says so and files never name
(``fast_paths.portable``)."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf
from keras import ops

from vaegan_tf.private_api import compiling_with_xla

SELF_DISTANCE = 1e6  # added to each sample's distance to itself: exp(-1e6) is exactly 0


def _input_gradient(upstream: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
    """``upstream · kernelᵀ`` as an Einsum.

    TensorFlow's own gradient is a MatMul with ``transpose_b``, which oneDNN runs through its
    sgemm interface reading the kernel transposed: for the face discriminator's 25 104 ×
    1 024 kernel at batch 64 that product took 26.4 ms. As ``einsum("bo,io->bi")`` it runs
    as oneDNN's matmul primitive, which takes the stored kernel as a transposed operand
    without a copy: 10.0 ms (12.8 ms for ``(kernel · upstreamᵀ)ᵀ``, this function's former
    form; ``benchmarks/dense_gradient.py``).
    """
    return tf.einsum("bo,io->bi", upstream, kernel)


def split_rows(joined: tf.Tensor, parts: list[Any]) -> list[tf.Tensor]:
    """Splits ``joined`` (the parts' rows concatenated, or a row-wise function of them) back
    into pieces of the parts' row counts."""
    return tf.split(joined, [part.shape[0] or tf.shape(part)[0] for part in parts])


def _affine(parts: list[tf.Tensor], kernel: tf.Tensor,
            bias: tf.Tensor | None = None) -> list[tf.Tensor]:
    """``part · kernel (+ bias)`` for each part, as one product over all parts' rows.

    Forward: one product (the kernel read once). Backward: one kernel gradient over all rows,
    and each part's input gradient its own product (``_input_gradient``), so a backward pass
    that needs some parts' input gradients only (the others' outputs do not reach its loss)
    computes only those: the graph prunes the rest, as it prunes the kernel gradient nobody
    asks for.
    """
    count = len(parts)

    def joined(tensors: tuple[tf.Tensor, ...]) -> tf.Tensor:
        return tensors[0] if count == 1 else tf.concat(tensors, axis=0)

    @tf.custom_gradient
    def affine(*tensors: tf.Tensor) -> tuple[list[tf.Tensor], Any]:
        inputs, weights = joined(tensors[:count]), tensors[count]
        outputs = tf.matmul(inputs, weights)
        if bias is not None:
            outputs = tf.nn.bias_add(outputs, tensors[count + 1])

        def gradient(*upstreams: tf.Tensor) -> list[tf.Tensor]:
            upstream = joined(upstreams)
            gradients = [_input_gradient(part, weights) for part in upstreams]
            gradients.append(tf.matmul(inputs, upstream, transpose_a=True))
            if bias is not None:
                gradients.append(tf.reduce_sum(upstream, axis=0))
            return gradients

        return [outputs] if count == 1 else split_rows(outputs, tensors[:count]), gradient

    return affine(*parts, kernel, *(() if bias is None else (bias,)))


@keras.saving.register_keras_serializable(package="vaegan_tf")
class MinibatchDiscrimination(keras.layers.Layer):
    """Minibatch discrimination (Salimans et al. 2016), the original's ``MinibatchLayer``.

    Lets the discriminator see how similar a sample is to the rest of its batch, which
    counters mode collapse (spec 2.3, following OpenAI improved-gan's layer):

    1. ``W = θ / ‖θ‖ · exp(log_weight_scale)``, θ of shape (features, kernels, kernel_dim),
       each (kernel, dim) column normalised over the feature axis;
    2. ``M = x · W`` → (batch, kernels, kernel_dim);
    3. ``o_ik = Σ_{j≠i} exp(−Σ_d |M_ikd − M_jkd|) + b_k`` (the sample itself is excluded);
    4. output ``concat(x, o)``: ``features + kernels`` values.

    Output depends on the whole batch; with a batch of one, ``o = b``.

    Args:
        num_kernels: Number of similarity kernels (appended features); 16 in the original.
        kernel_dim: Dimension of each kernel's projection; 5 (improved-gan's default, [U]).

    Example:
        >>> MinibatchDiscrimination(16, 5)(keras.ops.ones((8, 25088))).shape
        (8, 25104)
    """

    def __init__(self, num_kernels: int = 16, kernel_dim: int = 5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if num_kernels <= 0 or kernel_dim <= 0:
            raise ValueError("num_kernels and kernel_dim must be positive")
        self.num_kernels = num_kernels
        self.kernel_dim = kernel_dim

    def build(self, input_shape: tuple) -> None:
        features = input_shape[-1]
        # float32 under a mixed policy too (autocast off): the column norms sum 25 088
        # squares and the similarities are exponentials of distances, both too coarse in
        # 16 bits; only the projection's product runs in the compute dtype
        self.theta = self.add_weight(
            shape=(features, self.num_kernels, self.kernel_dim), name="theta",
            initializer=keras.initializers.RandomNormal(stddev=0.05), autocast=False,
        )
        self.log_weight_scale = self.add_weight(
            shape=(self.num_kernels, self.kernel_dim), name="log_weight_scale",
            initializer="zeros", autocast=False,
        )
        self.bias = self.add_weight(
            shape=(self.num_kernels,), name="bias", initializer=keras.initializers.Constant(-1.0),
            autocast=False,
        )

    def call(self, inputs: Any) -> Any:
        # x · (θ / ‖θ‖ · exp(s)) computed as (x · θ) / ‖θ‖ · exp(s): the same sums, with the
        # scaling applied to the product's kernels × kernel_dim columns instead of building
        # a weight-sized W (2 M values for faces) in every call and keeping it for backward
        column_scales = ops.exp(self.log_weight_scale) / ops.sqrt(
            ops.sum(ops.square(self.theta), axis=0))
        features = ops.shape(self.theta)[0]
        product = ops.matmul(inputs, ops.cast(ops.reshape(self.theta, (features, -1)),
                                              inputs.dtype))
        projected = ops.reshape(ops.cast(product, "float32"),
                                (-1, self.num_kernels, self.kernel_dim)) * column_scales
        # (batch_i, batch_j, kernels): L1 distance between samples i and j per kernel
        distances = ops.sum(
            ops.abs(ops.expand_dims(projected, 1) - ops.expand_dims(projected, 0)), axis=-1
        )
        batch_size = ops.shape(inputs)[0]
        distances = distances + SELF_DISTANCE * ops.expand_dims(ops.eye(batch_size), -1)
        similarity = ops.sum(ops.exp(-distances), axis=1) + self.bias
        return ops.concatenate([inputs, ops.cast(similarity, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], input_shape[-1] + self.num_kernels)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_kernels": self.num_kernels,
                "kernel_dim": self.kernel_dim}


@keras.saving.register_keras_serializable(package="vaegan_tf")
class SpectralNormalization(keras.layers.SpectralNormalization):
    """A linear layer (``Conv2D``, ``Dense``: no activation) computing with W / σ(W), as
    Miyato et al. 2018 (SNGAN) define it: σ is the power-iteration estimate of the kernel's
    largest singular value (its vector u, one iteration per training call, as in Keras'
    layer, which this extends: same arguments and weights).

    Keras' own layer instead writes W / σ back into the kernel on every training call: the
    gradient then misses σ's dependence on W, and a generator step, which calls the
    discriminator in training mode, changes the discriminator's weights. Here the kernel is
    the optimizer's alone and the output is ``(layer(x) − b) / σ + b``, which for a linear
    layer is the layer with W / σ, with the gradient through σ (u and v held constant, as in
    the paper).

    Example:
        >>> layer = SpectralNormalization(keras.layers.Dense(3))
        >>> layer(np.ones((2, 4)), training=True).shape
        TensorShape([2, 3])
    """

    def build(self, input_shape: tuple) -> None:
        super().build(input_shape)
        if getattr(self.layer, "activation", keras.activations.linear) not in (
                keras.activations.linear, None):
            raise ValueError(f"SpectralNormalization needs a linear layer; {self.layer.name} "
                             "has an activation: apply it after")

    def call(self, inputs: Any, training: bool = False) -> Any:
        matrix = ops.reshape(self.kernel, (-1, self.kernel_shape[-1]))
        u = self.vector_u
        if training:
            v = _unit(ops.matmul(u, ops.transpose(matrix)))
            u = ops.stop_gradient(_unit(ops.matmul(v, matrix)))
            self.vector_u.assign(u)
        else:
            v = _unit(ops.matmul(u, ops.transpose(matrix)))
        v = ops.stop_gradient(v)
        sigma = ops.sum(ops.matmul(v, matrix) * u)
        outputs = self.layer(inputs)
        bias = getattr(self.layer, "bias", None)
        if bias is None:
            return outputs / ops.cast(sigma, outputs.dtype)
        bias = ops.cast(bias, outputs.dtype)
        return (outputs - bias) / ops.cast(sigma, outputs.dtype) + bias


def _unit(vector: Any) -> Any:
    return vector / ops.sqrt(ops.maximum(ops.sum(ops.square(vector)), 1e-12))


@keras.saving.register_keras_serializable(package="vaegan_tf")
class ConditionChannels(keras.layers.Layer):
    """Appends a condition vector to an image as constant channels: (B, H, W, C) and (B, K) →
    (B, H, W, C + K), the conditional discriminator's input (keras-io ``conditional_gan``).

    Example:
        >>> ConditionChannels()([np.zeros((2, 4, 4, 1)), np.eye(2)]).shape
        TensorShape([2, 4, 4, 3])
    """

    def call(self, inputs: list[Any]) -> Any:
        images, conditions = inputs
        height, width = ops.shape(images)[1], ops.shape(images)[2]
        planes = ops.broadcast_to(
            ops.cast(conditions, images.dtype)[:, None, None, :],
            (ops.shape(images)[0], height, width, ops.shape(conditions)[-1]))
        return ops.concatenate([images, planes], axis=-1)

    def compute_output_shape(self, input_shapes: list[tuple]) -> tuple:
        image_shape, condition_shape = input_shapes
        channels = None if image_shape[-1] is None or condition_shape[-1] is None else (
            image_shape[-1] + condition_shape[-1])
        return (*image_shape[:-1], channels)


@keras.saving.register_keras_serializable(package="vaegan_tf")
class Dense(keras.layers.Dense):
    """``keras.layers.Dense`` with a faster backward pass for wide kernels (same forward, same
    weights and config; gradients equal to float32 round-off).

    The input gradient ``upstream · kernelᵀ`` is an Einsum instead of a MatMul with a
    transposed operand: the same sums, run by oneDNN's matmul primitive on the kernel as
    stored. A graph prunes whichever of the two gradients nobody asks for, as with Keras'
    layer. Inputs of rank other than 2, LoRA and quantized kernels take Keras' path.

    Example:
        >>> Dense(4)(np.ones((2, 3))).shape
        TensorShape([2, 4])
    """

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if len(inputs.shape) != 2 or self.lora_enabled or self.quantization_mode:
            return super().call(inputs, training=training)
        (output,) = self._affine_activation([inputs])
        return output

    def call_parts(self, parts: list[Any]) -> list[Any]:
        """``[self(part) for part in parts]`` as one product over all parts' rows, with one
        kernel gradient; each part's input gradient is computed only where a backward pass
        needs it (``networks.call_per_batch``).

        Example:
            >>> layer = Dense(4)
            >>> first, second = layer.call_parts([np.ones((2, 3)), np.ones((5, 3))])
            >>> print(tuple(first.shape), tuple(second.shape))
            (2, 4) (5, 4)
        """
        parts = [ops.cast(part, self.compute_dtype) for part in parts]
        if len(parts[0].shape) != 2 or self.lora_enabled or self.quantization_mode:
            return split_rows(self(tf.concat(parts, axis=0)), parts)
        if not self.built:
            self.build(parts[0].shape)
        return self._affine_activation(parts)

    def _affine_activation(self, parts: list[Any]) -> list[Any]:
        dtype = parts[0].dtype
        bias = None if self.bias is None else ops.cast(self.bias, dtype)
        outputs = _affine(parts, ops.cast(self.kernel, dtype), bias)
        return outputs if self.activation is None else [self.activation(output)
                                                        for output in outputs]


# A transposed convolution into this many channels or fewer runs as a stride-1 convolution
# and depth_to_space (``_conv_transpose``): oneDNN's own kernel for it took 1.25–2.4× as long
# at 1–4 channels, 1.0–1.4× at 8 and 0.6–0.8× at 16 (``benchmarks/conv_transpose.json``).
SUBPIXEL_MAX_CHANNELS = 4


def _padding_before(size: int, kernel: int, stride: int, padding: str) -> int:
    """Zeros TensorFlow pads before an input of ``size`` for a convolution (``same``: half
    of the total, rounded down; ``valid``: none)."""
    if padding == "valid":
        return 0
    outputs = -(-size // stride)
    return max((outputs - 1) * stride + kernel - size, 0) // 2


def _filter_gradient(inputs: tf.Tensor, weights: tf.Tensor, upstream: tf.Tensor, stride: int,
                     padding: str) -> tf.Tensor:
    """The gradient of ``Σ conv2d(inputs, weights) · upstream`` with respect to ``weights``
    (TensorFlow's kernel, as its own gradients of ``conv2d`` and ``conv2d_transpose`` use)."""
    return tf.raw_ops.Conv2DBackpropFilter(
        input=inputs, filter_sizes=tf.shape(weights), out_backprop=upstream,
        strides=[1, stride, stride, 1], padding=padding.upper())


def _subpixel_conv_transpose(inputs: tf.Tensor, kernel: tf.Tensor, output_size: tuple[int, int],
                             stride: int, padding: str) -> tf.Tensor:
    """``tf.nn.conv2d_transpose`` as one stride-1 convolution and ``depth_to_space``.

    Output row ``stride · r + p`` of the transposed convolution is ``Σ_a x[r − a] ·
    kernel[stride · a + p]``: for each phase ``p`` a stride-1 convolution with every
    ``stride``-th kernel row (and the same for columns). The kernel, zero-padded to a multiple
    of ``stride`` rows and columns, is rearranged into a ``taps_h × taps_w`` kernel with
    ``stride² · c_out`` output channels, one group per phase; ``depth_to_space`` interleaves
    the phases, and the full transposed output is cropped (or zero-extended) to what
    ``padding`` and ``output_size`` select.
    """
    *kernel_size, c_out, c_in = kernel.shape
    taps = [-(-size // stride) for size in kernel_size]
    kernel = tf.pad(kernel, [[0, count * stride - size] for count, size in zip(
        taps, kernel_size, strict=True)] + [[0, 0], [0, 0]])
    kernel = tf.reshape(kernel, (taps[0], stride, taps[1], stride, c_out, c_in))
    kernel = tf.reverse(kernel, [0, 2])
    kernel = tf.transpose(kernel, (0, 2, 5, 1, 3, 4))
    kernel = tf.reshape(kernel, (taps[0], taps[1], c_in, stride * stride * c_out))
    inputs = tf.pad(inputs, [[0, 0], [taps[0] - 1] * 2, [taps[1] - 1] * 2, [0, 0]])
    outputs = tf.nn.depth_to_space(tf.nn.conv2d(inputs, kernel, 1, "VALID"), stride)
    crops = []
    for axis, wanted, size in ((1, output_size[0], kernel_size[0]),
                               (2, output_size[1], kernel_size[1])):
        start = _padding_before(wanted, size, stride, padding)
        crops.append((start, max(start + wanted - outputs.shape[axis], 0)))
    outputs = tf.pad(outputs, [[0, 0], [0, crops[0][1]], [0, crops[1][1]], [0, 0]])
    return outputs[:, crops[0][0]:crops[0][0] + output_size[0],
                   crops[1][0]:crops[1][0] + output_size[1]]


def _conv_transpose(inputs: tf.Tensor, kernel: tf.Tensor, output_size: tuple[int, int],
                    stride: int, padding: str) -> tf.Tensor:
    """``tf.nn.conv2d_transpose(inputs, kernel, output_shape, stride, padding)`` (NHWC, square
    stride, ``kernel`` as (height, width, out, in)), computed as ``_subpixel_conv_transpose``
    when the output has at most ``SUBPIXEL_MAX_CHANNELS`` channels; the gradient is
    TensorFlow's for that op (a strided convolution and a filter gradient)."""
    if kernel.shape[2] > SUBPIXEL_MAX_CHANNELS:
        return tf.nn.conv2d_transpose(
            inputs, kernel, [tf.shape(inputs)[0], *output_size, kernel.shape[2]], stride,
            padding.upper())

    @tf.custom_gradient
    def conv_transpose(x: tf.Tensor, weights: tf.Tensor) -> tuple[tf.Tensor, Any]:
        def gradient(upstream: tf.Tensor) -> list[tf.Tensor]:
            return [tf.nn.conv2d(upstream, weights, stride, padding.upper()),
                    _filter_gradient(upstream, weights, x, stride, padding)]

        return _subpixel_conv_transpose(x, weights, output_size, stride, padding), gradient

    return conv_transpose(inputs, kernel)


def _square_stride(layer: keras.layers.Layer, inputs: Any) -> int | None:
    """The stride of a 2-D convolution layer whose transposed product ``_conv_transpose``
    computes (NHWC, static height and width, equal strides ≥ 2, no dilation, not compiled with
    XLA, whose own transposed convolution was faster: paired MNIST steps 0.97×), else None."""
    height, width = inputs.shape[1:3] if len(inputs.shape) == 4 else (None, None)
    stride, other = layer.strides
    plain = (layer.data_format == "channels_last" and tuple(layer.dilation_rate) == (1, 1)
             and not getattr(layer, "lora_enabled", False) and height and width
             and not compiling_with_xla())
    return stride if plain and stride == other and stride >= 2 else None


@keras.saving.register_keras_serializable(package="vaegan_tf")
class Conv2D(keras.layers.Conv2D):
    """``keras.layers.Conv2D`` whose input gradient, for inputs of at most
    ``SUBPIXEL_MAX_CHANNELS`` channels (images), is ``_conv_transpose``'s stride-1
    convolution and ``depth_to_space`` instead of oneDNN's transposed-convolution kernel.
    Same forward, weights and config; gradients equal to float32 round-off. Other inputs take
    Keras' path.

    Example:
        >>> Conv2D(8, 4, strides=2)(np.ones((2, 28, 28, 1))).shape
        TensorShape([2, 13, 13, 8])
    """

    def convolution_op(self, inputs: Any, kernel: Any) -> Any:
        stride, channels = _square_stride(self, inputs), inputs.shape[-1]
        if (stride is None or self.groups != 1 or channels is None
                or channels > SUBPIXEL_MAX_CHANNELS):
            return super().convolution_op(inputs, kernel)
        input_size, padding = tuple(inputs.shape[1:3]), self.padding

        @tf.custom_gradient
        def convolution(x: tf.Tensor, weights: tf.Tensor) -> tuple[tf.Tensor, Any]:
            def gradient(upstream: tf.Tensor) -> list[tf.Tensor]:
                return [_conv_transpose(upstream, weights, input_size, stride, padding),
                        _filter_gradient(x, weights, upstream, stride, padding)]

            return tf.nn.conv2d(x, weights, stride, padding.upper()), gradient

        return convolution(inputs, ops.cast(kernel, inputs.dtype))


@keras.saving.register_keras_serializable(package="vaegan_tf")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """``keras.layers.Conv2DTranspose`` computed by ``_conv_transpose``: into at most
    ``SUBPIXEL_MAX_CHANNELS`` channels (an image) as a stride-1 convolution and
    ``depth_to_space``. Same weights and config; outputs and gradients equal to float32
    round-off. Output padding, dilation, unequal or unit strides take Keras' path.

    Example:
        >>> Conv2DTranspose(1, 4, strides=2)(np.ones((2, 13, 13, 8))).shape
        TensorShape([2, 28, 28, 1])
    """

    def call(self, inputs: Any) -> Any:
        stride = _square_stride(self, inputs)
        if stride is None or self.output_padding is not None:
            return super().call(inputs)
        output_size = tuple(self.compute_output_shape(inputs.shape)[1:3])
        outputs = _conv_transpose(inputs, ops.cast(self.kernel, inputs.dtype), output_size,
                                  stride, self.padding)
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, ops.cast(self.bias, inputs.dtype))
        return outputs if self.activation is None else self.activation(outputs)


@keras.saving.register_keras_serializable(package="vaegan_tf")
class BatchNormalization(keras.layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` whose training pass is TensorFlow's fused batch-norm
    kernel: one op forward and one backward instead of Keras' dozen element-wise ops, and the
    backward pass keeps only the input and the per-channel statistics. Same weights, config,
    moving-average updates and outputs as Keras' layer (to float32 round-off).

    Fused: training on inputs of rank 2 or 4 normalised over the last axis. Inference,
    masks, renormalisation, synchronised statistics (several replicas) and steps compiled
    with XLA take Keras' path (XLA fuses Keras' ops itself; its fused kernel ran the face
    step at half the speed).

    Example:
        >>> BatchNormalization()(np.ones((2, 3)), training=True).shape
        TensorShape([2, 3])
    """

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        rank = len(inputs.shape)
        fusable = (training and self.trainable and mask is None and not self.renorm
                   and not self.synchronized and rank in (2, 4) and self.axis in (-1, rank - 1)
                   and not compiling_with_xla())
        if not fusable:
            return super().call(inputs, training=training, mask=mask)
        # statistics in float32 whatever the compute dtype, as Keras' layer computes them
        x = ops.cast(inputs, "float32")
        channels = ops.shape(x)[-1]
        gamma = self.gamma if self.scale else ops.ones((channels,), "float32")
        beta = self.beta if self.center else ops.zeros((channels,), "float32")
        no_statistics = tf.constant([], tf.float32)
        outputs, mean, corrected_variance, *_ = tf.raw_ops.FusedBatchNormV3(
            x=x if rank == 4 else ops.reshape(x, (-1, 1, 1, channels)),
            scale=ops.cast(gamma, "float32"),
            offset=ops.cast(beta, "float32"), mean=no_statistics, variance=no_statistics,
            epsilon=self.epsilon, exponential_avg_factor=1.0, data_format="NHWC",
            is_training=True)
        # the kernel returns the unbiased (n / (n − 1)) variance; Keras averages the biased one
        count = ops.cast(ops.size(x) // channels, "float32")
        variance = corrected_variance * ops.maximum(count - 1.0, 0.0) / count
        self.moving_mean.assign(
            self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(
            self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        outputs = outputs if rank == 4 else ops.reshape(outputs, (-1, channels))
        return ops.cast(outputs, self.compute_dtype)

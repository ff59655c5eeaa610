"""FusedAdam: Keras' Adam, each variable's update one fused kernel."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from vaegan_tf.optimizers import FusedAdam

SHAPES = [(300, 70), (70,), (3, 3, 4, 8)]


def train(optimizer_class: type, jit_compile: bool, **options) -> list[np.ndarray]:
    """20 steps on fixed gradients, the learning rate changed half-way (as a schedule does);
    returns the weights, both moments and the step count."""
    start = np.random.default_rng(0)
    variables = [keras.Variable(start.normal(size=shape).astype("float32"))
                 for shape in SHAPES]
    optimizer = optimizer_class(1e-2, **options)
    optimizer.build(variables)

    @tf.function(jit_compile=jit_compile)
    def step(gradients: list) -> None:
        optimizer.apply_gradients(zip(gradients, variables, strict=True))

    for t in range(20):
        if t == 10:
            optimizer.learning_rate.assign(3e-3)
        draw = np.random.default_rng(t + 1)
        step([tf.constant(draw.normal(size=shape).astype("float32")) for shape in SHAPES])
    return [np.asarray(v) for v in [*variables, *optimizer.variables]]


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("options", [{"beta_1": 0.5}, {"beta_1": 0.9, "epsilon": 1e-4}])
def test_fused_adam_takes_keras_adams_steps(jit_compile, options):
    keras_state = train(keras.optimizers.Adam, jit_compile, **options)
    fused_state = train(FusedAdam, jit_compile, **options)
    start = np.random.default_rng(0)
    moved = [np.max(np.abs(w - start.normal(size=w.shape))) for w in keras_state[:3]]
    assert min(moved) > 0.05  # the comparison below is not of weights that stood still
    for keras_value, fused_value in zip(keras_state, fused_state, strict=True):
        # The same float32 expression; a vectorised loop may fuse a multiply-add.
        np.testing.assert_allclose(fused_value, keras_value, rtol=2e-6, atol=1e-6)


def test_amsgrad_takes_keras_path():
    np.testing.assert_array_equal(train(FusedAdam, False, amsgrad=True)[0],
                                  train(keras.optimizers.Adam, False, amsgrad=True)[0])


def test_fused_adam_serialises_as_itself():
    optimizer = FusedAdam(2e-4, beta_1=0.5, name="decoder")
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(optimizer))
    assert type(restored) is FusedAdam
    assert restored.get_config() == optimizer.get_config()


def test_each_variable_is_updated_by_one_fused_kernel():
    """The step holds one ResourceApplyAdam per variable and none of Keras' element-wise
    update ops (which make the weight-sized temporaries)."""
    variables = [keras.Variable(np.ones(shape, "float32")) for shape in SHAPES]
    optimizer = FusedAdam(1e-2)
    optimizer.build(variables)

    @tf.function
    def step(gradients: list) -> None:
        optimizer.apply_gradients(zip(gradients, variables, strict=True))

    graph = step.get_concrete_function([tf.TensorSpec(shape) for shape in SHAPES]).graph
    operations = graph.get_operations()
    updates = [op for op in operations if op.type == "ResourceApplyAdam"]
    assert len(updates) == len(SHAPES)
    assert not {"Square", "Sqrt"} & {op.type for op in operations
                                     if op.outputs and op.outputs[0].shape.rank}

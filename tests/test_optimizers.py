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


def test_fused_adam_under_a_loss_scale_optimizer_takes_keras_adams_steps():
    """Scaled gradients, unscaled by the wrapper; a step whose gradients overflow is skipped
    and halves the scale, in both."""

    states = []
    for inner_class in (keras.optimizers.Adam, FusedAdam):
        start = np.random.default_rng(0)
        variables = [keras.Variable(start.normal(size=shape).astype("float32"))
                     for shape in SHAPES]
        optimizer = keras.optimizers.LossScaleOptimizer(inner_class(1e-2, beta_1=0.5),
                                                        initial_scale=2.0**10)
        optimizer.build(variables)
        step = scaled_step(optimizer, variables)
        for t in range(12):
            draw = np.random.default_rng(t + 1)
            gradients = [draw.normal(size=shape).astype("float32") for shape in SHAPES]
            if t == 5:
                gradients[1][0] = np.inf
            step([tf.constant(g) for g in gradients])
        assert float(optimizer.dynamic_scale) == 2.0**9
        assert int(optimizer.inner_optimizer.iterations) == 11  # the overflow was skipped
        states.append([np.asarray(v) for v in [*variables, *optimizer.variables]])
    for keras_value, fused_value in zip(*states, strict=True):
        np.testing.assert_allclose(fused_value, keras_value, rtol=2e-6, atol=1e-6)


def scaled_step(optimizer: keras.optimizers.LossScaleOptimizer, variables: list):
    """A traced step applying gradients multiplied by the loss scale, as a scaled backward
    pass gives them."""

    @tf.function
    def step(gradients: list) -> None:
        scale = optimizer.scale_loss(1.0)
        optimizer.apply_gradients(zip([g * scale for g in gradients], variables, strict=True))

    return step


TWO_REPLICAS = """
import json, sys
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
from vaegan_tf.optimizers import FusedAdam
SHAPES = [(30, 7), (7,)]
result = {}
for name, kind in (("keras", keras.optimizers.Adam), ("fused", FusedAdam)):
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        start = np.random.default_rng(0)
        variables = [keras.Variable(start.normal(size=s).astype("float32")) for s in SHAPES]
        optimizer = kind(1e-2, beta_1=0.5)
        optimizer.build(variables)

    @tf.function
    def step(t):
        def replica():
            r = tf.distribute.get_replica_context().replica_id_in_sync_group
            gradients = [tf.random.stateless_normal(s, seed=tf.stack([t, r])) for s in SHAPES]
            optimizer.apply_gradients(zip(gradients, variables))
        strategy.run(replica)

    for t in range(8):
        step(tf.constant(t))
    result[name] = [np.asarray(v).ravel().tolist() for v in [*variables, *optimizer.variables]]
json.dump(result, sys.stdout)
"""


def test_fused_adam_under_a_two_replica_strategy_takes_keras_adams_steps(tmp_path):
    """Under a strategy FusedAdam takes Keras' path (the all-reduce and the per-replica
    updates are Keras'): the same weights and slots as Keras' Adam."""
    import json
    import subprocess
    import sys

    script = tmp_path / "two_replicas.py"
    script.write_text(TWO_REPLICAS)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, check=True)
    result = json.loads(done.stdout)
    start = np.random.default_rng(0).normal(size=(30, 7))
    assert np.abs(np.array(result["keras"][0]) - start.ravel()).max() > 0.02
    for keras_value, fused_value in zip(result["keras"], result["fused"], strict=True):
        np.testing.assert_array_equal(fused_value, keras_value)


def test_per_network_rates_set_each_networks_first_adam_step():
    """TTUR as one override per network: Adam's first step moves a weight by at most the
    learning rate (m / √v = ±1 at t = 1), so after one DCGAN step the largest change in each
    network is its own rate: D 4e-4, G 1e-4."""
    from vaegan_tf.models import build_model, optimizers_for
    from vaegan_tf.presets import get_preset

    preset = get_preset("dcgan-mnist", latent_dim=8, dense_units=16, generator_filters=4,
                        discriminator_filters=4, generator_steps=1).with_assignments(
        ["discriminator.learning_rate=4e-4", "generator.learning_rate=1e-4"])
    model = build_model(preset, seed=0)
    model.compile(**optimizers_for(model, preset))
    before = {name: [v.numpy().copy() for v in network.trainable_variables]
              for name, network in model.networks.items()}
    model.train_step(np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32"))
    for name, rate in (("discriminator", 4e-4), ("generator", 1e-4)):
        change = max(float(np.max(np.abs(variable.numpy() - old))) for old, variable in zip(
            before[name], model.networks[name].trainable_variables, strict=True))
        assert change == pytest.approx(rate, rel=1e-3), name

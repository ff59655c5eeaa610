"""Mixed precision: one LossScaleOptimizer per network, float32 losses, an overflow that skips
exactly that network's step, and loss scales that survive a save and load."""

import keras
import numpy as np
import pytest

from vaegan_tf import cli, get_preset

TOY = {"latent_dim": 8, "dense_units": 16, "conv_filters": (8, 16), "decoder_filters": 8}
# the face model adds minibatch discrimination and dropout to D
TOY_FACES = {**TOY, "decoder_base_shape": (15, 15, 8)}


def _model(precision, seed=0, preset="mnist"):
    toy = TOY if preset == "mnist" else TOY_FACES
    return cli.compiled_model(get_preset(preset).replace(**toy), seed, "off", None, precision)


def _images(shape=(28, 28, 1)):
    return np.random.default_rng(0).uniform(-1, 1, (16, *shape)).astype("float32")


def test_mixed_float16_gives_each_network_a_loss_scale_and_float32_losses():
    model = _model("mixed_float16")
    assert keras.mixed_precision.global_policy().name == "float32"  # restored after building
    assert model.uses_float16
    for name, network in model.networks.items():
        assert network.layers[-1].dtype_policy.name == "mixed_float16"
        assert isinstance(model.optimizer_of(name), keras.optimizers.LossScaleOptimizer)
    losses = model.compute_losses(_images()[:8], training=True)
    assert all(keras.backend.standardize_dtype(value.dtype) == "float32"
               for value in losses.values())
    reference = _model("float32")
    reference.set_weights(model.get_weights())
    expected = reference.compute_losses(_images()[:8], training=True)
    for key, value in losses.items():  # float16 networks: close, not equal
        np.testing.assert_allclose(float(value), float(expected[key]), rtol=0.05, err_msg=key)
    assert not isinstance(reference.optimizer_of("decoder"), keras.optimizers.LossScaleOptimizer)


def test_an_overflow_skips_that_networks_step_and_halves_its_scale(tmp_path):
    model = _model("mixed_float16")
    decoder_optimizer = model.optimizer_of("decoder")
    decoder_optimizer.dynamic_scale.assign(2.0**100)  # scaled gradients overflow float16
    before = {name: [np.array(w) for w in network.trainable_weights]
              for name, network in model.networks.items()}
    scales = {name: float(model.optimizer_of(name).dynamic_scale) for name in model.network_names}
    history = model.fit(_images()[:8], batch_size=8, epochs=1, verbose=0).history
    for name, network in model.networks.items():
        changed = any(not np.array_equal(a, np.array(b))
                      for a, b in zip(before[name], network.trainable_weights, strict=True))
        assert changed == (name != "decoder"), name
    assert int(decoder_optimizer.iterations) == 0
    assert int(model.optimizer_of("encoder").iterations) == 1
    assert float(decoder_optimizer.dynamic_scale) == 2.0**99
    assert float(model.optimizer_of("encoder").dynamic_scale) == scales["encoder"]
    # The history holds the losses, not the scaled losses (2**15 times larger).
    assert 0.0 < history["decoder_loss"][0] < 50.0 and abs(history["encoder_loss"][0]) < 50.0
    # Resume-safe: the scales are saved with the optimizers.
    model.save(tmp_path / "model.keras")
    loaded = cli.load_model(tmp_path / "model.keras")
    assert float(loaded.optimizer_of("decoder").dynamic_scale) == 2.0**99
    assert loaded.uses_float16 and loaded.decoder.layers[-1].dtype_policy.name == "mixed_float16"


@pytest.mark.parametrize("preset", ["mnist", "faces"])
@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains(precision, preset):
    model = _model(precision, preset=preset)
    images = _images(model.decoder.output_shape[1:])
    history = model.fit(images, batch_size=8, epochs=1, verbose=0).history
    assert all(np.isfinite(values[0]) for values in history.values())
    assert model.decoder.layers[-1].dtype_policy.name == precision
    assert isinstance(model.optimizer_of("decoder"), keras.optimizers.LossScaleOptimizer) == (
        precision == "mixed_float16")


def _fixed_draw(draw, shape):
    """Stands in for a model's random draws: XLA's stateless generator gives other numbers
    than the TensorFlow kernels' for the same seed, so the comparison fixes them."""
    import math

    import tensorflow as tf

    return 0.5 + 0.5 * tf.reshape(tf.sin(0.37 * tf.range(math.prod(shape), dtype="float32")),
                                  shape)


@pytest.mark.parametrize("preset", ["mnist", "wgan-gp-mnist"])
def test_the_xla_step_is_the_tf_function_step(preset, mnist_like_batch):
    """``--jit on`` (the GAN family's default at 28×28) compiles the step with XLA: from the
    same weights on the same batch and the same draws it takes the ``tf.function`` step, to
    float32 round-off (SGD, so the update shows the gradients themselves)."""
    import tensorflow as tf

    from vaegan_tf.models import build_model

    toy = TOY if preset == "mnist" else {"latent_dim": 8, "dense_units": 16,
                                          "generator_filters": 4, "discriminator_filters": 4}
    models = []
    for jit in (False, True):
        model = build_model(get_preset(preset).replace(**toy), seed=1)
        model.compile(**{f"{name}_optimizer": keras.optimizers.SGD(0.1)
                         for name in model.network_names}, jit_compile=jit)
        model.replica_draw = _fixed_draw
        models.append(model)
    initial = models[0].get_weights()
    models[1].set_weights(initial)
    batch = np.concatenate([mnist_like_batch] * 5)  # WGAN-GP: 5 critic batches of 8
    histories = [model.fit(tf.data.Dataset.from_tensors(batch), epochs=1, verbose=0).history
                 for model in models]
    # To 2e-4 (losses) and 1e-4 (weights, against steps of over 1e-2): since the critic uses
    # Keras' LeakyReLU, Grappler's remapper gives up on one fusion in its tf.function graph (not
    # under XLA), and run alone the WGAN-GP step differs by 7.2e-5 relative in G's loss and
    # 3.5e-5 in a weight (it was under 1e-5 with vaegan_tf's LeakyReLU, removed in 0.2.0);
    # other draws or another path would differ by the step's own size.
    for key, values in histories[0].items():
        np.testing.assert_allclose(histories[1][key], values, rtol=2e-4, atol=1e-6,
                                   err_msg=key)
    moved = max(float(np.max(np.abs(a - b)))
                for a, b in zip(models[0].get_weights(), initial, strict=True))
    gap = max(float(np.max(np.abs(a - b)))
              for a, b in zip(models[0].get_weights(), models[1].get_weights(), strict=True))
    assert gap < 1e-4 and moved > 1e-2

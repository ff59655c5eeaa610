"""The VAEGAN model: wiring of the losses, which optimizer moves what, metrics, save/load."""

import json
import math

import keras
import numpy as np
import pytest

import vaegan_tf
from vaegan_tf import VAEGAN, build_vaegan


def compiled(learning_rates=(5e-4, 5e-4, 5e-4), **overrides) -> VAEGAN:
    model = build_vaegan("mnist", seed=3, **overrides)
    model.compile(**{
        f"{name}_optimizer": keras.optimizers.Adam(rate)
        for name, rate in zip(("encoder", "decoder", "discriminator"), learning_rates,
                              strict=True)
    })
    return model


def trainable_snapshot(network: keras.Model) -> list[np.ndarray]:
    return [variable.numpy() for variable in network.trainable_variables]


def changed(before: list[np.ndarray], network: keras.Model) -> bool:
    return any(not np.array_equal(old, new.numpy())
               for old, new in zip(before, network.trainable_variables, strict=True))


NETWORKS = ("encoder", "decoder", "discriminator")


@pytest.mark.parametrize("moving", NETWORKS)
def test_each_optimizer_moves_only_its_own_network(moving, mnist_like_batch):
    rates = tuple(5e-4 if name == moving else 0.0 for name in NETWORKS)
    model = compiled(rates)
    before = {name: trainable_snapshot(getattr(model, name)) for name in NETWORKS}
    model.train_step(mnist_like_batch)
    for name in NETWORKS:
        assert changed(before[name], getattr(model, name)) == (name == moving), name
        assert int(getattr(model, f"{name}_optimizer").iterations) == 1


def test_one_step_moves_all_three_networks_each_with_its_own_optimizer(mnist_like_batch):
    model = compiled()
    before = {name: trainable_snapshot(getattr(model, name)) for name in NETWORKS}
    model.train_step(mnist_like_batch)
    for name in NETWORKS:
        network = getattr(model, name)
        optimizer = getattr(model, f"{name}_optimizer")
        assert changed(before[name], network)
        tracked = {id(variable) for variable in optimizer._trainable_variables}
        assert tracked == {id(variable) for variable in network.trainable_variables}


def test_a_traced_step_applies_each_networks_gradient_at_the_weights_it_started_from(
        mnist_like_batch):
    """Each network's update is its gradient at the step's starting weights, however the step
    orders backward passes and updates (the encoder and decoder are updated before D's
    backward pass starts). SGD, so a gradient read at moved weights would show at once."""
    import tensorflow as tf

    model = build_vaegan("mnist", seed=3)
    model.compile(**{f"{name}_optimizer": keras.optimizers.SGD(0.1) for name in NETWORKS})
    start = [np.array(variable) for variable in model.variables]
    before = {name: trainable_snapshot(getattr(model, name)) for name in NETWORKS}
    with tf.GradientTape(persistent=True) as tape:
        losses, _, _ = model._forward(tf.constant(mnist_like_batch), training=True)
    expected = {name: [np.array(w) - 0.1 * np.array(g) for w, g in zip(
        getattr(model, name).trainable_variables,
        tape.gradient(losses[f"{name}_loss"], getattr(model, name).trainable_variables),
        strict=True)] for name in NETWORKS}
    for variable, value in zip(model.variables, start, strict=True):
        variable.assign(value)  # the same weights, batch-norm statistics and random state

    tf.function(model.train_step)(tf.constant(mnist_like_batch))
    for name in NETWORKS:
        after = trainable_snapshot(getattr(model, name))
        assert max(np.max(np.abs(e - w)) for e, w in zip(
            expected[name], before[name], strict=True)) > 1e-3, name
        for value, reference in zip(after, expected[name], strict=True):
            np.testing.assert_allclose(value, reference, rtol=1e-4, atol=2e-6, err_msg=name)


def deterministic_model(variant: str) -> VAEGAN:
    """A model whose decoder ignores its input, so x̃ and x_p are one known image and the
    losses have no randomness left."""
    model = compiled(decoder_loss_variant=variant)
    first_dense = model.decoder.layers[1]
    first_dense.kernel.assign(np.zeros(first_dense.kernel.shape, "float32"))
    return model


def np_bce(target, p):
    p = np.clip(np.asarray(p, "float64"), 1e-7, 1 - 1e-7)
    return float(np.mean(-(target * np.log(p) + (1 - target) * np.log(1 - p))))


@pytest.mark.parametrize("variant", ["prior", "real"])
def test_compute_losses_matches_numpy_reference_of_the_wiring(variant, mnist_like_batch):
    model = deterministic_model(variant)
    x = mnist_like_batch
    statistics = np.asarray(model.encoder(x, training=False), "float64")
    mean, log_var = statistics[:, :64], statistics[:, 64:]
    generated = model.decoder(np.zeros((8, 64), "float32"), training=False)
    p_real, f_real = (np.asarray(t, "float64") for t in model.discriminator(x, training=False))
    p_fake, f_fake = (np.asarray(t, "float64")
                      for t in model.discriminator(generated, training=False))
    kl = -0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var))
    log_likelihood = np.mean(np.sum(-0.5 * np.log(2 * np.pi) - 0.5 * (f_fake - f_real) ** 2, 1))
    second = p_fake if variant == "prior" else p_real
    expected = {
        "encoder_loss": kl / (8 * 64) - log_likelihood / 4096,
        "decoder_loss": np_bce(1, p_fake) + np_bce(1, second) - 1e-8 * log_likelihood,
        "discriminator_loss": np_bce(1, p_real) + 2 * np_bce(0, p_fake),
    }
    actual = {name: float(value)
              for name, value in model.compute_losses(x, training=False).items()}
    assert actual == pytest.approx(expected, rel=1e-4)


def test_test_step_reports_the_same_losses_and_changes_nothing(mnist_like_batch):
    model = compiled()
    before = [variable.numpy() for variable in model.variables
              if "seed_generator" not in variable.path]
    logs = model.test_step(mnist_like_batch)
    assert sorted(logs) == ["decoder_loss", "discriminator_loss", "encoder_loss"]
    after = [variable.numpy() for variable in model.variables
             if "seed_generator" not in variable.path]
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_fit_history_names_and_trackers_reset_every_epoch(mnist_like_batch):
    import tensorflow as tf

    model = compiled()
    data = tf.data.Dataset.from_tensor_slices(mnist_like_batch).batch(4)
    history = model.fit(data, epochs=2, validation_data=data, verbose=0, shuffle=False)
    assert sorted(history.history) == sorted(
        [f"{prefix}{name}_loss" for prefix in ("", "val_") for name in NETWORKS])
    # After fit, each tracker holds exactly the last evaluation: 2 batches, not 2 epochs' worth.
    assert all(float(tracker.count) == 2 for tracker in model.metrics)
    evaluated = model.evaluate(data, verbose=0, return_dict=True)
    assert all(np.isfinite(value) for value in evaluated.values())


def test_call_and_sample_shapes_and_range(mnist_like_batch):
    model = build_vaegan("mnist", seed=0)
    reconstruction = np.asarray(model(mnist_like_batch))
    assert reconstruction.shape == (8, 28, 28, 1)
    samples = np.asarray(model.sample(16, seed=0))
    assert samples.shape == (16, 28, 28, 1)
    assert samples.min() >= -1.0 and samples.max() <= 1.0
    np.testing.assert_array_equal(samples, np.asarray(model.sample(16, seed=0)))
    assert not np.array_equal(samples, np.asarray(model.sample(16, seed=1)))
    unseeded = [np.asarray(model.sample(4)) for _ in range(2)]
    assert not np.array_equal(*unseeded)  # fresh latents each call
    # Inference reconstruction decodes the mean: deterministic.
    np.testing.assert_array_equal(reconstruction, np.asarray(model(mnist_like_batch)))


def test_sigmoid_preset_samples_lie_in_zero_one():
    model = build_vaegan("mnist", output_activation="sigmoid")
    samples = np.asarray(model.sample(8, seed=0))
    assert model.data_range == (0.0, 1.0)
    assert samples.min() >= 0.0 and samples.max() <= 1.0


def test_save_and_load_round_trip(tmp_path, mnist_like_batch):
    model = compiled(decoder_loss_variant="real")
    model.train_step(mnist_like_batch)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, VAEGAN)
    np.testing.assert_array_equal(np.asarray(loaded.sample(16, seed=0)),
                                  np.asarray(model.sample(16, seed=0)))
    assert loaded.objective.decoder_loss_variant == "real"
    assert loaded.data_range == model.data_range
    for name in NETWORKS:
        original = getattr(model, f"{name}_optimizer")
        restored = getattr(loaded, f"{name}_optimizer")
        assert int(restored.iterations) == 1
        assert float(restored.learning_rate) == pytest.approx(float(original.learning_rate))
        for a, b in zip(original.variables, restored.variables, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    loaded.train_step(mnist_like_batch)  # the loaded model trains on
    assert int(loaded.encoder_optimizer.iterations) == 2


def test_get_config_is_json_and_rebuilds_an_equal_model():
    model = build_vaegan("mnist", seed=5, share_prior_noise=True)
    config = model.get_config()
    json.dumps(keras.saving.serialize_keras_object(model))
    clone = VAEGAN.from_config(config)
    assert clone.objective.share_prior_noise and clone.seed == 5
    assert clone.count_params() == model.count_params()


def test_compile_refuses_shared_or_missing_optimizers():
    model = build_vaegan("mnist")
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="own optimizer"):
        model.compile(encoder_optimizer=shared, decoder_optimizer=shared,
                      discriminator_optimizer=keras.optimizers.Adam())
    assert not model.compiled  # a refused compile leaves the model as it was
    with pytest.raises(TypeError, match="does not take"):
        model.compile(**vaegan_tf.adam_optimizers(), loss="mse")
    with pytest.raises(ValueError, match="decoder_loss_variant"):
        build_vaegan("mnist", decoder_loss_variant="may")


def test_mismatched_networks_are_refused():
    from vaegan_tf.networks import build_decoder, build_discriminator, build_encoder

    preset = vaegan_tf.get_preset("mnist")
    with pytest.raises(ValueError, match="mean ‖ log-variance"):
        VAEGAN(build_encoder(preset.replace(latent_dim=32)), build_decoder(preset),
               build_discriminator(preset))


def test_face_model_trains_one_step_with_any_batch_size():
    model = build_vaegan("faces", seed=0)
    model.compile(**vaegan_tf.adam_optimizers())
    assert model.data_range == (-1.0, 1.0) and model.latent_dim == 2048
    before = trainable_snapshot(model.discriminator)
    for batch in (3, 1):  # minibatch discrimination with a short and a single-image batch
        images = np.random.default_rng(batch).uniform(-1, 1, (batch, 64, 64, 3))
        losses = model.train_step(images.astype("float32"))
        assert all(np.isfinite(float(value)) for value in losses.values())
    assert changed(before, model.discriminator)
    assert np.asarray(model.sample(2, seed=0)).shape == (2, 64, 64, 3)


def test_label_tricks_only_in_the_soft_label_preset():
    assert build_vaegan("mnist").uses_label_noise is False
    soft = vaegan_tf.PRESETS["faces-soft-labels"]
    assert (soft.real_label_range, soft.fake_label_range, soft.label_flip_probability) == (
        (0.7, 1.2), (0.0, 0.3), 0.05)
    assert vaegan_tf.PRESETS["faces"].label_flip_probability == 0.0


def test_soft_labels_train_the_discriminator_but_validation_keeps_hard_labels(mnist_like_batch):
    model = compiled(real_label_range=(0.7, 1.2), fake_label_range=(0.0, 0.3),
                     label_flip_probability=0.5)
    assert model._discriminator_targets((8, 1), training=False) == (1.0, 0.0, 0.0)
    real, reconstruction, prior = (
        np.asarray(t) for t in model._discriminator_targets((8, 1), training=True))
    for targets in (real, reconstruction, prior):
        assert targets.shape == (8, 1)
        in_real = (targets >= 0.7) & (targets <= 1.2)
        in_fake = (targets >= 0.0) & (targets <= 0.3)
        assert np.all(in_real | in_fake)
    logs = model.train_step(mnist_like_batch)
    assert all(np.isfinite(float(value)) for value in logs.values())
    rebuilt = VAEGAN.from_config(json.loads(json.dumps(model.get_config())))
    assert rebuilt.objective.real_label_range == (0.7, 1.2)
    assert rebuilt.objective.label_flip_probability == 0.5


def test_hard_labels_draw_no_extra_random_numbers(mnist_like_batch):
    def draws_per_step(**overrides) -> int:
        model = build_vaegan("mnist", seed=3, **overrides)
        start = int(np.asarray(model.seed_generator.state)[1])
        model.compute_losses(mnist_like_batch, training=True)
        return int(np.asarray(model.seed_generator.state)[1]) - start

    # Hard labels: only the two latent draws, as in the faithful port. Soft labels: one more
    # draw per target set; noisy labels: three per target set (soft, flipped, coin).
    assert draws_per_step() == 2
    assert draws_per_step(real_label_range=(0.7, 1.2)) == 2 + 3
    assert draws_per_step(real_label_range=(0.7, 1.2), label_flip_probability=0.1) == 2 + 9


@pytest.mark.parametrize("equilibrium, frozen, moving", [
    (100.0, "discriminator", "decoder"),   # every cost is far below: D "wins", D waits
    (-100.0, "decoder", "discriminator"),  # every cost is far above: D "loses", decoder waits
])
def test_equilibrium_gate_skips_the_winning_side(equilibrium, frozen, moving, mnist_like_batch):
    import tensorflow as tf

    model = compiled(equilibrium=equilibrium, equilibrium_margin=1.0)
    before = {name: trainable_snapshot(getattr(model, name)) for name in NETWORKS}
    step = tf.function(model.train_step)
    logs = step(mnist_like_batch)
    assert not changed(before[frozen], getattr(model, frozen))
    assert changed(before[moving], getattr(model, moving))
    assert changed(before["encoder"], model.encoder)  # the encoder always updates
    assert float(logs[f"{frozen}_updated"]) == 0.0 and float(logs[f"{moving}_updated"]) == 1.0
    assert int(getattr(model, f"{frozen}_optimizer").iterations) == 0


def test_gate_off_by_default_and_no_extra_metrics(mnist_like_batch):
    model = compiled()
    assert sorted(model.train_step(mnist_like_batch)) == [
        "decoder_loss", "discriminator_loss", "encoder_loss"]
    assert vaegan_tf.PRESETS["mnist"].equilibrium_margin == 0.0


def test_mnist_plus_is_the_faithful_preset_with_adam_beta_1_half():
    faithful, plus = vaegan_tf.PRESETS["mnist"].to_dict(), vaegan_tf.PRESETS["mnist-plus"].to_dict()
    assert {key for key in faithful if faithful[key] != plus[key]} == {"name", "adam_beta_1"}
    assert (faithful["adam_beta_1"], plus["adam_beta_1"]) == (0.9, 0.5)
    from vaegan_tf.cli import compiled_model

    model = compiled_model(vaegan_tf.PRESETS["mnist-plus"], seed=0)
    assert {float(getattr(model, f"{name}_optimizer").beta_1)
            for name in ("encoder", "decoder", "discriminator")} == {0.5}


# Issue 11's readings of the original (VAEGANObjective fields): each does what it says.

def batch_norm_means(network):
    return [variable.numpy().copy() for variable in network.variables
            if variable.path.endswith("moving_mean")]


def test_batch_norm_inference_freezes_only_the_named_networks_statistics(mnist_like_batch):
    model = compiled(batch_norm_inference="discriminator")
    before = {name: batch_norm_means(getattr(model, name)) for name in NETWORKS}
    model.train_step(mnist_like_batch)
    for name in NETWORKS:
        unchanged = all(np.array_equal(a, b) for a, b in
                        zip(before[name], batch_norm_means(getattr(model, name)), strict=True))
        assert unchanged == (name == "discriminator"), name
    with pytest.raises(ValueError, match="unknown networks"):
        vaegan_tf.get_preset("mnist", batch_norm_inference="critic")


def test_joint_discriminator_batch_shares_batch_statistics_only_in_training(mnist_like_batch):
    separate, joint = compiled(), compiled(discriminator_joint_batch=True)
    joint.set_weights(separate.get_weights())
    for model in (separate, joint):
        model.seed_generator.state.assign(np.array([7, 0], "uint32"))
    # Inference-mode batch norm is per sample: one call or three give the same losses.
    inference = [{k: float(v) for k, v in model.compute_losses(mnist_like_batch).items()}
                 for model in (separate, joint)]
    assert inference[0] == pytest.approx(inference[1], rel=1e-5)
    for model in (separate, joint):
        model.seed_generator.state.assign(np.array([7, 0], "uint32"))
    training = [float(model.compute_losses(mnist_like_batch, training=True)[
        "discriminator_loss"]) for model in (separate, joint)]
    assert training[0] != pytest.approx(training[1], rel=1e-3)


def test_sequential_updates_take_three_forward_passes_and_move_every_network(
        mnist_like_batch):
    simultaneous, sequential = compiled(), compiled(update_order="sequential")
    for model in (simultaneous, sequential):
        before = {name: trainable_snapshot(getattr(model, name)) for name in NETWORKS}
        start = int(model.seed_generator.state.numpy()[1])
        logs = model.train_step(mnist_like_batch)
        draws = int(model.seed_generator.state.numpy()[1]) - start
        assert all(changed(before[name], getattr(model, name)) for name in NETWORKS)
        assert all(int(getattr(model, f"{name}_optimizer").iterations) == 1
                   for name in NETWORKS)
        assert set(logs) == {f"{name}_loss" for name in NETWORKS}
        # Two noise draws (reparameterisation, prior) per forward pass.
        assert draws == (2 if model is simultaneous else 6)


def test_logits_mistake_applies_a_second_sigmoid_in_the_named_loss():
    p_real = np.array([[0.9], [0.6]], "float32")
    p_fake = np.array([[0.1], [0.3]], "float32")

    def np_log_sigmoid(x):
        return -np.log1p(np.exp(-np.asarray(x, "float64")))

    expected = (-np.mean(np_log_sigmoid(p_real)) - 2 * np.mean(np_log_sigmoid(-p_fake)))
    value = vaegan_tf.losses.discriminator_loss(p_real, p_fake, p_fake, from_logits=True)
    assert float(value) == pytest.approx(expected, rel=1e-5)
    # With σ applied twice, D's loss cannot fall below −ln σ(1) − 2 ln(1 − σ(0)) ≈ 1.70.
    floor = float(vaegan_tf.losses.discriminator_loss(
        np.ones((2, 1), "float32"), np.zeros((2, 1), "float32"),
        np.zeros((2, 1), "float32"), from_logits=True))
    assert floor == pytest.approx(-np_log_sigmoid(1.0) + 2 * np.log(2), rel=1e-5)


def test_feature_log_likelihood_mean_is_the_sum_over_the_feature_count():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(2, 4, 3200)).astype("float32")
    summed = float(vaegan_tf.losses.feature_log_likelihood(real, fake))
    averaged = float(vaegan_tf.losses.feature_log_likelihood(real, fake, "mean"))
    assert averaged == pytest.approx(summed / 3200, rel=1e-5)


def test_logits_mistake_takes_effect_inside_a_traced_step(mnist_like_batch):
    """Keras 3 reroutes a from-logits BCE on a sigmoid layer's output to the layer's logits
    (undoing the mistake) when traced; the loss must still see σ applied twice."""
    import tensorflow as tf

    model = build_vaegan("mnist", seed=0, logits_mistake="discriminator")
    score = model.discriminator.get_layer("prob")
    score.kernel.assign(np.zeros(score.kernel.shape, "float32"))
    score.bias.assign([20.0])  # D(·) = σ(20) ≈ 1 for every image
    traced = tf.function(lambda x: model.compute_losses(x, training=True))
    # σ applied twice: −ln σ(1) − 2 ln(1 − σ(1)) = 2.939; the exact BCE would be about 40.
    expected = math.log1p(math.exp(-1.0)) + 2 * math.log1p(math.exp(1.0))
    assert float(traced(mnist_like_batch)["discriminator_loss"]) == pytest.approx(expected,
                                                                                 rel=1e-4)


FRESH_MODELS = """
import hashlib, keras, numpy as np, tensorflow as tf
from vaegan_tf import cli
from vaegan_tf.presets import get_preset
tf.config.experimental.enable_op_determinism()
images = np.random.default_rng(0).uniform(-1, 1, (2, 100, 28, 28, 1)).astype("float32")
for _ in range(5):
    keras.utils.set_random_seed(0)
    model = cli.compiled_model(get_preset("mnist"), seed=0)
    for batch in images:
        model.train_on_batch(batch)
    print(hashlib.sha1(b"".join(np.asarray(v).tobytes() for v in model.weights)).hexdigest())
"""


def test_fresh_models_take_identical_steps_at_the_real_width():
    """Issue 13: the updates of a step wait for all of its gradients (``after_all``). Before,
    the decoder's update raced with the backward passes through the decoder: of 10 fresh
    real-width models, one traced step gave 3 different sets of weights."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", FRESH_MODELS], capture_output=True,
                            text=True, check=True, timeout=300)
    digests = result.stdout.split()
    assert len(digests) == 5 and len(set(digests)) == 1

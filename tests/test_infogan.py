"""InfoGAN: the information loss against NumPy, the code accuracy's mapping, the Q head trained
by both optimizers (or by D's alone), z's scale inside the generator, the traversal grid, and
training through the command line."""

import json

import numpy as np
import pytest

from vaegan_tf import build_model, get_preset, optimizers_for
from vaegan_tf.losses.infogan import information_loss
from vaegan_tf.metrics.evaluation import code_accuracy
from vaegan_tf.networks.gan import Q_HEAD_PREFIX


def test_the_information_loss_matches_numpy():
    rng = np.random.default_rng(0)
    predicted = rng.normal(size=(6, 5)).astype("float32")
    values = np.array([0, 1, 2, 0, 1, 2])
    continuous = rng.uniform(-1, 1, (6, 2)).astype("float32")
    codes = np.concatenate([np.eye(3)[values], continuous], axis=1).astype("float32")
    logits = predicted[:, :3]
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    cross_entropy = -np.mean(log_softmax[np.arange(6), values])
    gaussian = np.mean(np.sum(0.5 * (continuous - predicted[:, 3:]) ** 2, axis=1))
    assert float(information_loss(predicted, codes, 3, 1.0, 0.1)) == pytest.approx(
        cross_entropy + 0.1 * gaussian, rel=1e-5)


def test_code_accuracy_takes_the_best_one_to_one_mapping():
    values = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    predicted = np.array([7, 7, 3, 3, 3, 1, 1, 7])  # value 0 → 7, 1 → 3, 2 → 1
    result = code_accuracy(np.eye(10)[predicted], values)
    assert result["code_to_class"] == [7, 3, 1]
    assert result["code_accuracy"] == pytest.approx(6 / 8)
    counts = np.zeros((3, 10), int)
    counts[0, [7, 3]], counts[1, 3], counts[2, [1, 7]] = [2, 1], 2, [2, 1]
    assert result["code_class_counts"] == counts.tolist()
    # one-to-one: two values that both mostly give 7 cannot both map to it
    clash = code_accuracy(np.eye(10)[[7, 7, 7, 7]], np.array([0, 0, 1, 1]))
    assert clash["code_accuracy"] == 0.5


def toy(**overrides):
    preset = get_preset("infogan-mnist").replace(latent_dim=8, dense_units=16,
                                                 generator_filters=4, discriminator_filters=4,
                                                 q_units=8, **overrides)
    model = build_model(preset, seed=0)
    model.compile(**optimizers_for(model, preset))
    return model


def q_head_variables(model):
    return [v for layer in model.discriminator.layers if layer.name.startswith(Q_HEAD_PREFIX)
            for v in layer.trainable_variables]


def test_the_q_head_is_trained_by_both_optimizers_and_the_generator_by_its_own():
    model = toy()
    q_head = q_head_variables(model)
    generator_vars = model.optimizer_trained_variables("generator")
    assert {id(v) for v in q_head} <= {id(v) for v in generator_vars}
    assert {id(v) for v in q_head} <= {id(v) for v in model.discriminator.trainable_variables}
    # with D's rate 0, the generator's optimizer alone still moves the Q head
    model.optimizer_of("discriminator").learning_rate.assign(0.0)
    before = [v.numpy().copy() for v in q_head]
    trunk = [v.numpy().copy() for v in model.discriminator.trainable_variables
             if all(v is not q for q in q_head)]
    logs = model.train_step(np.random.default_rng(1).uniform(-1, 1, (8, 28, 28, 1)).astype(
        "float32"))
    assert all(not np.array_equal(b, v.numpy()) for b, v in zip(before, q_head, strict=True))
    assert all(np.array_equal(b, v.numpy()) for b, v in zip(trunk, [
        v for v in model.discriminator.trainable_variables if all(v is not q for q in q_head)],
        strict=True))
    assert float(logs["information_loss"]) > 0.0


def test_without_q_trained_by_generator_only_the_discriminators_optimizer_moves_q():
    model = toy(q_trained_by_generator=False)
    q_head = q_head_variables(model)
    assert not {id(v) for v in q_head} & {
        id(v) for v in model.optimizer_trained_variables("generator")}
    assert model.get_config()["q_trained_by_generator"] is False
    model.optimizer_of("discriminator").learning_rate.assign(0.0)
    before = [v.numpy().copy() for v in q_head]
    generator = [v.numpy().copy() for v in model.generator.trainable_variables]
    model.train_step(np.random.default_rng(1).uniform(-1, 1, (8, 28, 28, 1)).astype("float32"))
    assert all(np.array_equal(b, v.numpy()) for b, v in zip(before, q_head, strict=True))
    assert any(not np.array_equal(b, v.numpy()) for b, v in zip(
        generator, model.generator.trainable_variables, strict=True))


def test_noise_scale_multiplies_z_inside_the_generator():
    # Keras' default initialisers: DCGAN's N(0, 0.02) leaves a toy generator's output ~1e-5
    scaled, plain = toy(noise_scale=0.5, weight_init_stddev=0.0), toy(weight_init_stddev=0.0)
    scaled.generator.set_weights(plain.generator.get_weights())  # Rescaling has no weights
    rng = np.random.default_rng(2)
    latents = rng.standard_normal((3, 8)).astype("float32")
    codes = np.asarray(plain.codes(np.array([0, 4, 9]), rng.uniform(-1, 1, (3, 2))))
    np.testing.assert_allclose(np.asarray(scaled.generate(latents, codes)),
                               np.asarray(plain.generate(0.5 * latents, codes)), atol=1e-5)
    # and z's scale matters to the plain generator, so an ignored noise_scale would fail above
    assert np.max(np.abs(np.asarray(plain.generate(latents, codes))
                         - np.asarray(plain.generate(0.5 * latents, codes)))) > 1e-2
    assert "noise_scale" not in {layer.name for layer in plain.generator.layers}
    with pytest.raises(ValueError, match="noise_scale must be positive"):
        get_preset("infogan-mnist").replace(noise_scale=0.0)


def test_sampling_and_the_traversal_use_the_codes():
    model = toy()
    grid = model.traversal(5, seed=0)
    assert grid.shape == (10, 5, 28, 28, 1)
    assert not np.allclose(grid[0, 0], grid[0, -1])  # the continuous code moves the image
    assert not np.allclose(grid[0, 2], grid[1, 2])   # and so does the categorical one
    np.testing.assert_array_equal(np.asarray(model.sample(4, seed=3)),
                                  np.asarray(model.sample(4, seed=3)))
    with pytest.raises(ValueError, match="needs 3 code values"):
        model.sample(3, conditions=[1, 2])
    with pytest.raises(ValueError, match="set no num_classes"):
        get_preset("infogan-mnist").replace(num_classes=10)


def test_train_writes_traversals_and_the_code_accuracy(tmp_path):
    from vaegan_tf.__main__ import main

    run = tmp_path / "run"
    assert main(["train", "--preset", "infogan-mnist", "--limit", "192", "--epochs", "2",
                 "--metrics-samples", "200", "--quiet", "--seed", "0", "--set", "latent_dim=8",
                 "--set", "dense_units=16", "--set", "generator_filters=4", "--set",
                 "discriminator_filters=4", "--set", "q_units=8", "--out", str(run)]) == 0
    history = json.loads((run / "history.json").read_text())
    assert {"information_loss", "code_accuracy", "mnist_fid"} <= set(history)
    assert all(0.1 <= value <= 1.0 for value in history["code_accuracy"])
    metrics = json.loads((run / "metrics.json").read_text())
    assert sorted(metrics[-1]["code_to_class"]) == list(range(10))
    assert np.sum(metrics[-1]["code_class_counts"]) == 200  # --metrics-samples
    assert "code_class_counts" not in history
    # evaluate scores the code as training did (not as class labels: no class_match)
    assert main(["evaluate", "--model", str(run), "--samples", "200", "--json",
                 str(tmp_path / "e.json")]) == 0
    scores = json.loads((tmp_path / "e.json").read_text())
    assert "class_match" not in scores
    assert scores["code_accuracy"] == pytest.approx(metrics[-1]["code_accuracy"])
    assert sorted(path.name for path in run.glob("traversal_at_epoch_*.png")) == [
        "traversal_at_epoch_000.png", "traversal_at_epoch_001.png"]


def test_the_face_preset_trains_two_epochs_on_lfw_mini(tmp_path):
    from vaegan_tf.__main__ import main

    run = tmp_path / "faces"
    assert main(["train", "--preset", "infogan-faces", "--epochs", "2", "--batch-size", "16",
                 "--quiet", "--seed", "0", "--set", "latent_dim=8", "--set",
                 "generator_filters=4", "--set", "discriminator_filters=4", "--set", "q_units=8",
                 "--out", str(run)]) == 0
    history = json.loads((run / "history.json").read_text())
    assert len(history["information_loss"]) == 2 and (run / "traversal_at_epoch_001.png").is_file()

"""BEGAN: its losses and k_t control against NumPy, k_t as model state (saved, loaded,
resumed after SIGKILL as an uninterrupted run has it), training through the command line."""

import json

import keras
import numpy as np
import pytest

from vaegan_tf import build_model, get_preset, optimizers_for
from vaegan_tf.losses import began

TOY = ["--set", "latent_dim=8", "--set", "hidden_dim=8", "--set", "encoder_filters=4,8"]


def test_losses_and_the_k_update_match_numpy():
    rng = np.random.default_rng(0)
    x, reconstruction = rng.uniform(-1, 1, (2, 4, 6, 6, 1))
    assert float(began.reconstruction_l1(x, reconstruction)) == pytest.approx(
        np.mean(np.abs(x - reconstruction)), rel=1e-6)
    real, fake, k = np.float32(0.4), np.float32(0.3), np.float32(0.25)
    assert float(began.discriminator_loss(real, fake, k)) == pytest.approx(real - k * fake)
    assert float(began.convergence(real, fake, 0.5)) == pytest.approx(real + abs(0.5 * real - fake))
    assert float(began.k_update(k, real, fake, 0.5, 0.001)) == pytest.approx(
        k + 0.001 * (0.5 * real - fake))
    assert float(began.k_update(np.float32(0.0005), real, fake, 0.5, 0.01)) == 0.0  # at 0
    assert float(began.k_update(np.float32(0.9995), np.float32(1), np.float32(0), 0.5,
                                0.01)) == 1.0  # and at 1


def toy_model(**overrides):
    preset = get_preset("began-mnist").replace(latent_dim=8, hidden_dim=8, encoder_filters=(4, 8),
                                               **overrides)
    model = build_model(preset, seed=0)
    model.compile(**optimizers_for(model, preset))
    return model


def test_a_step_moves_k_by_the_control_rule_and_the_logs_hold_it():
    model = toy_model(k_initial=0.2, lambda_k=0.05)
    images = np.random.default_rng(1).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    keras.utils.set_random_seed(3)
    real, fake = (float(value) for value in model.reconstruction_losses(images, False))
    logs = model.train_step(images)
    # the control uses the losses of the step's own forward pass (training-mode batch norm is
    # off here: the preset has none, so the eval-mode losses are the same numbers)
    real_step = float(logs["real_reconstruction_loss"])
    fake_step = float(logs["generator_loss"])
    assert float(logs["k"]) == pytest.approx(0.2)
    assert float(model.model_state["k"]) == pytest.approx(
        np.clip(0.2 + 0.05 * (0.5 * real_step - fake_step), 0, 1), rel=1e-5)
    assert real == pytest.approx(real_step, rel=1e-5)  # same images, no batch norm
    assert np.isfinite(fake)


def test_k_is_saved_and_loaded_with_the_model(tmp_path):
    model = toy_model()
    model.model_state["k"].assign(0.375)
    model.save(tmp_path / "began.keras")
    loaded = keras.saving.load_model(tmp_path / "began.keras")
    assert float(loaded.model_state["k"]) == 0.375
    assert loaded.gamma == 0.5 and loaded.lambda_k == 0.001


def test_a_killed_and_resumed_run_has_the_k_of_an_uninterrupted_one(tmp_path):
    from test_resume import _cli, _whole_and_killed

    run = ["train", "--preset", "began-mnist", "--limit", "192", "--batch-size", "32",
           "--epochs", "3", "--metrics-every", "0", "--no-validation", "--quiet", "--seed", "4",
           "--deterministic", "--set", "lambda_k=0.05", *TOY]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    _whole_and_killed(run, whole, killed, kill_at="1,2")
    resumed = _cli("train", "--resume", str(killed))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    expected = json.loads((whole / "history.json").read_text())
    got = json.loads((killed / "history.json").read_text())
    for key in ("k", "convergence", "generator_loss"):
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, err_msg=key)
    assert expected["k"][-1] > 0.0
    states = [float(keras.saving.load_model(path / "model.keras").model_state["k"])
              for path in (whole, killed)]
    assert states[0] == pytest.approx(states[1], rel=1e-6) and states[0] > 0.0


def test_the_face_preset_trains_two_epochs_on_lfw_mini(tmp_path):
    from vaegan_tf.__main__ import main

    run = tmp_path / "faces"
    assert main(["train", "--preset", "began-faces", "--epochs", "2", "--batch-size", "16",
                 "--quiet", "--seed", "0", "--set", "latent_dim=8", "--set", "hidden_dim=8",
                 "--set", "encoder_filters=4,4,4", "--out", str(run)]) == 0
    history = json.loads((run / "history.json").read_text())
    assert len(history["k"]) == 2 and all(np.isfinite(history["convergence"]))

"""The VAE-pretrained LSGAN (seed 000): the seed's layer tables, the decoder handed to the
generator, the least-squares targets with label noise and swaps, instance noise, and one
command that runs both stages and resumes a run killed in either."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from vaegan_tf import get_preset
from vaegan_tf.gan import build_vae_lsgan
from vaegan_tf.losses import least_squares
from vaegan_tf.models import optimizers_for
from vaegan_tf.networks import transfer_decoder_weights
from vaegan_tf.presets import VAEPreset
from vaegan_tf.vae import build_vae


def trainable(network):
    return sum(int(np.prod(weight.shape)) for weight in network.trainable_weights)


def test_faces_networks_are_the_seeds_layer_tables():
    """Seed 000's torchsummary tables count trainable parameters (a batch norm: 2 per
    channel, as Keras' trainable ones): generator 1,842,531, discriminator 913,921, the VAE
    3,928,329; the generator ends in ConvT 32 → BN → LeakyReLU → 3×3 conv → tanh."""
    preset = get_preset("vae-lsgan-faces")
    model = build_vae_lsgan(preset)
    assert trainable(model.generator) == 1_842_531
    assert trainable(model.discriminator) == 913_921
    vae = build_vae(preset.pretraining())
    assert trainable(vae.encoder) + trainable(vae.decoder) == 3_928_329
    kinds = [type(layer).__name__ for layer in model.generator.layers[-5:]]
    assert kinds == ["Conv2DTranspose", "BatchNormalization", "LeakyReLU", "Conv2D",
                     "Activation"]
    assert model.generator.layers[-4].output.shape == (None, 64, 64, 32)
    assert model.generator.layers[-2].kernel.shape == (3, 3, 32, 3)
    assert model.discriminator.output_shape == (None, 1)


def test_the_decoder_starts_the_generator():
    """Every layer before the decoder's last transposed convolution is copied (weights and
    batch-norm statistics); the refining block keeps its own initial weights."""
    preset = get_preset("vae-lsgan-mnist").replace(latent_dim=8, encoder_filters=(4, 6))
    vae, gan = build_vae(preset.pretraining(), seed=1), build_vae_lsgan(preset, seed=2)
    for layer in vae.decoder.layers:
        for weight in layer.weights:
            weight.assign(np.random.default_rng(0).normal(size=weight.shape))
    refining = [weight.numpy().copy() for weight in gan.generator.weights[-6:]]
    assert transfer_decoder_weights(vae.decoder, gan.generator) == 3  # dense, ConvT, BN
    source = [layer for layer in vae.decoder.layers if layer.weights][:3]
    target = [layer for layer in gan.generator.layers if layer.weights][:3]
    for from_layer, to_layer in zip(source, target, strict=True):
        for a, b in zip(from_layer.weights, to_layer.weights, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    for before, weight in zip(refining, gan.generator.weights[-6:], strict=True):
        np.testing.assert_array_equal(before, weight.numpy())
    other = build_vae_lsgan(preset.replace(latent_dim=9))
    with pytest.raises(ValueError, match="another preset"):
        transfer_decoder_weights(vae.decoder, other.generator)


def test_training_targets_against_numpy():
    real, fake = least_squares.training_targets(0.0, 1.0, np.array([[0.1], [-0.2]]),
                                                np.array([[0.05], [0.0]]))
    np.testing.assert_allclose(np.asarray(real), [[1.1], [0.8]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(fake), [[0.05], [0.0]], rtol=1e-6)
    real, fake = least_squares.training_targets(0.0, 1.0, np.zeros((2, 1)), np.zeros((2, 1)),
                                                swapped=True)
    np.testing.assert_array_equal(np.asarray(real), [[0.0], [0.0]])
    np.testing.assert_array_equal(np.asarray(fake), [[1.0], [1.0]])


def _compiled(**fields):
    preset = get_preset("vae-lsgan-mnist").replace(latent_dim=8, encoder_filters=(4, 4),
                                                   discriminator_filters=(4, 4),
                                                   discriminator_units=8, **fields)
    model = build_vae_lsgan(preset, seed=4)
    model.compile(**optimizers_for(model, preset))
    return model


@pytest.mark.parametrize(("done", "swapped"), [(0, False), (14, False), (15, True), (31, True)])
def test_every_sixteenth_discriminator_step_swaps_the_targets(done, swapped):
    """D's loss in its (done + 1)-th step, without label noise, against NumPy: real images
    regress to b = 1 and fakes to a = 0, or the other way round in steps 16, 32, ..."""
    model = _compiled(label_noise=0.0)
    model.optimizer_of("discriminator").iterations.assign(done)
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (6, 28, 28, 1)).astype("float32")
    fake = rng.uniform(-1, 1, (6, 28, 28, 1)).astype("float32")
    loss = float(model.discriminator_loss(real, fake, None, training=True))
    real_scores = np.asarray(model.score(real, training=True))
    fake_scores = np.asarray(model.score(fake, training=True))
    real_target, fake_target = (0.0, 1.0) if swapped else (1.0, 0.0)
    expected = 0.5 * np.mean((real_scores - real_target) ** 2) + 0.5 * np.mean(
        (fake_scores - fake_target) ** 2)
    assert loss == pytest.approx(expected, rel=1e-5)


def test_label_noise_is_gaussian_around_each_target():
    model = _compiled(label_noise=0.1, label_swap_every=0)
    real, fake = (np.asarray(targets) for targets in model._noisy_targets((20000, 1)))
    assert real.mean() == pytest.approx(1.0, abs=0.005) and real.std() == pytest.approx(
        0.1, rel=0.03)
    assert fake.mean() == pytest.approx(0.0, abs=0.005) and fake.std() == pytest.approx(
        0.1, rel=0.03)
    assert not np.allclose(real - 1.0, fake)  # two draws


def test_instance_noise_reaches_the_discriminator_step():
    """Two models alike but for ``input_noise``: the same step moves D differently, and the
    noise added has the σ asked for."""
    batch = np.random.default_rng(1).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    quiet, noisy = (_compiled(label_noise=0.0, label_swap_every=0, input_noise=sigma)
                    for sigma in (0.0, 0.5))
    noisy.set_weights(quiet.get_weights())
    quiet.discriminator_step(batch, None)
    noisy.discriminator_step(batch, None)
    assert not np.allclose(quiet.discriminator.get_weights()[0],
                           noisy.discriminator.get_weights()[0])
    added = np.asarray(noisy._with_input_noise(np.zeros((20000, 1), "float32")))
    assert added.std() == pytest.approx(0.5, rel=0.03)
    np.testing.assert_array_equal(np.asarray(quiet._with_input_noise(batch)), batch)


def test_preset_checks_and_the_vae_stage():
    preset = get_preset("vae-lsgan-faces").replace(
        kl_weight=0.001, pretrain_epochs=3,
        network_optimizers={"encoder": {"learning_rate": 1e-3},
                            "discriminator": {"learning_rate": 1e-4}})
    stage = preset.pretraining()
    assert type(stage) is VAEPreset and stage.name == "vae-lsgan-faces-pretrain"
    assert (stage.epochs, stage.kl_weight, stage.latent_dim) == (3, 0.001, 128)
    assert stage.network_optimizers == {"encoder": {"learning_rate": 1e-3}}
    with pytest.raises(ValueError, match="least-squares targets"):
        preset.replace(loss="non_saturating")
    with pytest.raises(ValueError, match="one discriminator step"):
        preset.replace(discriminator_steps=2)
    with pytest.raises(ValueError, match="label_swap_every must be >= 0"):
        preset.replace(label_swap_every=-1)
    with pytest.raises(ValueError, match="label_noise and label_swap_every"):
        get_preset("dcgan-mnist").replace(label_noise=0.1)


# ---------------------------------------------------------------------------- the command

TOY = ["--set", "latent_dim=8", "--set", "encoder_filters=4,4", "--set",
       "discriminator_filters=4,4", "--set", "discriminator_units=8", "--set",
       "pretrain_epochs=2"]
RUN = ["train", "--preset", "vae-lsgan-mnist", "--limit", "192", "--batch-size", "32",
       "--epochs", "2", "--metrics-every", "0", "--seed", "3", "--deterministic", "--quiet",
       "--jit", "off", *TOY]

KILLED_CHILD = str(Path(__file__).parent / "killed_child.py")


def _cli(*argv, kill_in=None):
    """The CLI in a fresh process; with ``kill_in`` ("pretrain,1,2": stage, epoch, batch)
    SIGKILLed there (tests/killed_child.py)."""
    if kill_in is None:
        return subprocess.run([sys.executable, "-m", "vaegan_tf", *argv], capture_output=True,
                              text=True, timeout=600)
    stage, at = kill_in.split(",", 1)
    return subprocess.run([sys.executable, KILLED_CHILD, *argv], capture_output=True,
                          text=True, timeout=600,
                          env={**os.environ, "KILL_STAGE": stage, "KILL_AT": at})


@pytest.fixture(scope="module")
def staged_runs(tmp_path_factory):
    """An uninterrupted run, one killed in the VAE stage and one killed in the LSGAN stage,
    each killed one resumed (two at a time: a toy run keeps about one core busy)."""
    root = tmp_path_factory.mktemp("vae_lsgan")
    whole, in_vae, in_gan = root / "whole", root / "in_vae", root / "in_gan"
    with ThreadPoolExecutor(2) as pool:
        first = [pool.submit(_cli, *RUN, "--out", str(whole)),
                 pool.submit(_cli, *RUN, "--out", str(in_vae), kill_in="pretrain,1,2")]
        results = {"whole": first[0].result(), "vae_death": first[1].result()}
        stopped = {"vae_files": sorted(path.name for path in in_vae.iterdir()),
                   "vae_state": json.loads((in_vae / "pretrain/backup/state.json").read_text())}
        second = [pool.submit(_cli, "train", "--resume", str(in_vae)),
                  pool.submit(_cli, *RUN, "--out", str(in_gan), kill_in="gan,0,2")]
        results |= {"vae_resumed": second[0].result(), "gan_death": second[1].result()}
    stopped["gan_state"] = json.loads((in_gan / "backup/state.json").read_text()) if (
        in_gan / "backup/state.json").exists() else None
    results["gan_resumed"] = _cli(*RUN, "--out", str(in_gan))
    return root, results, stopped


def test_one_command_trains_both_stages_into_one_run_directory(staged_runs):
    root, results, _ = staged_runs
    assert results["whole"].returncode == 0, results["whole"].stderr[-2000:]
    whole = root / "whole"
    assert "Stage 1 of 2" in results["whole"].stdout and "Stage 2 of 2" in results[
        "whole"].stdout
    stage = json.loads((whole / "pretrain/history.json").read_text())
    assert len(stage["encoder_loss"]) == 2 and "discriminator_loss" not in stage
    history = json.loads((whole / "history.json").read_text())
    assert len(history["discriminator_loss"]) == 2 and "encoder_loss" not in history
    assert (whole / "image_at_epoch_001.png").is_file()
    assert (whole / "pretrain/image_at_epoch_001.png").is_file()
    config = json.loads((whole / "config.json").read_text())
    assert config["preset"]["label_swap_every"] == 16 and config["preset"]["pretrain_epochs"] == 2


def test_a_run_killed_in_the_vae_stage_resumes_there(staged_runs):
    root, results, stopped = staged_runs
    assert results["vae_death"].returncode < 0  # SIGKILL
    assert stopped["vae_files"] == [".lock", "pretrain"] and stopped["vae_state"]["epoch"] == 1
    resumed = results["vae_resumed"]
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "after epoch 1 of 2" in resumed.stdout and "Stage 2 of 2" in resumed.stdout
    _assert_same_run(root / "whole", root / "in_vae")


def test_a_run_killed_in_the_gan_stage_resumes_there(staged_runs):
    root, results, stopped = staged_runs
    assert results["gan_death"].returncode < 0
    assert stopped["gan_state"] is None  # killed in its first LSGAN epoch: no backup yet
    resumed = results["gan_resumed"]
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "Stage 1 of 2" not in resumed.stdout  # the VAE stage was complete
    _assert_same_run(root / "whole", root / "in_gan")


def _assert_same_run(whole, resumed):
    for history in ("pretrain/history.json", "history.json"):
        expected = json.loads((whole / history).read_text())
        got = json.loads((resumed / history).read_text())
        assert sorted(got) == sorted(expected)
        for key in expected:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, err_msg=key)


def test_the_vae_stage_folder_is_not_a_run_of_its_own(staged_runs, capsys):
    from vaegan_tf.commands import train

    root, _, _ = staged_runs
    with pytest.raises(SystemExit):
        train.main(["--resume", str(root / "whole" / "pretrain")])
    assert "first stage of the run" in capsys.readouterr().err
    other = root / "other"
    (other / "pretrain").mkdir(parents=True)
    (other / "pretrain" / "notes.txt").write_text("mine")
    assert train.main([*RUN[1:], "--out", str(other)]) == 2
    assert "pretrain" in capsys.readouterr().err


def test_the_face_preset_trains_two_epochs_on_lfw_mini(tmp_path):
    from vaegan_tf.__main__ import main

    run = tmp_path / "faces"
    assert main(["train", "--preset", "vae-lsgan-faces", "--epochs", "2", "--batch-size", "16",
                 "--quiet", "--seed", "0", "--jit", "off", "--set", "latent_dim=8",
                 "--set", "encoder_filters=4,4,4,4,4", "--set", "discriminator_filters=4,4,4,4",
                 "--set", "discriminator_units=8", "--set", "pretrain_epochs=2",
                 "--out", str(run)]) == 0
    for folder, key in ((run / "pretrain", "val_reconstruction_loss"),
                        (run, "val_discriminator_loss")):
        history = json.loads((folder / "history.json").read_text())
        assert len(history[key]) == 2 and all(np.isfinite(history[key]))
        assert (folder / "face_at_epoch_001.png").is_file()

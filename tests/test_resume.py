"""Resume: a run killed mid-epoch continues to the same end as an uninterrupted run; the
backup, latest and best checkpoints; the data order as a function of seed and epoch."""

import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from vaegan_tf import adam_optimizers, build_vaegan, get_preset
from vaegan_tf.callbacks import RunBackup, file_sha256
from vaegan_tf.data import EpochShuffle, mnist

TINY = ["--set", "latent_dim=8", "--set", "dense_units=16", "--set", "conv_filters=8,16",
        "--set", "decoder_filters=8"]
RUN = ["train", "--limit", "240", "--batch-size", "20", "--epochs", "6", "--sample-every", "2",
       "--metrics-every", "0", "--schedule", "4", "--seed", "5", "--deterministic", "--quiet",
       "--jit", "off", *TINY]  # no XLA compile per toy run (test_scripts runs the default)

KILLED_CHILD = str(Path(__file__).parent / "killed_child.py")


def _cli(*argv, kill_at=None):
    """The CLI in a fresh process; SIGKILLed at ``kill_at`` (tests/killed_child.py)."""
    command = [sys.executable, *([KILLED_CHILD] if kill_at else ["-m", "vaegan_tf"]), *argv]
    env = {**os.environ, "KILL_AT": kill_at} if kill_at else None
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)


def _whole_and_killed(run, whole, killed, kill_at):
    """The uninterrupted run and the run SIGKILLed at ``kill_at``, at once (a toy run keeps
    about one core busy); asserts the first finished and returns the killed one's result."""
    with ThreadPoolExecutor(2) as pool:
        whole_run = pool.submit(_cli, *run, "--out", str(whole))
        death = pool.submit(_cli, *run, "--out", str(killed), kill_at=kill_at)
        assert whole_run.result().returncode == 0
        return death.result()


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    whole, killed = root / "whole", root / "killed"
    death = _whole_and_killed(RUN, whole, killed, kill_at="4,5")
    after_kill = {
        "state": RunBackup.read_state(killed / "backup"),
        "rows": len((killed / "history.csv").read_text().splitlines()) - 1,
        "backup": sorted(p.name for p in (killed / "backup").iterdir()),
        "run": sorted(p.name for p in killed.iterdir()),
        "model_sha256": file_sha256(killed / "model.keras"),
    }
    resumed = _cli("train", "--resume", str(killed))
    return whole, killed, death, after_kill, resumed


def test_sigkilled_run_left_the_last_finished_epoch(killed_and_resumed):
    _, _, death, after_kill, _ = killed_and_resumed
    assert death.returncode == -signal.SIGKILL
    assert after_kill["state"]["epoch"] == 4 and after_kill["rows"] == 4
    # The backup is the resume state only: its weights and optimizers are the run's one
    # model.keras, which it names with its SHA-256.
    assert after_kill["backup"] == ["state.json", "state.previous.json"]
    assert after_kill["state"]["model"] == "../model.keras"
    assert after_kill["state"]["sha256"] == after_kill["model_sha256"]
    assert "model.keras" in after_kill["run"] and "latest" not in after_kill["run"]


def test_resumed_run_ends_like_the_uninterrupted_one(killed_and_resumed):
    whole, killed, _, _, resumed = killed_and_resumed
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "Resuming" in resumed.stdout and "after epoch 4 of 6" in resumed.stdout
    expected = json.loads((whole / "history.json").read_text())
    got = json.loads((killed / "history.json").read_text())
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert len(got[key]) == 6, key
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, err_msg=key)
    rates = [key for key in expected if key.endswith("_learning_rate")]
    assert len(rates) == 3 and got["discriminator_learning_rate"][0] == pytest.approx(5e-4)
    assert any(len(set(expected[key])) > 1 for key in rates)  # schedule 4 did decay
    for key in rates:  # the schedule's buffers were restored: the same decisions
        assert got[key] == expected[key], key
    assert len((killed / "history.csv").read_text().splitlines()) == 7
    grids = sorted(p.name for p in killed.glob("image_at_epoch_*.png"))
    assert grids == ["image_at_epoch_001.png", "image_at_epoch_003.png",
                     "image_at_epoch_005.png"]
    for name in grids:  # grid latents continued from the restored generator
        assert (killed / name).read_bytes() == (whole / name).read_bytes(), name
    config = json.loads((killed / "config.json").read_text())
    assert config["resumed_from_epoch"] == 4 and config["run"]["epochs"] == 6


def test_same_command_again_on_a_finished_run_does_nothing(killed_and_resumed):
    whole = killed_and_resumed[0]
    before = (whole / "history.csv").read_bytes()
    again = _cli(*RUN, "--out", str(whole))
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert (whole / "history.csv").read_bytes() == before


def test_resuming_with_another_configuration_is_refused(killed_and_resumed, capsys):
    from vaegan_tf.commands import train

    whole = killed_and_resumed[0]
    state = (whole / "backup" / "state.json").read_bytes()
    argv = [*RUN[1:], "--out", str(whole), "--set", "latent_dim=4"]
    assert train.main(argv) == 2
    assert "latent_dim=8, not 4" in capsys.readouterr().err
    assert (whole / "backup" / "state.json").read_bytes() == state


def test_resume_of_a_folder_without_a_run_is_a_usage_error(tmp_path, capsys):
    from vaegan_tf.commands import train

    with pytest.raises(SystemExit) as exit_info:
        train.main(["--resume", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "no readable run configuration" in capsys.readouterr().err


def test_best_checkpoint_holds_the_sampling_networks_of_the_best_epoch(killed_and_resumed):
    whole = killed_and_resumed[0]
    history = json.loads((whole / "history.json").read_text())
    best = json.loads((whole / "best" / "best.json").read_text())
    losses = history["val_encoder_loss"]
    assert best == {"epoch": int(np.argmin(losses)), "monitor": "val_encoder_loss",
                    "value": min(losses)}
    assert sorted(p.name for p in (whole / "best").iterdir()) == [
        "best.json", "decoder.keras", "encoder.keras", "model.json"]
    decoder = keras.models.load_model(whole / "best" / "decoder.keras", safe_mode=True)
    assert decoder.output_shape == (None, 28, 28, 1)
    assert not list(whole.rglob(".partial-*"))
    # One whole-model file: the run holds model.keras and, besides it, two of its three
    # networks (the discriminator only trains).
    model_bytes = (whole / "model.keras").stat().st_size
    total = sum(p.stat().st_size for p in whole.rglob("*") if p.is_file())
    network_bytes = sum(p.stat().st_size for p in (whole / "best").glob("*.keras"))
    assert network_bytes < 0.5 * model_bytes
    assert total < model_bytes + network_bytes + 2_000_000  # grids, history, logs
    from vaegan_tf import cli

    sampler = cli.load_model(whole / "best")
    np.testing.assert_array_equal(sampler.decoder.get_weights()[0],
                                  decoder.get_weights()[0])
    assert sampler.sample(2, seed=0).shape == (2, 28, 28, 1)


def _tiny_model():
    preset = get_preset("mnist").replace(latent_dim=8, dense_units=16, conv_filters=(8, 16),
                                         decoder_filters=8)
    model = build_vaegan(preset, seed=0)
    model.compile(**adam_optimizers())
    return model, preset


def test_run_backup_restores_optimizers_rng_and_epoch(tmp_path):
    model, _ = _tiny_model()
    images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    backup = RunBackup(tmp_path, fingerprint={"a": 1})
    model.fit(images, epochs=2, batch_size=8, callbacks=[backup], verbose=0)
    model.decoder_optimizer.learning_rate.assign(1e-4)
    backup.on_epoch_end(1)  # saves again, now with the new rate
    copy, _ = _tiny_model()
    restored = RunBackup(tmp_path, fingerprint={"a": 1})
    restored.set_model(copy)
    restored.on_train_begin()
    assert restored.restored_epoch == 2 and copy._initial_epoch == 2
    assert float(copy.decoder_optimizer.learning_rate) == pytest.approx(1e-4)
    assert int(copy.encoder_optimizer.iterations) == 4
    for a, b in zip(model.variables, copy.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)
    with pytest.raises(ValueError, match="a=1, not 2"):
        other = RunBackup(tmp_path, fingerprint={"a": 2})
        other.set_model(copy)
        other.on_train_begin()


def test_a_kill_between_the_state_and_the_model_rename_resumes_the_previous_pair(tmp_path):
    """``state.json`` is written while the new model is still a temporary file: killed there,
    the new state names a model that never arrived, and the previous state is used."""
    model, _ = _tiny_model()
    images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    backup_dir = tmp_path / "backup"
    backup = RunBackup(backup_dir, fingerprint={"a": 1}, model_path=tmp_path / "model.keras")
    model.fit(images, epochs=2, batch_size=8, callbacks=[backup], verbose=0)
    state, restore_from = RunBackup.locate(backup_dir)
    assert state["epoch"] == 2 and restore_from == tmp_path / "model.keras"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup", "model.keras"]
    # Epoch 3's state was written, then the process died before its model was renamed.
    (backup_dir / "state.previous.json").write_text((backup_dir / "state.json").read_text())
    (backup_dir / "state.json").write_text(json.dumps({**state, "epoch": 3, "sha256": "0" * 64}))
    assert RunBackup.read_state(backup_dir)["epoch"] == 2
    # Without the previous pair, the changed model file is named, not loaded.
    (backup_dir / "state.previous.json").unlink()
    with pytest.raises(ValueError, match=r"model.keras: not the file .* SHA-256 differs"):
        RunBackup.read_state(backup_dir)
    with pytest.raises(ValueError, match=r"must be a \.keras file in"):
        RunBackup(backup_dir, model_path=tmp_path / "elsewhere" / "model.keras")


def test_epoch_order_is_a_function_of_seed_and_epoch():
    order = EpochShuffle(seed=3)
    numbers = order(tf.data.Dataset.range(50), count=50)
    epochs = [[int(x) for x in numbers] for _ in range(3)]  # each pass: the next epoch
    assert all(sorted(epoch) == list(range(50)) for epoch in epochs)
    assert epochs[0] != epochs[1] != epochs[2]
    again = EpochShuffle(seed=3)
    again.epoch.assign(1)  # a resumed run starting at epoch 1
    assert [int(x) for x in again(tf.data.Dataset.range(50), count=50)] == epochs[1]
    assert int(numbers.cardinality()) == 50


def test_mnist_training_data_carries_its_order():
    train = mnist("train", batch_size=10, limit=30, seed=0)
    assert isinstance(train.epoch_shuffle, EpochShuffle) and int(train.cardinality()) == 3
    assert not hasattr(mnist("test", batch_size=10, limit=30), "epoch_shuffle")


# A GAN with critic steps, a gradient penalty and its own noise draws: WGAN-GP at toy widths,
# 200 digits in steps of 5 critic batches of 10 (4 steps per epoch), killed in epoch 2; it
# keeps the generator of every 2nd epoch and every network of the latest.
GAN_RUN = ["train", "--preset", "wgan-gp-mnist", "--limit", "200", "--batch-size", "10",
           "--epochs", "4", "--sample-every", "1", "--metrics-every", "0", "--seed", "5",
           "--deterministic", "--quiet", "--set", "latent_dim=8", "--set", "dense_units=16",
           "--set", "generator_filters=4", "--set", "discriminator_filters=4",
           "--keep-every", "2", "--network-files", "--jit", "off"]


def test_sigkilled_gan_resumes_to_the_uninterrupted_run(tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    death = _whole_and_killed(GAN_RUN, whole, killed, kill_at="2,1")
    assert death.returncode == -signal.SIGKILL
    assert RunBackup.read_state(killed / "backup")["epoch"] == 2
    resumed = _cli("train", "--resume", str(killed))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "after epoch 2 of 4" in resumed.stdout
    expected = json.loads((whole / "history.json").read_text())
    got = json.loads((killed / "history.json").read_text())
    assert sorted(got) == sorted(expected) and "generator_loss" in got
    for key in expected:
        assert len(got[key]) == 4, key
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, err_msg=key)
    for epoch in range(4):  # grids from the restored generator and latents, byte for byte
        name = f"image_at_epoch_{epoch:03d}.png"
        assert (killed / name).read_bytes() == (whole / name).read_bytes(), name
    assert sorted(p.name for p in (whole / "latest").iterdir()) == [
        "discriminator.keras", "generator.keras", "model.json"]
    assert sorted(p.name for p in (whole / "epochs").iterdir()) == ["epoch_0002", "epoch_0004"]
    assert sorted(p.name for p in (killed / "epochs" / "epoch_0002").iterdir()) == [
        "generator.keras", "model.json"]
    from vaegan_tf import cli

    last, snapshot = cli.load_model(whole), cli.load_model(whole / "epochs" / "epoch_0004")
    for a, b in zip(last.generator.weights, snapshot.generator.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)
    assert not (whole / "best").exists()  # nothing to pick the best by

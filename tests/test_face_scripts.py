"""train_faces.py and compare_schedules.py end to end, in-process, with a shrunken face model."""

import csv
import json

import numpy as np
import pytest
from PIL import Image
from test_scripts import load_script

# The face architecture at toy widths: same layers and shapes of images, ~0.3 M parameters.
TINY = ["--set", "latent_dim=8", "--set", "dense_units=16", "--set", "conv_filters=8,16",
        "--set", "decoder_base_shape=15,15,8", "--set", "decoder_filters=8"]


@pytest.fixture(scope="module")
def face_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("faces")
    rng = np.random.default_rng(0)
    for index in range(24):
        Image.fromarray(rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)).save(
            root / f"{index:02d}.jpg")
    return root


@pytest.fixture(scope="module")
def face_run(face_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code = load_script("train_faces").main(
        ["--data", str(face_folder), "--epochs", "2", "--batch-size", "4", "--sample-every", "1",
         "--schedule", "4", "--out", str(out), *TINY])
    return code, out


def test_train_faces_writes_grids_gif_curves_and_split(face_run):
    code, out = face_run
    assert code == 0
    names = {path.name for path in out.iterdir()}
    assert {"face_at_epoch_000.png", "face_at_epoch_001.png", "vaegan_face.gif", "losses.png",
            "learning_rates.png", "split.json", "history.csv", "config.json", "model.keras",
            "logs"} <= names
    for plot, size in (("losses.png", (1200, 360)), ("learning_rates.png", (600, 360))):
        with Image.open(out / plot) as image:
            assert image.size == size
    with Image.open(out / "face_at_epoch_001.png") as grid:
        assert grid.size == (288, 288)
    split = json.loads((out / "split.json").read_text())
    assert (split["train_count"], split["validation_count"]) == (20, 4)  # round(24 · 0.15)
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert len(rows) == 2 and float(rows[0]["val_encoder_loss"]) > 0
    config = json.loads((out / "config.json").read_text())
    assert config["preset"]["name"] == "faces" and config["preset"]["schedule"] == 4
    assert config["preset"]["image_shape"] == [64, 64, 3]


def test_train_faces_records_its_data_source(face_run, face_folder):
    _, out = face_run
    config = json.loads((out / "config.json").read_text())
    assert config["run"]["data"] == str(face_folder)
    assert json.loads((out / "split.json").read_text())["source"] == str(face_folder)


def test_soft_label_preset_reaches_the_model(face_folder, tmp_path):
    code = load_script("train_faces").main(
        ["--data", str(face_folder), "--preset", "faces-soft-labels", "--epochs", "1",
         "--sample-every", "1",
         "--batch-size", "4", "--out", str(tmp_path), *TINY])
    assert code == 0
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["preset"]["real_label_range"] == [0.7, 1.2]
    assert config["preset"]["label_flip_probability"] == 0.05
    assert config["preset"]["schedule"] == 1


@pytest.mark.parametrize("make, message", [
    (lambda root: root.mkdir(), "No images in"),
    (lambda root: None, "does not exist"),
])
def test_bad_data_folder_exits_2_and_writes_nothing(tmp_path, capsys, make, message):
    folder = tmp_path / "my_faces"
    make(folder)
    out = tmp_path / "run"
    code = load_script("train_faces").main(["--data", str(folder), "--out", str(out)])
    error = capsys.readouterr().err
    assert code == 2 and message in error and str(folder) in error
    assert not out.exists()


@pytest.mark.parametrize("argv", [["--validation-fraction", "1"], ["--center-crop", "0"],
                                  ["--preset", "mnist"], ["--batch-size", "0"]])
def test_face_usage_errors(argv):
    with pytest.raises(SystemExit) as exit_info:
        load_script("train_faces").parse_args(argv)
    assert exit_info.value.code == 2


def test_compare_schedules_writes_one_run_per_schedule_and_the_comparison(face_folder, tmp_path):
    code = load_script("compare_schedules").main(
        ["--data", str(face_folder), "--schedules", "1", "4", "--epochs", "2", "--batch-size",
         "4", "--sample-every", "1", "--out", str(tmp_path), *TINY])
    assert code == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "lr1", "lr4", "schedules.png", "summary.json"]
    for run in ("lr1", "lr4"):
        names = {path.name for path in (tmp_path / run).iterdir()}
        assert {"vaegan_face.gif", "losses.png", "history.json", "split.json"} <= names
        assert "model.keras" not in names  # a comparison keeps no 1 GB checkpoints by default
    with Image.open(tmp_path / "schedules.png") as figure:
        assert figure.size == (1200, 640)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["lr1"]["last_epoch"]["encoder_learning_rate"] == pytest.approx(5e-4)
    assert summary["lr1"]["decay_epochs"] == {"encoder": [], "decoder": [], "discriminator": []}
    assert set(summary) == {"lr1", "lr4"}
    (tmp_path / "schedules.png").unlink()
    script = load_script("compare_schedules")
    assert script.main(["--summary-only", "--schedules", "1", "4", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "schedules.png").is_file()
    assert script.main(["--summary-only", "--schedules", "2", "--out", str(tmp_path)]) == 2
    # Same split and seed for every schedule.
    assert (tmp_path / "lr1" / "split.json").read_text() == (
        tmp_path / "lr4" / "split.json").read_text()


def test_decay_epochs_are_listed_like_the_original_logs():
    decay_epochs = load_script("compare_schedules").decay_epochs
    rates = [5e-4, 5e-4, 3e-4, 3e-4, 1.8e-4]
    assert decay_epochs(rates, initial_rate=5e-4) == [2, 4]
    assert decay_epochs([3e-4], initial_rate=5e-4) == [0]

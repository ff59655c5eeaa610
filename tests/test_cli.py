"""The ``vaegan-tf`` command line: dispatch, --config files, clean usage errors."""

import json
import subprocess
import sys

import pytest

from vaegan_tf import __main__ as entry
from vaegan_tf.commands import train


def test_usage_lists_the_subcommands(capsys):
    assert entry.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("train", "evaluate", "gif"))
    assert entry.main([]) == 2
    assert entry.main(["bake"]) == 2
    assert "unknown subcommand 'bake'" in capsys.readouterr().err


def test_python_dash_m_runs_a_subcommand_help():
    result = subprocess.run([sys.executable, "-m", "vaegan_tf", "train", "--help"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "--preset" in result.stdout and "(default: 100)" in result.stdout


@pytest.mark.parametrize("suffix, text", [
    (".json", json.dumps({"adam_beta_1": 0.5, "conv_filters": [32, 64]})),
    (".yaml", "adam_beta_1: 0.5\nconv_filters: [32, 64]\n"),
])
def test_config_file_overrides_preset_fields_and_set_wins(tmp_path, suffix, text):
    config = tmp_path / f"settings{suffix}"
    config.write_text(text)
    args = train.parse_args(["--config", str(config), "--set", "adam_beta_1=0.7"])
    assert args.preset.conv_filters == (32, 64) and args.preset.adam_beta_1 == 0.7
    assert args.out == "runs/mnist" and args.metrics_every == 1


@pytest.mark.parametrize("argv", [
    ["--preset", "nope"], ["--epochs", "-1"], ["--batch-size", "0"], ["--schedule", "7"],
    ["--set", "latent_dim=x"], ["--preset", "faces", "--metrics-every", "2"],
])
def test_bad_values_are_one_line_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.parse_args(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err.strip().splitlines()[-1] and "Traceback" not in err


def test_bad_config_file_is_a_usage_error(tmp_path, capsys):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"no_such_field": 1}))
    with pytest.raises(SystemExit) as exit_info:
        train.parse_args(["--config", str(config)])
    assert exit_info.value.code == 2 and "no_such_field" in capsys.readouterr().err


def test_output_directory_that_is_a_file_exits_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    out.write_text("not a directory")
    assert train.main(["--epochs", "1", "--out", str(out)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]

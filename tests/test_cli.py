"""The ``vaegan-tf`` command line: dispatch, --config files, clean usage errors."""

import json
import subprocess
import sys

import pytest

from vaegan_tf import __main__ as entry
from vaegan_tf import get_preset
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
    assert "--preset" in result.stdout and "100 for mnist" in result.stdout


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


def test_one_networks_rate_from_set_and_config_every_rate_from_learning_rate(tmp_path):
    args = train.parse_args(["--preset", "dcgan-mnist", "--set",
                             "discriminator.learning_rate=4e-4", "--set",
                             "generator.adam_beta_1=0.0"])
    assert args.preset.network_optimizers == {"generator": {"adam_beta_1": 0.0},
                                              "discriminator": {"learning_rate": 4e-4}}
    config = tmp_path / "ttur.json"
    config.write_text(json.dumps({"network_optimizers": {"generator": {"learning_rate": 1e-4}}}))
    assert train.parse_args(["--preset", "dcgan-mnist", "--config", str(config)]).preset \
        .optimizer_settings("generator")["learning_rate"] == 1e-4
    # --learning-rate is every network's rate: the preset's own generator rate gives way
    assert get_preset("infogan-mnist").optimizer_settings("generator")["learning_rate"] == 1e-3
    every = train.parse_args(["--preset", "infogan-mnist", "--learning-rate", "5e-4"]).preset
    assert {every.optimizer_settings(network)["learning_rate"]
            for network in every.networks} == {5e-4}


@pytest.mark.parametrize(("tf_config", "message"), [
    (None, "TF_CONFIG environment variable, which is not set"),
    ("{not json", "does not describe a cluster"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}',
     "no worker 3 in the cluster"),
])
def test_multi_worker_needs_a_cluster_with_this_task(monkeypatch, capsys, tf_config, message):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    if tf_config is not None:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(SystemExit) as exit_info:
        train.parse_args(["--distribute", "multi-worker"])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_the_chief_is_the_chief_task_or_else_worker_0():
    from vaegan_tf import cli

    def role(cluster, kind, index):
        return cli.cluster_role({"TF_CONFIG": json.dumps(
            {"cluster": cluster, "task": {"type": kind, "index": index}})})

    workers = {"worker": ["a:1", "b:1"]}
    assert role(workers, "worker", 0) == (0, True)
    assert role(workers, "worker", 1) == (1, False)
    with_chief = {**workers, "chief": ["c:1"]}
    assert role(with_chief, "chief", 0) == (0, True)
    assert role(with_chief, "worker", 0) == (0, False)


@pytest.mark.parametrize("argv", [
    ["--distribute", "multi-worker", "--cpu-replicas", "2"],
    ["--preset", "dcgan-mnist", "--learning-rate", "1e-4", "--set",
     "generator.learning_rate=2e-4"],
    ["--preset", "dcgan-mnist", "--set", "critic.learning_rate=2e-4"],
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


@pytest.fixture(scope="module")
def saved_mnist_model(tmp_path_factory):
    import vaegan_tf

    path = tmp_path_factory.mktemp("model") / "model.keras"
    model = vaegan_tf.build_vaegan("mnist", seed=0)
    model.compile(**vaegan_tf.adam_optimizers())
    model.save(path)
    return path


@pytest.mark.parametrize("argv, files, size", [
    (["sample", "--n", "16"], ["samples.png"], (288, 288)),
    (["reconstruct", "--n", "5"], ["reconstructions.png"], (5 * 56, 2 * 56)),
    (["interpolate", "--steps", "6", "--method", "slerp"],
     ["interpolation.png", "interpolation.gif"], (6 * 56, 56)),
    (["walk", "--steps", "7"], ["walk.gif"], (112, 112)),
    (["arithmetic", "--n", "4"], ["arithmetic.png"], (4 * 56, 3 * 56)),
])
def test_latent_subcommands_write_their_files(saved_mnist_model, tmp_path, argv, files, size):
    from PIL import Image

    out = tmp_path / files[0]
    assert entry.main([*argv, "--model", str(saved_mnist_model), "--out", str(out)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)
    with Image.open(out) as image:
        assert image.size == size


def test_latent_subcommand_errors_are_one_line(tmp_path, capsys, saved_mnist_model):
    assert entry.main(["sample", "--model", str(tmp_path / "missing.keras")]) == 2
    assert "No such model file" in capsys.readouterr().err
    assert entry.main(["interpolate", "--model", str(saved_mnist_model), "--pair", "0",
                       "99999", "--out", str(tmp_path / "x.png")]) == 2
    assert "--pair" in capsys.readouterr().err


def test_deterministic_runs_give_identical_losses(tmp_path):
    import numpy as np
    from PIL import Image

    faces = tmp_path / "faces"
    faces.mkdir()
    rng = np.random.default_rng(0)
    for index in range(12):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(
            faces / f"{index}.png")
    tiny = ["--set", "latent_dim=8", "--set", "dense_units=16", "--set", "conv_filters=8,16",
            "--set", "decoder_base_shape=15,15,8", "--set", "decoder_filters=8"]
    histories = []
    for run in ("a", "b"):
        subprocess.run(
            [sys.executable, "-m", "vaegan_tf", "train", "--preset", "faces", "--data",
             str(faces), "--epochs", "2", "--batch-size", "4", "--seed", "3",
             "--deterministic", "--quiet", "--out", str(tmp_path / run), *tiny],
            check=True, capture_output=True)
        histories.append(json.loads((tmp_path / run / "history.json").read_text()))
    assert histories[0] == histories[1]
    assert len(histories[0]["val_decoder_loss"]) == 2


def test_arithmetic_with_celeba_attributes_on_a_face_model(tmp_path):
    import numpy as np
    from PIL import Image

    import vaegan_tf

    model = vaegan_tf.build_vaegan("faces", seed=0, latent_dim=8, dense_units=16,
                                   conv_filters=(8, 16), decoder_base_shape=(15, 15, 8),
                                   decoder_filters=8)
    model.save(tmp_path / "faces.keras")
    folder = tmp_path / "img_align_celeba"
    folder.mkdir()
    rng = np.random.default_rng(0)
    lines = ["6", "Smiling Male"]
    for index in range(6):
        name = f"{index + 1:06d}.jpg"
        Image.fromarray(rng.integers(0, 256, (218, 178, 3), dtype=np.uint8)).save(folder / name)
        lines.append(f"{name} {1 if index % 2 else -1} 1")
    (tmp_path / "attrs.txt").write_text("\n".join(lines) + "\n")
    out = tmp_path / "smiling.png"
    assert entry.main(["arithmetic", "--model", str(tmp_path / "faces.keras"), "--data",
                       str(folder), "--attributes", str(tmp_path / "attrs.txt"),
                       "--center-crop", "160", "--n", "3", "--out", str(out)]) == 0
    with Image.open(out) as image:
        assert image.size == (3 * 128, 3 * 128)  # 3 non-smiling faces, 3 rows, 64 px × 2
    assert entry.main(["arithmetic", "--model", str(tmp_path / "faces.keras"), "--data",
                       str(folder), "--attributes", str(tmp_path / "attrs.txt"),
                       "--attribute", "Bald", "--out", str(out)]) == 2


def test_a_model_file_with_code_is_refused_by_safe_mode(tmp_path, capsys):
    import keras

    inputs = keras.Input((28, 28, 1))
    unsafe = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    path = tmp_path / "unsafe.keras"
    unsafe.save(path)
    for argv in (["sample", "--model", str(path), "--out", str(tmp_path / "s.png")],
                 ["evaluate", "--model", str(path), "--samples", "10"]):
        assert entry.main(argv) == 2
        error = capsys.readouterr().err
        assert error.startswith("error:") and "safe_mode" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["unsafe.keras"]


@pytest.mark.parametrize(("recorded", "given", "expected"), [
    ([], [], "on"),  # started when ``auto`` compiled the MNIST VAE-GAN with XLA
    ([], ["--jit", "off"], "off"),
    (["--jit", "off"], [], "off"),
])
def test_resume_keeps_the_compile_mode_the_run_started_with(tmp_path, recorded, given,
                                                            expected):
    (tmp_path / "config.json").write_text(json.dumps({"run": {
        "preset": "mnist", "argv": ["--epochs", "2", *recorded], "xla": True}}))
    args = train.parse_args(["--resume", str(tmp_path), *given])
    assert args.jit == expected and args.epochs == 2


def test_xla_by_default_where_it_measured_faster():
    from vaegan_tf.cli import uses_xla

    assert uses_xla(get_preset("wgan-gp-mnist")) and uses_xla(get_preset("dcgan-mnist"))
    assert not uses_xla(get_preset("faces")) and not uses_xla(get_preset("dcgan-faces"))
    # the VAE-GAN's step runs faster without XLA since its custom layers
    assert not uses_xla(get_preset("mnist")) and uses_xla(get_preset("mnist"), "on")
    gated = get_preset("mnist").replace(equilibrium_margin=0.35)
    assert not uses_xla(gated) and uses_xla(gated, "on")
    assert not uses_xla(get_preset("dcgan-mnist"), "off")
    # oneDNN, not XLA, runs bfloat16 products on the CPU's bfloat16 units
    assert not uses_xla(get_preset("dcgan-mnist"), precision="mixed_bfloat16")
    assert uses_xla(get_preset("dcgan-mnist"), "on", precision="mixed_bfloat16")
    assert uses_xla(get_preset("dcgan-mnist"), precision="mixed_float16")
    # float16 without XLA crawls on a CPU: the VAE-GAN too keeps XLA there
    assert uses_xla(get_preset("mnist"), precision="mixed_float16")
    assert not uses_xla(gated, precision="mixed_float16")
    assert not uses_xla(get_preset("faces"), precision="mixed_float16")
    with pytest.raises(ValueError, match="jit must be one of"):
        uses_xla(get_preset("mnist"), "yes")
    assert not uses_xla(get_preset("dcgan-mnist"), "auto", distributed=True)
    with pytest.raises(ValueError, match="--jit on does not run under --distribute"):
        uses_xla(get_preset("mnist"), "on", distributed=True)
    # Keras refuses XLA under op determinism: auto chooses no XLA, on is refused up front
    assert not uses_xla(get_preset("dcgan-mnist"), deterministic=True)
    with pytest.raises(ValueError, match="--jit on does not run with --deterministic"):
        uses_xla(get_preset("dcgan-mnist"), "on", deterministic=True)
    # on GPUs what Keras does (XLA), nothing having been measured there
    assert uses_xla(get_preset("mnist"), gpu=True) and uses_xla(get_preset("faces"), gpu=True)
    assert not uses_xla(get_preset("faces"), gpu=True, distributed=True)
    # with Keras' layers (fast paths off) XLA ran the 28x28 VAE-GAN step faster
    assert uses_xla(get_preset("mnist"), fast_paths=False)
    assert not uses_xla(gated, fast_paths=False)
    assert not uses_xla(get_preset("faces"), fast_paths=False)


def test_jit_on_with_deterministic_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stopped:
        train.parse_args(["--jit", "on", "--deterministic"])
    assert stopped.value.code == 2
    assert "--jit on does not run with --deterministic" in capsys.readouterr().err


def test_fast_paths_option_and_environment_variable_are_checked(capsys, monkeypatch):
    assert train.parse_args(["--fast-paths", "off"]).fast_paths == "off"
    with pytest.raises(SystemExit) as stopped:
        train.parse_args(["--fast-paths", "fast"])
    assert stopped.value.code == 2
    monkeypatch.setenv("VAEGAN_TF_FAST_PATHS", "sometimes")
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        train.parse_args([])
    assert stopped.value.code == 2
    assert "$VAEGAN_TF_FAST_PATHS must be one of auto, on, off, got 'sometimes'" in (
        capsys.readouterr().err)
    assert train.parse_args(["--fast-paths", "on"]).fast_paths == "on"  # the option wins

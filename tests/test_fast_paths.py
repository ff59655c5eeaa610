"""The fast paths' one switch, and files that hold Keras' own classes whatever it says."""

import json
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
import pytest
from test_model_contract import toy_preset

from vaegan_tf import fast_paths, layers, optimizers
from vaegan_tf.models import build_model, optimizers_for

FAST_CLASSES = (layers.Dense, layers.Conv2D, layers.Conv2DTranspose, layers.BatchNormalization)


@pytest.fixture(autouse=True)
def _switch_back():
    yield
    fast_paths.set_fast_paths(None)


def classes_of(model):
    return {type(layer) for network in model.networks.values() for layer in network.layers}


def test_the_switch_reads_the_call_then_the_environment_then_auto(monkeypatch):
    monkeypatch.delenv(fast_paths.ENVIRONMENT_VARIABLE, raising=False)
    assert fast_paths.fast_paths_mode() == "auto"
    assert fast_paths.fast_paths_enabled()  # this machine has no GPU
    monkeypatch.setenv(fast_paths.ENVIRONMENT_VARIABLE, "off")
    assert fast_paths.fast_paths_mode() == "off" and not fast_paths.fast_paths_enabled()
    fast_paths.set_fast_paths("on")
    assert fast_paths.fast_paths_mode() == "on" and fast_paths.fast_paths_enabled()
    with pytest.raises(ValueError, match="must be one of auto, on, off, got 'fast'"):
        fast_paths.set_fast_paths("fast")
    fast_paths.set_fast_paths(None)
    monkeypatch.setenv(fast_paths.ENVIRONMENT_VARIABLE, "yes")
    with pytest.raises(ValueError, match=r"\$VAEGAN_TF_FAST_PATHS must be one of"):
        fast_paths.fast_paths_enabled()


@pytest.mark.parametrize("name", ["mnist", "dcgan-mnist"])
def test_off_builds_stock_keras_layers_and_adam_and_trains(name):
    fast_paths.set_fast_paths("off")
    preset = toy_preset(name)
    model = build_model(preset, seed=0)
    model.compile(**optimizers_for(model, preset))
    modules = {kind.__module__ for kind in classes_of(model)}
    assert all(module.startswith("keras.") for module in modules), modules
    assert {type(model.optimizer_of(n)) for n in model.network_names} == {keras.optimizers.Adam}
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    before = [np.asarray(w).copy() for w in model.trainable_weights]
    history = model.fit(images, batch_size=8 * preset.images_per_step // preset.batch_size,
                        epochs=1, verbose=0)
    assert all(np.isfinite(values[-1]) for values in history.history.values())
    moved = [not np.array_equal(b, np.asarray(w))
             for b, w in zip(before, model.trainable_weights, strict=True)]
    assert sum(moved) > len(moved) // 2


def test_on_builds_the_fast_layers_and_the_config_names_keras_classes():
    fast_paths.set_fast_paths("on")
    preset = toy_preset("mnist")
    model = build_model(preset, seed=0)
    model.compile(**optimizers_for(model, preset))
    assert set(FAST_CLASSES) <= classes_of(model)
    assert type(model.optimizer_of("decoder")) is optimizers.FusedAdam
    written = json.dumps([model.get_config(), model.get_compile_config()])
    assert "vaegan_tf>" not in written.replace('"vaegan_tf>VAEGAN"', "")
    # loaded where the switch is off: Keras' classes, the same samples
    fast_paths.set_fast_paths("off")
    stock = type(model).from_config(model.get_config())
    stock.set_weights(model.get_weights())
    assert not set(FAST_CLASSES) & classes_of(stock)
    np.testing.assert_allclose(np.asarray(stock.sample(4, seed=1)),
                               np.asarray(model.sample(4, seed=1)), atol=1e-5)


def test_a_model_file_reloads_with_the_switch_of_the_loading_process(tmp_path):
    preset = toy_preset("dcgan-mnist")
    model = build_model(preset, seed=0)
    model.compile(**optimizers_for(model, preset))
    model.save(tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "model.keras") as archive:
        config = archive.read("config.json").decode()
    assert "vaegan_tf>" not in config.replace('"vaegan_tf>GAN"', "")
    fast_paths.set_fast_paths("off")
    stock = keras.saving.load_model(tmp_path / "model.keras")
    assert not set(FAST_CLASSES) & classes_of(stock)
    assert type(stock.optimizer_of("generator")) is keras.optimizers.Adam
    fast_paths.set_fast_paths("on")
    fast = keras.saving.load_model(tmp_path / "model.keras")
    assert {layers.Dense, layers.Conv2DTranspose} <= classes_of(fast)
    assert type(fast.optimizer_of("generator")) is optimizers.FusedAdam
    np.testing.assert_allclose(np.asarray(fast.sample(4, seed=2)),
                               np.asarray(stock.sample(4, seed=2)), atol=1e-5)


def test_a_file_naming_the_retired_leaky_relu_loads_as_keras_leaky_relu():
    retired = {"module": "vaegan_tf.layers", "class_name": "LeakyReLU",
               "registered_name": "vaegan_tf>LeakyReLU",
               "config": {"name": "act", "negative_slope": 0.2, "trainable": True,
                          "dtype": "float32"}}
    layer = keras.saving.deserialize_keras_object(fast_paths.for_this_process(retired))
    assert type(layer) is keras.layers.LeakyReLU and layer.negative_slope == 0.2


# Loads every network file of a run in a Python that never imports vaegan_tf and writes each
# network's outputs on the inputs given.
PLAIN_KERAS = """
import sys
from pathlib import Path
import keras
import numpy as np

run, out = Path(sys.argv[1]), Path(sys.argv[2])
inputs = dict(np.load(out / "inputs.npz"))
outputs = {}
for path in sorted(run.glob("**/*.keras")):
    if path.name == "model.keras":
        continue
    network = keras.saving.load_model(path)
    key = str(path.relative_to(run))
    outputs[key] = np.asarray(keras.tree.flatten(network(inputs[network.name],
                                                          training=False))[0])
assert "vaegan_tf" not in sys.modules, "a file made Keras import vaegan_tf"
np.savez(out / "outputs.npz", **outputs)
print(len(outputs))
"""

TOY_RUN = ["--limit", "64", "--batch-size", "16", "--epochs", "1", "--sample-every", "1",
           "--metrics-every", "0", "--no-validation", "--quiet", "--keep-every", "1",
           "--network-files"]
TOYS = {
    "mnist": ["--preset", "mnist", "--set", "latent_dim=8", "--set", "dense_units=16",
              "--set", "conv_filters=8,16", "--set", "decoder_filters=8",
              "--set", "decoder_base_shape=6,6,8", "--best-by", "decoder_loss"],
    "dcgan-mnist": ["--preset", "dcgan-mnist", "--set", "latent_dim=8", "--set",
                    "dense_units=16", "--set", "generator_filters=4", "--set",
                    "discriminator_filters=4", "--best-by", "generator_loss"],
}


def test_every_network_file_a_run_writes_loads_with_plain_keras(tmp_path):
    """A toy VAE-GAN and a toy GAN run write best/, epochs/ and latest/; each network file
    loads with keras.saving.load_model in a process without vaegan_tf and gives the outputs
    vaegan_tf's model gives."""
    from vaegan_tf import cli

    def train(name):
        argv = [*TOY_RUN, *TOYS[name], "--out", str(tmp_path / name)]
        return subprocess.run([sys.executable, "-m", "vaegan_tf", "train", *argv],
                              capture_output=True, text=True, timeout=600)

    with ThreadPoolExecutor(2) as pool:
        runs = dict(zip(TOYS, pool.map(train, TOYS), strict=True))
    for name, run in runs.items():
        assert run.returncode == 0, run.stderr[-3000:]
        directory = tmp_path / name
        rng = np.random.default_rng(0)
        inputs = {"decoder": rng.normal(size=(3, 8)), "generator": rng.normal(size=(3, 8)),
                  "encoder": rng.uniform(-1, 1, (3, 28, 28, 1)),
                  "discriminator": rng.uniform(-1, 1, (3, 28, 28, 1))}
        np.savez(tmp_path / "inputs.npz", **{k: v.astype("float32") for k, v in inputs.items()})
        plain = subprocess.run([sys.executable, "-I", "-c", PLAIN_KERAS, str(directory),
                                str(tmp_path)], capture_output=True, text=True, timeout=300)
        assert plain.returncode == 0, plain.stderr[-3000:]
        outputs = dict(np.load(tmp_path / "outputs.npz"))
        expected_files = {"mnist": 7, "dcgan-mnist": 4}[name]  # best, epoch 1, latest
        assert len(outputs) == expected_files, sorted(outputs)
        for key, value in outputs.items():
            folder, network = key.rsplit("/", 1)
            model = cli.load_model(directory / folder)
            network = network.removesuffix(".keras")
            if network not in model.sampling_networks:  # latest/ has the discriminator too
                model = keras.saving.load_model(directory / "model.keras")
            expected = keras.tree.flatten(model.networks[network](
                inputs[network].astype("float32"), training=False))[0]
            np.testing.assert_allclose(value, np.asarray(expected), rtol=1e-5, atol=1e-5,
                                       err_msg=key)

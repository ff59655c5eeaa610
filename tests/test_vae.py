"""The VAE: its loss against NumPy, the seed's layer table, training through fit and the
commands."""

import json

import keras
import numpy as np
import pytest

from vaegan_tf import build_model, get_preset, optimizers_for
from vaegan_tf.__main__ import main
from vaegan_tf.losses.vae import batch_kl_divergence, reconstruction_mse, vae_loss


def test_the_loss_matches_a_numpy_reference():
    rng = np.random.default_rng(0)
    x, x_hat = rng.uniform(-1, 1, (2, 5, 4, 4, 3))
    mean, log_var = rng.normal(size=(2, 5, 6))
    mse = np.mean((x - x_hat) ** 2)
    kl = np.mean(-0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=1))
    np.testing.assert_allclose(float(reconstruction_mse(x, x_hat)), mse, rtol=1e-6)
    np.testing.assert_allclose(float(batch_kl_divergence(mean, log_var)), kl, rtol=1e-5)
    total, reconstruction, divergence = vae_loss(x, x_hat, mean, log_var, 0.00025)
    np.testing.assert_allclose(float(total), mse + 0.00025 * kl, rtol=1e-5)
    assert float(reconstruction) == pytest.approx(mse, rel=1e-6)
    assert float(divergence) == pytest.approx(kl, rel=1e-5)


# The VAE seed's layer table (torchsummary of its PyTorch model): output shapes of the
# convolutions and its 3 928 329 parameters (Keras' batch norm keeps its moving statistics as
# non-trainable weights, which torchsummary does not count).
SEED_ENCODER_MAPS = [(32, 32, 32), (16, 16, 64), (8, 8, 128), (4, 4, 256), (2, 2, 512)]
SEED_DECODER_MAPS = [(4, 4, 256), (8, 8, 128), (16, 16, 64), (32, 32, 32), (64, 64, 3)]


def test_the_face_preset_is_the_seed_s_layer_table():
    model = build_model("vae-faces", seed=0)
    trainable = sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)
    assert trainable == 3_928_329
    maps = {name: [layer.output.shape[1:] for layer in network.layers
                   if "conv2d" in layer.name] for name, network in model.networks.items()}
    assert maps == {"encoder": SEED_ENCODER_MAPS, "decoder": SEED_DECODER_MAPS}
    assert model.encoder.output_shape == (None, 256) and model.latent_dim == 128
    preset = get_preset("vae-faces")
    assert (preset.learning_rate, preset.batch_size, preset.kl_weight,
            preset.leaky_relu_slope) == (5e-3, 128, 0.00025, 0.01)


def test_a_train_step_moves_both_networks_on_one_loss():
    preset = get_preset("vae-mnist").replace(latent_dim=8, encoder_filters=(4, 8))
    model = build_model(preset, seed=0)
    model.compile(**optimizers_for(model, preset))
    images = np.random.default_rng(1).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    before = [w.numpy().copy() for w in model.trainable_weights]
    logs = model.train_step(images)
    assert float(logs["encoder_loss"]) == float(logs["decoder_loss"])
    assert float(logs["encoder_loss"]) == pytest.approx(
        float(logs["reconstruction_loss"]) + 0.00025 * float(logs["kl_loss"]), rel=1e-5)
    assert all(not np.array_equal(b, w.numpy())
               for b, w in zip(before, model.trainable_weights, strict=True))


def test_image_sides_that_do_not_halve_are_refused():
    with pytest.raises(ValueError, match="need image sides divisible by 8"):
        build_model(get_preset("vae-mnist").replace(encoder_filters=(4, 8, 16)))


@pytest.fixture(scope="module")
def trained_vae(tmp_path_factory):
    run = tmp_path_factory.mktemp("vae") / "run"
    assert main(["train", "--preset", "vae-mnist", "--limit", "256", "--epochs", "2",
                 "--batch-size", "64", "--metrics-samples", "200", "--quiet", "--seed", "0",
                 "--set", "latent_dim=8", "--set", "encoder_filters=4,8",
                 "--out", str(run)]) == 0
    return run


def test_train_writes_a_vae_run_with_scores(trained_vae):
    history = json.loads((trained_vae / "history.json").read_text())
    assert {"encoder_loss", "decoder_loss", "reconstruction_loss", "kl_loss", "val_kl_loss",
            "mnist_fid"} <= set(history)
    assert "discriminator_loss" not in history and len(history["encoder_loss"]) == 2
    assert sorted(path.name for path in (trained_vae / "best").glob("*.keras")) == [
        "decoder.keras", "encoder.keras"]


@pytest.mark.parametrize("command", [
    ["sample", "--n", "4"], ["reconstruct", "--n", "3"],
    ["variations", "--images", "2", "--n", "3"], ["interpolate", "--steps", "4"],
    ["walk", "--steps", "3"], ["arithmetic", "--n", "2"]])
def test_every_command_works_on_a_vae(trained_vae, tmp_path, command):
    out = tmp_path / ("out.gif" if command[0] == "walk" else "out.png")
    assert main([*command, "--model", str(trained_vae), "--out", str(out)]) == 0
    assert out.is_file()


def test_variations_decode_draws_around_the_code_of_each_image(trained_vae):
    from vaegan_tf import cli, latent

    model = cli.load_model(trained_vae)
    images = np.random.default_rng(2).uniform(-1, 1, (2, 28, 28, 1)).astype("float32")
    drawn = latent.variations(model, images, 5, seed=3)
    assert drawn.shape == (2, 5, 28, 28, 1)
    mean, log_var = (np.asarray(part) for part in model.encode(images))
    noise = np.random.default_rng(3).standard_normal((5, 8)).astype("float32")
    expected = np.asarray(model.decode(mean[1] + np.exp(0.5 * log_var[1]) * noise))
    np.testing.assert_allclose(drawn[1], expected, rtol=1e-5, atol=1e-6)
    assert keras.ops.convert_to_numpy(model.sample(2, seed=0)).shape == (2, 28, 28, 1)


def test_variations_need_an_encoder(tmp_path, capsys):
    from test_model_contract import toy_preset

    gan = build_model(toy_preset("dcgan-mnist"))
    gan.compile(**optimizers_for(gan, toy_preset("dcgan-mnist")))
    gan.save(tmp_path / "gan.keras")
    assert main(["variations", "--model", str(tmp_path / "gan.keras"),
                 "--out", str(tmp_path / "v.png")]) == 2
    assert "has no encoder" in capsys.readouterr().err


def test_the_face_preset_trains_two_epochs_on_lfw_mini(tmp_path):
    run = tmp_path / "faces"
    assert main(["train", "--preset", "vae-faces", "--epochs", "2", "--batch-size", "16",
                 "--quiet", "--seed", "0", "--set", "latent_dim=8",
                 "--set", "encoder_filters=4,4,4,4,4", "--out", str(run)]) == 0
    history = json.loads((run / "history.json").read_text())
    assert len(history["val_reconstruction_loss"]) == 2
    assert all(np.isfinite(history["encoder_loss"]))
    assert (run / "face_at_epoch_001.png").is_file()

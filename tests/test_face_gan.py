"""The face GAN seed's base and improved models (``facegan-*``): networks, one-sided label
smoothing in the discriminator's training loss, and two epochs of the face presets."""

import json

import keras
import numpy as np
import pytest
from test_model_contract import batch_for, toy_preset

from vaegan_tf.models import build_model
from vaegan_tf.presets import get_preset


def kinds(network):
    return [type(layer).__name__ for layer in network.layers]


def test_the_improved_model_adds_dropout_to_d_and_leaky_relu_to_g():
    base, improved = (build_model(toy_preset(name)) for name in (
        "facegan-mnist", "facegan-improved-mnist"))
    assert "Dropout" not in kinds(base.discriminator)
    assert "LeakyReLU" not in kinds(base.generator) and "ReLU" in kinds(base.generator)
    discriminator = kinds(improved.discriminator)
    # a dropout of 0.5 after each of D's LeakyReLUs
    assert [discriminator[index + 1] for index, kind in enumerate(discriminator)
            if kind == "LeakyReLU"] == ["Dropout"] * discriminator.count("LeakyReLU")
    assert {layer.rate for layer in improved.discriminator.layers
            if isinstance(layer, keras.layers.Dropout)} == {0.5}
    assert "ReLU" not in kinds(improved.generator) and "LeakyReLU" in kinds(improved.generator)
    assert get_preset("facegan-faces").image_shape == (64, 64, 3)


def test_training_draws_real_targets_from_the_range_and_validation_uses_hard_labels():
    """With the range pinned to one value t the training loss is the cross-entropy to t;
    validation scores the same batch against 1."""
    preset = toy_preset("facegan-improved-mnist").replace(real_label_range=(0.8, 0.8),
                                                          discriminator_dropout=0.0)
    model = build_model(preset, seed=0)
    real = batch_for(preset)
    fake = np.asarray(model.generate(np.zeros((4, preset.latent_dim), "float32")))
    real_scores = np.asarray(model.score(real, None, True), "float64")
    fake_scores = np.asarray(model.score(fake, None, True), "float64")

    def softplus(x):
        return np.logaddexp(0.0, x)

    fake_term = np.mean(softplus(fake_scores))
    smoothed = np.mean(0.8 * softplus(-real_scores) + 0.2 * softplus(real_scores)) + fake_term
    assert float(model.discriminator_loss(real, fake, None, True)) == pytest.approx(
        smoothed, rel=1e-4)
    # validation: D in inference mode and hard labels
    real_scores = np.asarray(model.score(real, None, False), "float64")
    fake_scores = np.asarray(model.score(fake, None, False), "float64")
    hard = np.mean(softplus(-real_scores)) + np.mean(softplus(fake_scores))
    assert float(model.discriminator_loss(real, fake, None, False)) == pytest.approx(
        hard, rel=1e-4)


@pytest.mark.parametrize(("fields", "message"), [
    ({"real_label_range": (1.2, 0.7)}, "low <= high"),
    ({"real_label_range": (0.7, 1.2), "loss": "wasserstein"}, "has none"),
    ({"discriminator_dropout": 1.0}, "discriminator_dropout"),
    ({"generator_activation": "elu"}, "generator_activation"),
])
def test_bad_face_gan_fields_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        get_preset("facegan-improved-mnist", **fields)


@pytest.mark.parametrize("name", ["facegan-faces", "facegan-improved-faces"])
def test_the_face_presets_train_two_epochs_on_lfw_mini(tmp_path, name):
    from vaegan_tf.__main__ import main

    run = tmp_path / name
    assert main(["train", "--preset", name, "--epochs", "2", "--batch-size", "16", "--quiet",
                 "--seed", "0", "--set", "latent_dim=8", "--set", "generator_filters=4",
                 "--set", "discriminator_filters=4", "--out", str(run)]) == 0
    history = json.loads((run / "history.json").read_text())
    assert len(history["discriminator_loss"]) == 2
    assert np.isfinite(history["val_discriminator_loss"]).all()
    assert (run / "face_at_epoch_001.png").is_file()

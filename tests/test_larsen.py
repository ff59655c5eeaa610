"""The Larsen VAE-GAN as its paper's code trained it: the port's layer tables, the losses
against NumPy, the equilibrium gate, and training through the command line."""

import json

import numpy as np
import pytest

from vaegan_tf.larsen import build_larsen
from vaegan_tf.losses import larsen
from vaegan_tf.models import optimizers_for
from vaegan_tf.presets import get_preset

RNG = np.random.default_rng(5)
MEAN, LOG_VAR = RNG.normal(size=(2, 6, 3))
REAL_FEATURES, FAKE_FEATURES = RNG.normal(size=(2, 6, 10))
P_REAL, P_FAKE = RNG.uniform(0.05, 0.95, size=(2, 6, 1))


def trainable(network):
    return sum(int(np.prod(variable.shape)) for variable in network.trainable_variables)


def test_the_networks_have_the_ports_parameter_counts():
    """Seed 002's tables (MNIST resized to 64×64, one channel): encoder 35 112 064,
    discriminator 10 953 409, decoder 5 834 753 (PyTorch counts batch norm's scale and
    offset; Keras' moving statistics are not trainable)."""
    model = build_larsen("larsen-faces", image_shape=(64, 64, 1))
    assert trainable(model.encoder) == 35_112_064
    assert trainable(model.discriminator) == 10_953_409
    assert trainable(model.decoder) == 5_834_753
    assert [tuple(shape) for shape in model.discriminator.output_shape] == [
        (None, 1), (None, 8 * 8 * 256)]
    mnist = build_larsen("larsen-mnist")
    assert mnist.decoder.output_shape == (None, 28, 28, 1)
    assert mnist.discriminator.output_shape[1] == (None, 4 * 4 * 64)


def test_losses_match_numpy():
    nll = np.mean(np.sum(0.5 * (FAKE_FEATURES - REAL_FEATURES) ** 2 + 0.5 * np.log(2 * np.pi),
                         axis=-1))
    assert float(larsen.feature_nll(REAL_FEATURES, FAKE_FEATURES)) == pytest.approx(nll, 1e-6)
    kl = np.mean(np.sum(-0.5 * (1 + LOG_VAR - MEAN**2 - np.exp(LOG_VAR)), axis=-1))
    assert float(larsen.kl_per_image(MEAN, LOG_VAR)) == pytest.approx(kl, 1e-6)
    assert float(larsen.encoder_loss(larsen.kl_per_image(MEAN, LOG_VAR), nll)) == \
        pytest.approx(kl + nll, 1e-6)
    real_cost, fake_cost = (float(cost) for cost in larsen.discriminator_costs(P_REAL, P_FAKE))
    assert real_cost == pytest.approx(-np.mean(np.log(P_REAL)), 1e-5)
    assert fake_cost == pytest.approx(-np.mean(np.log(1 - P_FAKE)), 1e-5)
    assert float(larsen.discriminator_loss(real_cost, fake_cost)) == pytest.approx(
        0.5 * real_cost + 0.5 * fake_cost)
    # the decoder ascends D's fake cost: minimax, weighted 1 − w, and w of the NLL
    assert float(larsen.decoder_loss(nll, fake_cost, 0.25)) == pytest.approx(
        0.25 * nll - 0.75 * 0.5 * fake_cost, 1e-6)


@pytest.mark.parametrize(("real_cost", "fake_cost", "decoder", "discriminator"), [
    (0.68, 0.68, True, True),    # balanced: both
    (0.20, 0.68, True, False),   # D wins on real images (< 0.68 − 0.4): D waits
    (0.68, 1.20, False, True),   # D loses on fakes (> 0.68 + 0.4): the decoder waits
    (0.20, 1.20, True, True),    # both would wait: both train
])
def test_the_gate_holds_back_whichever_network_is_ahead(real_cost, fake_cost, decoder,
                                                        discriminator):
    model = build_larsen(get_preset("larsen-mnist", latent_dim=4, encoder_units=8,
                                    discriminator_units=8))
    gate = model.equilibrium_gate(np.float32(real_cost), np.float32(fake_cost), 0.68, 0.4)
    assert (bool(gate["decoder"]), bool(gate["discriminator"])) == (decoder, discriminator)
    assert model.equilibrium_gate(np.float32(0.1), np.float32(2.0), 0.68, 0.0) == {}


def test_a_train_step_updates_only_what_the_gate_lets_through():
    """D made to say "real" to everything (its sigmoid's bias 8): its real cost ≈ 1e-4 is
    below the band (0.1, 9.9) of equilibrium 5 ± 4.9, its fake cost ≈ 9 inside: D is held,
    the encoder and the decoder train."""
    preset = get_preset("larsen-mnist", latent_dim=4, encoder_filters=(4, 4, 4),
                        encoder_units=8, discriminator_filters=(4, 4, 4, 4),
                        discriminator_units=8, decoder_base_shape=(7, 7, 4),
                        decoder_filters=(4, 4, 4), equilibrium=5.0, equilibrium_margin=4.9)
    model = build_larsen(preset, seed=0)
    model.compile(**optimizers_for(model, preset))
    score = model.discriminator.get_layer("score")
    score.bias.assign(np.full(score.bias.shape, 8.0, "float32"))
    before = {name: [v.numpy().copy() for v in network.trainable_variables]
              for name, network in model.networks.items()}
    logs = model.train_step(RNG.uniform(-1, 1, (4, 28, 28, 1)).astype("float32"))
    assert float(logs["real_cost"]) < 0.1 < float(logs["fake_cost"]) < 9.9
    assert (float(logs["decoder_updated"]), float(logs["discriminator_updated"])) == (1.0, 0.0)
    for name, network in model.networks.items():
        moved = any(not np.array_equal(old, new.numpy()) for old, new in zip(
            before[name], network.trainable_variables, strict=True))
        assert moved == (name != "discriminator"), name


def test_bad_larsen_fields_are_refused():
    with pytest.raises(ValueError, match="makes 56×56 images"):
        get_preset("larsen-mnist", decoder_strides=(2, 2, 2))
    with pytest.raises(ValueError, match="feature_layer"):
        get_preset("larsen-mnist", feature_layer=4)
    with pytest.raises(ValueError, match="reconstruction_weight"):
        get_preset("larsen-mnist", reconstruction_weight=1.5)


TOY = ["--set", "latent_dim=8", "--set", "encoder_filters=4,4,4", "--set", "encoder_units=8",
       "--set", "discriminator_filters=4,4,4,4", "--set", "discriminator_units=8",
       "--set", "decoder_filters=4,4,4"]


def test_the_face_preset_trains_two_epochs_on_lfw_mini(tmp_path):
    from vaegan_tf.__main__ import main

    run = tmp_path / "faces"
    assert main(["train", "--preset", "larsen-faces", "--epochs", "2", "--batch-size", "16",
                 "--quiet", "--seed", "0", *TOY, "--set", "decoder_base_shape=8,8,4",
                 "--out", str(run)]) == 0
    history = json.loads((run / "history.json").read_text())
    assert len(history["encoder_loss"]) == 2 and "val_feature_nll" in history
    assert {"decoder_updated", "discriminator_updated"} <= set(history)
    assert "val_decoder_updated" not in history  # validation updates nothing
    assert (run / "face_at_epoch_001.png").is_file() and (run / "best" / "decoder.keras").is_file()


def test_objective_fields_given_as_keywords_go_over_the_objective():
    """``ObjectiveFields.resolve``, shared by the VAE-GAN and the Larsen model: an objective
    (instance or dict) with any of its fields given as keyword arguments on top."""
    from vaegan_tf.larsen import LarsenVAEGAN
    from vaegan_tf.presets import LarsenObjective, VAEGANObjective

    networks = build_larsen(get_preset("larsen-mnist", latent_dim=4)).networks
    model = LarsenVAEGAN(**networks, objective={"reconstruction_weight": 0.5},
                         equilibrium_margin=0.2)
    assert model.objective == LarsenObjective(reconstruction_weight=0.5, equilibrium_margin=0.2)
    overrides = {"equilibrium_margin": 0.3, "name": "kept"}
    assert VAEGANObjective.resolve(VAEGANObjective(decoder_loss_variant="real"), overrides) == \
        VAEGANObjective(decoder_loss_variant="real", equilibrium_margin=0.3)
    assert overrides == {"name": "kept"}  # the model's own keyword arguments stay

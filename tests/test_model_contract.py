"""The contract every registered model keeps (toy widths: the architecture is not under test),
and the VAE-GAN's behaviour from before the adversarial base."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from vaegan_tf import adam_optimizers, build_vaegan, data
from vaegan_tf.models import MODELS, build_model, optimizers_for
from vaegan_tf.presets import PRESETS, get_preset

BEFORE = Path(__file__).parent / "data" / "before_base"
TOY_VAEGAN = {"latent_dim": 8, "dense_units": 16, "conv_filters": (8, 16), "decoder_filters": 8}


def toy_preset(name: str):
    """The named preset at toy widths (same layers and image shapes)."""
    preset = get_preset(name)
    if preset.family == "vaegan":
        base = preset.decoder_base_shape
        return preset.replace(**TOY_VAEGAN, decoder_base_shape=(base[0], base[1], 8))
    if preset.family == "larsen":  # the gate off: it may hold a network still (tests/test_larsen)
        base = preset.decoder_base_shape
        return preset.replace(equilibrium_margin=0.0, latent_dim=8, encoder_filters=(4, 4, 4),
                              encoder_units=16, discriminator_filters=(4, 4, 4, 4),
                              discriminator_units=16, decoder_base_shape=(base[0], base[1], 4),
                              decoder_filters=(4, 4, 4))
    if preset.family == "vae-lsgan":
        return preset.replace(latent_dim=8, encoder_filters=(4,) * len(preset.encoder_filters),
                              discriminator_filters=(4,) * len(preset.discriminator_filters),
                              discriminator_units=8)
    if preset.family in ("vae", "began"):
        toy = {"hidden_dim": 8} if preset.family == "began" else {}
        return preset.replace(latent_dim=8, encoder_filters=(4,) * len(preset.encoder_filters),
                              **toy)
    toy = {"q_units": 8} if preset.family == "infogan" else {}
    return preset.replace(latent_dim=8, dense_units=16 if preset.dense_units else 0,
                          generator_filters=4, discriminator_filters=4, **toy)


# One preset per model and setting: every family, each GAN objective, conditional by class and
# by attribute vector, both image sizes, a generator average (dcgan-plus-mnist: DCGAN with the
# EMA and its standing statistics).
CONTRACT_PRESETS = ["mnist", "faces-soft-labels", "dcgan-plus-mnist", "lsgan-mnist", "wgan-mnist",
                    "wgan-gp-mnist", "cdcgan-mnist", "cwgan-gp-mnist", "dcgan-faces",
                    "cwgan-gp-faces", "vae-mnist", "vae-faces", "began-mnist", "began-faces",
                    "infogan-mnist", "infogan-faces", "sngan-mnist", "facegan-improved-mnist",
                    "larsen-mnist", "larsen-faces", "vae-lsgan-mnist", "vae-lsgan-faces"]


def batch_for(preset, rng=None):
    """One train step's data: images in the preset's range (and labels for conditional
    models), ``discriminator_steps`` × 4 images."""
    rng = rng or np.random.default_rng(0)
    count = 4 * getattr(preset, "discriminator_steps", 1)
    low, high = preset.data_range
    images = rng.uniform(low, high, (count, *preset.image_shape)).astype("float32")
    if getattr(preset, "num_classes", 0):
        return images, np.arange(count) % preset.num_classes
    if getattr(preset, "num_attributes", 0):
        return images, (rng.random((count, preset.num_attributes)) < 0.5).astype("float32")
    return images


def compiled(preset, learning_rates=None):
    model = build_model(preset, seed=3)
    optimizers = optimizers_for(model, preset)
    for name, rate in (learning_rates or {}).items():
        optimizers[f"{name}_optimizer"].learning_rate = rate
    model.compile(**optimizers)
    return model


def weights(network):
    return [variable.numpy().copy() for variable in network.trainable_variables]


def moved(before, network):
    return any(not np.array_equal(old, new.numpy())
               for old, new in zip(before, network.trainable_variables, strict=True))


def test_every_registered_preset_builds_a_model_of_its_family():
    for name, preset in PRESETS.items():
        model_class, _ = MODELS[preset.family]
        model = build_model(toy_preset(name))
        assert isinstance(model, model_class), name
        assert model.latent_dim == 8
        assert model.condition_dim == getattr(preset, "condition_dim", 0)
        assert model.loss_names == tuple(f"{n}_loss" for n in model.network_names)


@pytest.mark.parametrize("name", CONTRACT_PRESETS)
def test_each_optimizer_moves_only_its_own_network(name):
    """With every other rate 0, one train step moves exactly the variables the moving
    network's optimizer trains: its network's (and an auxiliary head it declares, as
    InfoGAN's generator optimizer does the Q head on D)."""
    preset = toy_preset(name)
    probe = build_model(preset)
    for moving in probe.network_names:
        rates = {other: 0.0 for other in probe.network_names if other != moving}
        model = compiled(preset, rates)
        trained = {id(variable) for variable in model.optimizer_trained_variables(moving)}
        assert {id(variable) for variable in model.networks[moving].trainable_variables} <= \
            trained
        before = {other: weights(network) for other, network in model.networks.items()}
        model.train_step(batch_for(preset))
        for other, network in model.networks.items():
            for old, variable in zip(before[other], network.trainable_variables, strict=True):
                if id(variable) not in trained:
                    assert np.array_equal(old, variable.numpy()), (name, moving, variable.path)
            assert moved(before[other], network) == (other == moving or any(
                id(variable) in trained for variable in network.trainable_variables)), (
                name, moving, other)


@pytest.mark.parametrize("name", ["mnist", "vae-mnist", "larsen-mnist"])
def test_an_encoder_that_does_not_fit_the_decoder_is_refused(name):
    preset = toy_preset(name)
    model, other = build_model(preset), build_model(preset.replace(latent_dim=9))
    with pytest.raises(ValueError, match="outputs 16 values but the decoder takes a 9-d code"):
        type(model)(**{**model.networks, "decoder": other.decoder})


@pytest.mark.parametrize("name", CONTRACT_PRESETS)
def test_each_network_gets_the_optimizer_its_preset_entry_names(name):
    """``network_optimizers`` reaches every network's optimizer: the kind, rate and betas of
    its own entry, the shared fields elsewhere; the family's preset names its model's
    networks."""
    preset = toy_preset(name)
    model_class, _ = MODELS[preset.family]
    # (a VAE-pretrained LSGAN's preset names its VAE stage's networks first)
    stage = preset.pretraining().networks if hasattr(preset, "pretraining") else ()
    assert preset.networks == stage + model_class.network_names
    first, *rest = model_class.network_names
    entries = {first: {"optimizer": "rmsprop", "learning_rate": 3e-3}}
    entries |= {network: {"learning_rate": 1e-4 * (index + 1), "adam_beta_1": 0.25}
                for index, network in enumerate(rest)}
    model = compiled(preset.replace(optimizer="adam", network_optimizers=entries))
    assert isinstance(model.optimizer_of(first), keras.optimizers.RMSprop)
    assert float(model.optimizer_of(first).learning_rate) == pytest.approx(3e-3)
    for index, network in enumerate(rest):
        optimizer = model.optimizer_of(network)
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(1e-4 * (index + 1))
        assert (optimizer.beta_1, optimizer.beta_2) == (0.25, preset.adam_beta_2)


@pytest.mark.parametrize("name", CONTRACT_PRESETS)
def test_test_step_changes_nothing_and_reports_every_loss(name):
    preset = toy_preset(name)
    model = compiled(preset)
    before = [variable.numpy().copy() for variable in model.variables
              if "seed_generator" not in variable.path and "/mean" not in variable.path
              and "count" not in variable.path and "total" not in variable.path]
    logs = model.test_step(batch_for(preset))
    after = [variable.numpy() for variable in model.variables
             if "seed_generator" not in variable.path and "/mean" not in variable.path
             and "count" not in variable.path and "total" not in variable.path]
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert set(model.loss_names) <= set(logs)
    assert all(np.isfinite(float(logs[key])) for key in model.loss_names)


@pytest.mark.parametrize("name", CONTRACT_PRESETS)
def test_fit_history_keys_and_save_load_round_trip(name, tmp_path):
    preset = toy_preset(name)
    model = compiled(preset)
    batch = batch_for(preset)
    dataset = tf.data.Dataset.from_tensors(batch).repeat(2)
    history = model.fit(dataset, validation_data=dataset, epochs=1, verbose=0, shuffle=False)
    expected = set(model.loss_names) | {f"val_{key}" for key in model.loss_names}
    assert expected <= set(history.history)
    # validation logs what the model's losses measure, nothing that only training updates
    measured = set(model.compute_losses(*model.unpack(batch)[:1], model.unpack(batch)[1]))
    assert {key for key in history.history if key.startswith("val_")} == {
        f"val_{key}" for key in measured}
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert type(loaded) is type(model)
    assert loaded.network_names == model.network_names
    attributes = (np.arange(16 * model.condition_dim).reshape(16, -1) % 3 == 0).astype(
        "float32") if model.condition_dim and not model.num_classes else None
    np.testing.assert_array_equal(loaded.sample(16, seed=0, conditions=attributes),
                                  model.sample(16, seed=0, conditions=attributes))
    for name_ in model.network_names:
        saved, restored = model.optimizer_of(name_), loaded.optimizer_of(name_)
        assert int(restored.iterations) == int(saved.iterations) > 0
        assert float(restored.learning_rate) == pytest.approx(float(saved.learning_rate))
        for a, b in zip(saved.variables, restored.variables, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def toy_vaegan_history() -> tuple[keras.Model, dict[str, list[float]]]:
    """A 2-epoch toy VAE-GAN run on 200 real digits (how ``before_base/`` was made)."""
    keras.utils.set_random_seed(0)
    model = build_vaegan("mnist", seed=0, **TOY_VAEGAN, decoder_base_shape=(6, 6, 8))
    model.compile(**adam_optimizers(5e-4))
    train = data.mnist("train", batch_size=50, limit=200, seed=0)
    validation = data.mnist("test", batch_size=50, limit=100)
    history = model.fit(train, validation_data=validation, epochs=2, verbose=0)
    return model, {key: [float(v) for v in values] for key, values in history.history.items()}


def test_vaegan_history_is_the_same_as_before_the_adversarial_base():
    _, history = toy_vaegan_history()
    expected = json.loads((BEFORE / "history.json").read_text())
    assert set(history) == set(expected)
    # Float32 round-off, amplified by 8 Adam steps (a bias in front of batch norm has a
    # gradient of ~0, and Adam divides by its size): how the step orders its updates and
    # FusedAdam's fused loop move these losses by up to 4e-5 relative.
    for key, values in expected.items():
        np.testing.assert_allclose(history[key], values, rtol=1e-4, err_msg=key)


def test_vaegan_file_saved_before_the_adversarial_base_loads_and_samples_the_same():
    model = keras.models.load_model(BEFORE / "vaegan_toy.keras", safe_mode=True)
    expected = json.loads((BEFORE / "sample.json").read_text())["sample_2_seed_0"]
    np.testing.assert_allclose(np.asarray(model.sample(2, seed=0)).ravel(), expected,
                               rtol=1e-6, atol=1e-7)
    assert model.network_names == ("encoder", "decoder", "discriminator")
    assert int(model.optimizer_of("decoder").iterations) == 8


def test_sample_refuses_conditions_it_cannot_use():
    unconditional, conditional = (build_model(toy_preset(name))
                                  for name in ("dcgan-mnist", "cdcgan-mnist"))
    with pytest.raises(ValueError, match="unconditional"):
        unconditional.sample(2, conditions=[1, 2])
    with pytest.raises(ValueError, match="needs 3 conditions, got 2"):
        conditional.sample(3, conditions=[1, 2])
    assert conditional.sample(2, conditions=[7, 7], seed=0).shape == (2, 28, 28, 1)
    with pytest.raises(ValueError, match="attribute vectors"):
        build_model(toy_preset("cdcgan-faces")).sample(2)

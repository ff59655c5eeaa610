"""The exponential moving average of the generator (decoder): its arithmetic against NumPy,
where it is used (sampling, saved networks) and where not (train and test steps), saving."""

import keras
import numpy as np
import pytest
from test_model_contract import batch_for, toy_preset

from vaegan_tf.callbacks.checkpoint import load_networks, save_networks
from vaegan_tf.models import build_model, optimizers_for
from vaegan_tf.presets import get_preset


def compiled(preset, seed=0):
    model = build_model(preset, seed=seed)
    model.compile(**optimizers_for(model, preset))
    return model


def values(variables):
    return [np.array(variable.numpy()) for variable in variables]


def test_the_average_follows_numpys_warmed_up_ema_and_copies_batch_norm_statistics():
    preset = toy_preset("dcgan-mnist").replace(ema_decay=0.9, generator_steps=1)
    model = compiled(preset)
    live = model.generator
    expected = values(live.weights)  # the average starts as the network
    for step in range(4):
        model.train_step(batch_for(preset, np.random.default_rng(step)))
        decay = min(0.9, (1 + step) / (10 + step))  # 0.1, 0.18, 0.25, 0.31: the warm-up
        expected = [decay * average + (1 - decay) * weight if variable.trainable else weight
                    for average, weight, variable in zip(expected, values(live.weights),
                                                         live.weights, strict=True)]
    for average, wanted, variable in zip(model.average.weights, expected, live.weights,
                                         strict=True):
        np.testing.assert_allclose(average.numpy(), wanted, rtol=1e-5, atol=1e-7,
                                   err_msg=variable.path)
    assert float(model.model_state["ema_updates"]) == 4.0
    assert not model.average.trainable_variables  # no optimizer touches it


def test_samples_come_from_the_average_and_losses_from_the_live_network():
    preset = toy_preset("vae-mnist").replace(ema_decay=0.5)  # losses that follow the decoder
    model = compiled(preset)
    model.train_step(batch_for(preset))
    images = batch_for(preset)
    draws = model.seed_generator.state.numpy().copy()  # each test step: the same ε

    def test_losses():
        model.reset_metrics()  # the trackers' means: of this step alone
        model.seed_generator.state.assign(draws)
        return {key: float(value) for key, value in model.test_step(images).items()}

    losses = test_losses()
    samples = np.asarray(model.sample(4, seed=1))
    for variable in model.average.weights:  # all non-trainable: no optimizer owns them
        variable.assign(variable.numpy() + 0.5)
    assert not np.allclose(np.asarray(model.sample(4, seed=1)), samples)
    assert test_losses() == pytest.approx(losses, rel=1e-6)
    for variable in model.decoder.trainable_weights:  # the live decoder moved as far
        variable.assign(variable.numpy() + 0.5)
    moved = test_losses()
    assert max(abs(moved[key] - losses[key]) for key in losses) > 1e-2
    # the average is what `network` gives outside a step; the live one when training
    assert model.network("decoder") is model.average
    assert model.network("decoder", training=True) is model.decoder
    assert model.network("encoder") is model.encoder


@pytest.mark.parametrize("name", ["mnist", "vae-mnist", "began-mnist", "infogan-mnist",
                                  "wgan-gp-mnist"])
def test_every_family_averages_its_generator_once_per_generator_update(name):
    preset = toy_preset(name).replace(ema_decay=0.5)
    model = compiled(preset)
    before = values(model.average.weights)
    model.train_step(batch_for(preset))
    updates = getattr(preset, "generator_steps", 1)
    assert float(model.model_state["ema_updates"]) == updates
    assert any(not np.array_equal(old, new.numpy())
               for old, new in zip(before, model.average.weights, strict=True))
    live = model.networks[model.averaged_network]
    assert any(not np.allclose(average.numpy(), weight.numpy())
               for average, weight in zip(model.average.weights, live.weights, strict=True)
               if weight.trainable)


def test_model_file_and_network_files_keep_the_average(tmp_path):
    preset = toy_preset("mnist").replace(ema_decay=0.5)
    model = compiled(preset)
    model.fit(batch_for(preset), epochs=1, batch_size=4, verbose=0)
    samples = np.asarray(model.sample(4, seed=1))
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.ema_decay == 0.5
    assert float(loaded.model_state["ema_updates"]) == float(model.model_state["ema_updates"])
    np.testing.assert_allclose(np.asarray(loaded.sample(4, seed=1)), samples, atol=1e-6)
    # best/ and latest/ hold the average as the decoder, which plain Keras loads
    save_networks(model, tmp_path / "best")
    decoder = keras.saving.load_model(tmp_path / "best" / "decoder.keras")
    for saved, average in zip(decoder.weights, model.average.weights, strict=True):
        np.testing.assert_array_equal(saved.numpy(), average.numpy())
    np.testing.assert_allclose(np.asarray(load_networks(tmp_path / "best").sample(4, seed=1)),
                               samples, atol=1e-6)


def test_bad_decays_are_refused():
    for decay in (-0.1, 1.0, 2.0):
        with pytest.raises(ValueError, match="ema_decay must be in"):
            get_preset("dcgan-mnist", ema_decay=decay)


def test_standing_statistics_are_the_averages_batch_statistics_on_fixed_draws(monkeypatch):
    from vaegan_tf import adversarial

    monkeypatch.setattr(adversarial, "STANDING_BATCH", 64)
    preset = toy_preset("cdcgan-mnist").replace(ema_decay=0.9, ema_standing_samples=64,
                                                generator_steps=1)
    model = compiled(preset)
    model.train_step(batch_for(preset))
    refreshed = np.asarray(model.sample(64, seed=adversarial.STANDING_SEED))  # refreshes first
    assert float(model.model_state["ema_standing_at"]) == float(
        model.model_state["ema_updates"]) == 1.0
    # One batch: the statistics are that batch's, so the average in inference mode draws
    # what it draws in training mode on the same draws (labels cycling as in sample).
    with model._average_in_training_mode():
        in_training_mode = np.asarray(model.sample(64, seed=adversarial.STANDING_SEED))
    np.testing.assert_allclose(refreshed, in_training_mode, atol=2e-5)
    layers = adversarial._batch_norm_layers(model.average)
    assert len(layers) == 3 and all(layer.momentum == 0.99 for layer in layers)
    assert not model.average.trainable_variables

    # Two batches: each statistic is the mean of the two batches' (the second batch alone is
    # the first batch of seed STANDING_SEED + 1).
    def statistics(samples, first_seed):
        monkeypatch.setattr(adversarial, "STANDING_SEED", first_seed)
        model.refresh_standing_statistics(samples)
        return [values([layer.moving_mean, layer.moving_variance]) for layer in layers]

    first, second = statistics(64, 10_000), statistics(64, 10_001)
    both = statistics(128, 10_000)
    for one, two, mean in zip(first, second, both, strict=True):
        for a, b, m in zip(one, two, mean, strict=True):
            np.testing.assert_allclose(m, (a + b) / 2, rtol=1e-5, atol=1e-6)


def test_standing_statistics_are_recomputed_only_after_the_average_moved(monkeypatch, tmp_path):
    from vaegan_tf import adversarial

    preset = toy_preset("dcgan-mnist").replace(ema_decay=0.9, ema_standing_samples=8,
                                               generator_steps=1)
    model = compiled(preset)
    refreshes = []
    original = adversarial.AdversarialModel.refresh_standing_statistics
    monkeypatch.setattr(adversarial.AdversarialModel, "refresh_standing_statistics",
                        lambda self: (refreshes.append(1), original(self)))
    model.sample(2, seed=0)
    model.sample(2, seed=0)
    assert len(refreshes) == 1  # at 0 updates, once
    model.train_step(batch_for(preset))
    live_statistics = values(adversarial._batch_norm_layers(model.average)[0].weights[2:])
    model.sample(2, seed=0)
    assert len(refreshes) == 2
    refreshed = values(adversarial._batch_norm_layers(model.average)[0].weights[2:])
    assert not np.allclose(refreshed[0], live_statistics[0])  # other than the copied ones
    # model.keras keeps the option and when it last ran: a loaded model does not rerun it
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.ema_standing_samples == 8
    loaded.sample(2, seed=0)
    assert len(refreshes) == 2
    np.testing.assert_array_equal(
        values(adversarial._batch_norm_layers(loaded.average)[0].weights[2:]), refreshed)
    # so does a networks folder (best/): its generator file holds the average's statistics
    save_networks(model, tmp_path / "best")
    best = load_networks(tmp_path / "best")
    np.testing.assert_allclose(np.asarray(best.sample(2, seed=0)),
                               np.asarray(model.sample(2, seed=0)), atol=1e-6)
    assert len(refreshes) == 2


def test_standing_statistics_are_refused_without_an_average_or_batch_norm():
    with pytest.raises(ValueError, match="it needs ema_decay > 0"):
        get_preset("dcgan-mnist", ema_standing_samples=100)
    with pytest.raises(ValueError, match="ema_standing_samples must be >= 0"):
        get_preset("dcgan-mnist", ema_decay=0.9, ema_standing_samples=-1)
    began = toy_preset("began-mnist").replace(ema_decay=0.9, ema_standing_samples=100)
    with pytest.raises(ValueError, match="has no batch normalization"):
        build_model(began)


def test_evaluate_recomputes_the_statistics_of_a_saved_average(tmp_path):
    import json

    from vaegan_tf import __main__ as entry

    preset = toy_preset("dcgan-mnist").replace(ema_decay=0.9)
    model = compiled(preset)
    model.train_step(batch_for(preset))
    model.save(tmp_path / "model.keras")
    scores = {}
    for name, extra in (("copied", []), ("standing", ["--standing-statistics", "200"])):
        assert entry.main(["evaluate", "--model", str(tmp_path / "model.keras"), "--samples",
                           "100", "--json", str(tmp_path / f"{name}.json"), *extra]) == 0
        scores[name] = json.loads((tmp_path / f"{name}.json").read_text())
    assert scores["standing"]["protocol"]["standing_statistics"] == 200
    assert "standing_statistics" not in scores["copied"]["protocol"]
    assert scores["standing"]["mnist_fid"] != pytest.approx(scores["copied"]["mnist_fid"])

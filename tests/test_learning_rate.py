"""The four NTUT learning-rate schedules (spec 4.4); schedule 4 against the original's log."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from vaegan_tf.callbacks import (
    LearningRateSchedule,
    NtutBufferRule,
    PlateauRule,
    learning_rate_schedule,
)

NETWORKS = ("encoder", "decoder", "discriminator")
LOGS = json.loads((Path(__file__).parent / "data" / "ntut_logs.json").read_text())["faces"]


class ModelWithOptimizers:
    """The part of the model protocol the schedules use: the networks and their optimizers."""

    network_names = NETWORKS

    def __init__(self, rate=5e-4):
        self.optimizers = {name: keras.optimizers.Adam(rate) for name in NETWORKS}

    def optimizer_of(self, name):
        return self.optimizers[name]



def run(schedule, validation_losses, model=None):
    """Feeds per-network validation losses epoch by epoch; returns the logged rates."""
    model = model or ModelWithOptimizers()
    schedule.set_model(model)
    rates = {name: [] for name in NETWORKS}
    for epoch in range(len(validation_losses["encoder"])):
        logs = {f"val_{name}_loss": validation_losses[name][epoch] for name in NETWORKS}
        schedule.on_epoch_end(epoch, logs)
        for name in NETWORKS:
            rates[name].append(logs[f"{name}_learning_rate"])
    return rates


def test_schedule_4_reproduces_all_300_logged_rates_of_the_original():
    rates = run(learning_rate_schedule(4), LOGS["lr4"]["validation"])
    expected = LOGS["lr4"]["learning_rate_after_epoch"]
    for name in NETWORKS:
        assert rates[name] == expected[name], name  # exact: float32 arithmetic throughout
    decays = [epoch for epoch in range(1, 100)
              if rates["encoder"][epoch] < rates["encoder"][epoch - 1]]
    assert decays[:4] == [4, 5, 6, 8]  # the spec's observed encoder decays; first check at 4
    assert rates["encoder"][0] < 5.0000003e-4 and min(rates["encoder"]) == pytest.approx(5e-6)


def test_plateau_rule_on_a_made_up_sequence():
    rule = PlateauRule(factor=0.5, min_lr=0.1, patience=2)
    rate = np.float32(1.0)
    seen = []
    for loss in [5, 4, 4, 4, 3, 6, 7, 8, 9, 10, 11]:
        rate = rule.step(rate, loss)
        seen.append(float(rate))
    # best 4 at step 1; no improvement at 2, 3 → decay at 3 (wait reset); 3 is new best;
    # 6, 7 → decay; 8, 9 → decay (clamped at 0.1 at the next one); 10, 11 → stays at min
    assert seen == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, float(np.float32(0.1))]
    assert rule.get_state() == {"best": 3, "wait": 0}


def test_schedules_2_and_3_use_the_readme_numbers():
    flat = {name: [1.0] * 12 for name in NETWORKS}
    rates = run(learning_rate_schedule(2), flat)["encoder"]
    # first loss sets the best; 10 epochs without improvement → one decay, at epoch 10
    assert rates[9] == pytest.approx(5e-4) and rates[10] == pytest.approx(5e-4 * 0.85)
    rates = run(learning_rate_schedule(3), flat)["encoder"]
    assert rates[5] == pytest.approx(5e-4) and rates[6] == pytest.approx(5e-4 * 0.75)


def test_schedule_1_is_constant_and_needs_no_validation():
    schedule = learning_rate_schedule(1)
    model = ModelWithOptimizers(3e-4)
    schedule.set_model(model)
    logs = {}
    schedule.on_epoch_end(0, logs)
    assert logs["decoder_learning_rate"] == pytest.approx(3e-4)


def test_readme_variant_of_schedule_4_decays_when_the_loss_did_not_drop():
    rule = NtutBufferRule(factor=0.5, min_lr=0.0, window=2, readme_rule=True)
    rate, rates = np.float32(1.0), []
    for loss in [3, 2, 1, 5, 0.5]:
        rate = rule.step(rate, loss)
        rates.append(float(rate))
    # buffer full from the third loss: 1 < min(3, 2) → no decay; 5 ≥ min(2, 1) → decay;
    # 0.5 < min(1, 5) → no decay
    assert rates == [1, 1, 1, 0.5, 0.5]


def test_state_round_trip_continues_the_same_schedule():
    losses = LOGS["lr4"]["validation"]
    first_half = {name: values[:30] for name, values in losses.items()}
    second_half = {name: values[30:] for name, values in losses.items()}
    model = ModelWithOptimizers()
    schedule = learning_rate_schedule(4)
    run(schedule, first_half, model)
    state = json.loads(json.dumps(schedule.get_state()))  # survives a JSON file
    resumed = learning_rate_schedule(4)
    resumed.set_state(state)
    rates = run(resumed, second_half, model)
    assert rates["decoder"] == LOGS["lr4"]["learning_rate_after_epoch"]["decoder"][30:]


def test_errors_are_clear():
    schedule = learning_rate_schedule(4)
    schedule.set_model(ModelWithOptimizers())
    with pytest.raises(ValueError, match="validation_data"):
        schedule.on_epoch_end(0, {})
    with pytest.raises(ValueError, match="Unknown schedule"):
        learning_rate_schedule(5)
    with pytest.raises(ValueError):
        PlateauRule(factor=1.5, min_lr=0, patience=3)
    assert isinstance(learning_rate_schedule(2, patience=3), LearningRateSchedule)


class HalvingRule:
    """Any object with step/get_state/set_state is a rule."""

    needs_loss = True

    def step(self, rate, loss):
        return np.float32(rate / 2)

    def get_state(self):
        return {}

    def set_state(self, state):
        pass


def test_schedule_drives_the_optimizers_inside_fit(mnist_like_batch):
    import tensorflow as tf

    from vaegan_tf import adam_optimizers, build_vaegan

    model = build_vaegan("mnist", seed=0)
    model.compile(**adam_optimizers(4e-4))
    data = tf.data.Dataset.from_tensor_slices(mnist_like_batch).batch(4)
    history = model.fit(data, validation_data=data, epochs=2, verbose=0, shuffle=False,
                        callbacks=[LearningRateSchedule(HalvingRule())])
    for name in NETWORKS:
        assert history.history[f"{name}_learning_rate"] == pytest.approx([2e-4, 1e-4])
        assert float(getattr(model, f"{name}_optimizer").learning_rate) == pytest.approx(1e-4)

"""tf.distribute: a step on two mirrored replicas (two logical CPUs, in a fresh process)
equals the step on one device for every model family, and the replicas stay identical."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

CHILD = Path(__file__).with_name("distribute_child.py")
QUIET = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


CASES = ["mnist", "mnist, soft and noisy labels", "mnist, equilibrium gate", "dcgan-mnist",
         "wgan-gp-mnist", "cdcgan-mnist", "dcgan-mnist, generator average",
         "dcgan-mnist, generator average, standing statistics", "sngan-mnist"]


@pytest.fixture(scope="module")
def distributed():
    # Two children with half the cases each, at once: a child spends most of its time
    # tracing, on one core (81 s for all cases in one child, 49 s as two).
    children = [subprocess.Popen([sys.executable, str(CHILD), *cases], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=QUIET)
                for cases in ([*CASES[:3], "--gate"], CASES[3:])]
    results = {"steps": {}}
    try:
        for child in children:
            out, err = child.communicate(timeout=900)  # a hang around an all-reduce fails here
            assert child.returncode == 0, err[-3000:]
            result = json.loads(out.strip().splitlines()[-1])
            results["steps"].update(result.pop("steps"))
            results.update(result)
    finally:
        for child in children:
            child.kill()
    assert sorted(results["steps"]) == sorted(CASES)
    return results


@pytest.mark.parametrize("case", CASES)
def test_a_step_on_two_replicas_equals_the_step_on_one_device(distributed, case):
    result = distributed["steps"][case]
    # Losses scaled per replica, batch norm over the whole batch, each replica's slice of the
    # whole batch's random draws: the same SGD step up to float32 round-off.
    assert result["moved"] > 1e-2
    assert result["weights"] < 2e-6 * max(1.0, result["moved"]), result  # round-off scales
    assert result["replicas"] == 0.0
    for key, (one, two) in result["losses"].items():
        np.testing.assert_allclose(two, one, rtol=1e-5, atol=1e-6, err_msg=key)
    if "standing statistics" in case:
        # sampling refreshed the average's statistics once (at its 2 updates: DCGAN's 2
        # generator steps), in the cross-replica context, to what one device computes
        assert result["refreshed"] == [2.0, 2.0]
        assert result["samples"] < 1e-5


def test_replicas_that_disagree_on_the_gate_take_one_branch(distributed):
    result = distributed["disagreeing_gate"]
    assert result["replicas"] == 0.0
    # The mean costs (pushed by 10 on one replica) are above the band: D trains, the decoder
    # does not, on both replicas.
    assert result["updated"] == {"decoder": 0.0, "discriminator": 1.0}


def test_train_distributed_from_the_command_line(tmp_path):
    toy = ["--set", "latent_dim=8", "--set", "dense_units=16", "--set", "conv_filters=8,16",
           "--set", "decoder_filters=8"]
    command = [sys.executable, "-m", "vaegan_tf", "train", "--limit", "200", "--batch-size",
               "20", "--epochs", "2", "--metrics-every", "0", "--quiet", *toy]
    run = subprocess.run([*command, "--distribute", "mirrored", "--cpu-replicas", "2",
                          "--out", str(tmp_path / "run")], capture_output=True, text=True,
                         timeout=600, env=QUIET)
    assert run.returncode == 0, run.stderr[-3000:]
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert len(history["encoder_loss"]) == 2 and np.all(np.isfinite(history["encoder_loss"]))
    config = json.loads((tmp_path / "run" / "config.json").read_text())["run"]
    assert config["distribute"] == "mirrored" and config["xla"] is False
    uneven = subprocess.run([*command, "--batch-size", "15", "--distribute", "mirrored",
                             "--cpu-replicas", "2", "--out", str(tmp_path / "uneven")],
                            capture_output=True, text=True, timeout=600, env=QUIET)
    assert uneven.returncode == 2
    assert "batch size 15 does not split evenly over 2 replicas" in uneven.stderr

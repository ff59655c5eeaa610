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
         "wgan-gp-mnist", "cdcgan-mnist", "dcgan-mnist, generator average", "sngan-mnist"]


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


def _free_ports(count):
    import socket

    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("localhost", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def test_two_local_workers_train_what_one_device_trains():
    """Two workers over loopback (``MultiWorkerMirroredStrategy`` from ``TF_CONFIG``) take the
    steps one device takes on the same global batches, for a toy VAE-GAN and a toy DCGAN: the
    same weights and history. Keras'
    ``fit`` reduces the logs of several workers along an axis scalar logs do not have
    (keras-team/keras#20585); the base returns them with one (``_track``)."""
    workers = [f"localhost:{port}" for port in _free_ports(2)]
    processes = [subprocess.Popen(
        [sys.executable, str(CHILD.with_name("multiworker_child.py")), str(index)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**QUIET, "TF_CONFIG": json.dumps({"cluster": {"worker": workers},
                                               "task": {"type": "worker", "index": index}})})
        for index in range(2)]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs[0][1][-2000:]
    results = [json.loads(out.strip().splitlines()[-1])["models"] for out, _ in outputs]
    assert sorted(results[0]) == ["dcgan-mnist", "mnist"]
    for name in results[0]:
        assert results[0][name]["checksum"] == results[1][name]["checksum"], name
        for result in (results[0][name], results[1][name]):
            assert result["moved"] > 1e-2
            assert result["weights"] < 2e-6 * max(1.0, result["moved"]), (name, result)
            for key, (two, one) in result["losses"].items():
                np.testing.assert_allclose(two, one, rtol=1e-5, atol=1e-6, err_msg=key)


def _cluster(command: list[str], environment: dict[str, str], timeout: float = 300.0,
             kill_after: float | None = None) -> list[subprocess.CompletedProcess]:
    """``command`` run as each of two workers of a loopback cluster; with ``kill_after``,
    worker 1 is killed that many seconds in and worker 0 (then waiting on it) after it."""
    workers = [f"localhost:{port}" for port in _free_ports(2)]
    processes = [subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**environment, "TF_CONFIG": json.dumps({
            "cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})})
        for index in range(2)]
    try:
        if kill_after is not None:
            try:
                processes[1].wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                processes[1].kill()
            processes[0].kill()
        return [subprocess.CompletedProcess(process.args, process.wait(timeout=timeout),
                                            *process.communicate(timeout=timeout))
                for process in processes]
    finally:
        for process in processes:
            process.kill()


def test_two_workers_from_the_command_line_write_only_the_chiefs_run_and_resume(tmp_path):
    """``vaegan-tf train --distribute multi-worker``: worker 0 (the chief) writes --out, worker
    1 a temporary directory it deletes; a cluster killed during epoch 2 resumes from the
    chief's epoch 1 in both workers and finishes with the history of one run."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    run = tmp_path / "run"
    environment = {**QUIET, "TMPDIR": str(temporary)}
    command = [sys.executable, "-m", "vaegan_tf", "train", "--preset", "dcgan-mnist",
               "--limit", "256", "--quiet", "--seed", "0", "--metrics-every", "0",
               "--set", "latent_dim=8", "--set", "dense_units=16", "--set",
               "generator_filters=4", "--set", "discriminator_filters=4",
               "--distribute", "multi-worker", "--out", str(run)]
    first = _cluster([*command, "--epochs", "1"], environment)
    assert [result.returncode for result in first] == [0, 0], first[1].stderr[-2000:]
    assert (run / "model.keras").is_file() and not list(temporary.iterdir())
    history = json.loads((run / "history.json").read_text())
    assert len(history["generator_loss"]) == 1
    # killed while starting or training epoch 2, then started again
    _cluster([*command, "--epochs", "2"], environment, kill_after=8.0)
    resumed = _cluster([*command, "--epochs", "2"], environment)
    assert [result.returncode for result in resumed] == [0, 0], resumed[1].stderr[-2000:]
    assert all("Resuming" in result.stdout for result in resumed)
    final = json.loads((run / "history.json").read_text())
    assert len(final["generator_loss"]) == 2
    assert final["generator_loss"][0] == history["generator_loss"][0]
    assert not [path for path in temporary.iterdir() if path.name.startswith("vaegan-tf-")]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run", "tmp"]

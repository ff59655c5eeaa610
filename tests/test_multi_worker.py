"""Several workers: two processes over loopback (``MultiWorkerMirroredStrategy`` from
``TF_CONFIG``) train what one device trains, and the command line's multi-worker runs write only
the chief's run directory and resume after a killed cluster."""

import json
import subprocess
import sys

import numpy as np
from test_distribute import CHILD, QUIET


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

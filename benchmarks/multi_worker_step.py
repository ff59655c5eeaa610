"""Two workers × 1 core against one worker × 2 cores (issue 28): the real-width MNIST
VAE-GAN's step, global batch 100, on this machine over loopback.

Three settings, each a fresh process (or two), each pinned to its cores
(``os.sched_setaffinity``) with TensorFlow's thread pools sized to them:

- ``one``: one process on cores 0-1, the whole batch of 100;
- ``two``: two workers (``MultiWorkerMirroredStrategy``, TF_CONFIG on 127.0.0.1), one core
  each, 50 images each;
- ``half``: one process on core 0 with 50 images: the compute of one worker's share, so
  ``1 − half / two`` estimates the share of the two-worker step spent outside compute
  (the all-reduces and waiting).

Prints the median step time of each (after warm-up) as JSON and writes
``benchmarks/multi_worker_step.json``.

Example:
    python benchmarks/multi_worker_step.py --steps 30
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_worker(cores: list[int], batch: int, steps: int, multi: bool) -> None:
    os.sched_setaffinity(0, cores)
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(len(cores))
    tf.config.threading.set_inter_op_parallelism_threads(len(cores))
    strategy = tf.distribute.MultiWorkerMirroredStrategy() if multi else None
    import keras

    from vaegan_tf.models import build_model, optimizers_for
    from vaegan_tf.presets import get_preset

    preset = get_preset("mnist")
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = build_model(preset, seed=0)
        model.compile(**optimizers_for(model, preset), jit_compile=False)
    images = np.random.default_rng(0).uniform(-1, 1, (batch * (steps + 5), 28, 28, 1))
    data = tf.data.Dataset.from_tensor_slices(images.astype("float32")).batch(batch)
    times = []

    class Timer(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch_index, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch_index, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(data, epochs=1, verbose=0, callbacks=[Timer()], check_images=False)
    print(json.dumps({"median_step_s": float(np.median(times[5:])), "steps": len(times)}))


def launch(cores_per_process: list[list[int]], batch: int, steps: int) -> float:
    multi = len(cores_per_process) > 1
    ports = []
    for _ in cores_per_process if multi else []:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    processes = []
    for index, cores in enumerate(cores_per_process):
        environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        if multi:
            environment["TF_CONFIG"] = json.dumps({
                "cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
                "task": {"type": "worker", "index": index}})
        processes.append(subprocess.Popen(
            [sys.executable, __file__, "--worker", ",".join(map(str, cores)), str(batch),
             str(steps), "multi" if multi else "one"], env=environment,
            stdout=subprocess.PIPE, text=True))
    results = [json.loads(process.communicate(timeout=1800)[0].strip().splitlines()[-1])
               for process in processes]
    return max(result["median_step_s"] for result in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from provenance import provenance

    one = launch([[0, 1]], 100, args.steps)
    two = launch([[0], [1]], 50, args.steps)
    half = launch([[0]], 50, args.steps)
    result = {"one_worker_2_cores_s": one, "two_workers_1_core_s": two,
              "one_core_half_batch_s": half, "two_vs_one": two / one,
              "outside_compute_share": 1.0 - half / two, "steps": args.steps,
              **provenance()}
    print(json.dumps(result, indent=1))
    (HERE / "multi_worker_step.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        cores, batch, steps, mode = sys.argv[2:6]
        run_worker([int(core) for core in cores.split(",")], int(batch), int(steps),
                   mode == "multi")
    else:
        sys.exit(main())

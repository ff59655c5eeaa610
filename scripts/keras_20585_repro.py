"""A minimal reproduction of keras-team/keras#20585, for the upstream report: a Keras 3
model whose ``train_step`` returns scalar logs (as every custom ``train_step`` in Keras'
own examples does) fails in ``fit`` under ``MultiWorkerMirroredStrategy`` with two workers:
"Invalid reduction dimension 0 for input with 0 dimensions". Keras'
``reduce_per_replica`` calls ``strategy.reduce("MEAN", value, axis=0)`` on them there.
``--rank-1`` returns the logs with one axis instead (vaegan_tf's workaround): it trains.

Runs itself as two workers on free 127.0.0.1 ports; no vaegan_tf import.

Example:
    python scripts/keras_20585_repro.py            # fails on Keras 3.15 / TF 2.21
    python scripts/keras_20585_repro.py --rank-1   # trains
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys


def worker(rank_1: bool) -> None:
    import numpy as np
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    import keras

    class Tiny(keras.Model):
        def __init__(self) -> None:
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.tracker = keras.metrics.Mean(name="loss")

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(self(data) - 1.0))
            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(gradients, self.trainable_variables, strict=True))
            self.tracker.update_state(loss)
            result = self.tracker.result()
            return {"loss": tf.reshape(result, (1,)) if rank_1 else result}

        @property
        def metrics(self):
            return [self.tracker]

    with strategy.scope():
        model = Tiny()
        model.compile(optimizer="sgd")
    data = tf.data.Dataset.from_tensor_slices(np.ones((8, 3), "float32")).batch(4)
    history = model.fit(data, epochs=1, verbose=0).history
    print(json.dumps({"loss": float(np.ravel(history["loss"])[0])}))


def main() -> int:
    rank_1 = "--rank-1" in sys.argv
    sockets = [socket.socket() for _ in range(2)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    workers = [f"127.0.0.1:{sock.getsockname()[1]}" for sock in sockets]
    for sock in sockets:
        sock.close()
    processes = [subprocess.Popen(
        [sys.executable, __file__, "--worker", *(["--rank-1"] if rank_1 else [])],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_CONFIG": json.dumps({
            "cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for index in range(2)]
    codes = []
    for index, process in enumerate(processes):
        out, err = process.communicate(timeout=300)
        codes.append(process.returncode)
        failure = [line for line in err.splitlines() if "Invalid reduction" in line][:1]
        print(f"worker {index}: exit {process.returncode} {out.strip()} {' '.join(failure)}")
    return max(codes)


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker("--rank-1" in sys.argv)
    else:
        sys.exit(main())

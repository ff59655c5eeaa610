"""Run by the resume tests in a fresh process: ``python tests/killed_child.py ARGS`` runs the
CLI with ARGS and SIGKILLs it at (epoch, batch) = $KILL_AT, e.g. "4,5": after four finished
epochs, in the middle of the fifth. $KILL_STAGE picks the run directory of a two-stage run
(a VAE-pretrained LSGAN): "pretrain" kills in its VAE stage, "gan" in its GAN stage."""

import os
import signal
import sys

import keras

from vaegan_tf import training
from vaegan_tf.__main__ import main

KILL_AT = tuple(int(part) for part in os.environ["KILL_AT"].split(","))
STAGE = os.environ.get("KILL_STAGE")


class Kill(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == KILL_AT:
            os.kill(os.getpid(), signal.SIGKILL)


original = training.run_callbacks


def with_kill(directory, *args, **kwargs):
    callbacks, grids, gif = original(directory, *args, **kwargs)
    if STAGE is None or (directory.name == "pretrain") == (STAGE == "pretrain"):
        callbacks = [*callbacks, Kill()]
    return callbacks, grids, gif


training.run_callbacks = with_kill
sys.exit(main(sys.argv[1:]))

"""Running TensorFlow quietly for the command line.

TensorFlow 2.21 prints its C++ notices straight to file descriptor 2, some before its logging
is configured, so ``TF_CPP_MIN_LOG_LEVEL`` does not hide them (measured: levels 1 and 2 leave
all start-up notices, 3 hides only the ``cuInit`` line, and real errors with it). At start-up
on a machine without a GPU they are the CUDA stub's "Could not find cuda drivers", "failed
call to cuInit: ... CUDA error" (an ``E`` line that reads like a failure), the oneDNN notice and
the CPU-feature notice; during training the MLIR crash-reproducer notice, XLA's "Compiled
cluster", an ``E`` line about a dataset attribute (``use_unbounded_threadpool``: a newer
attribute this TensorFlow's graph reader skips, harmless) and, for the GAN discriminators, an
``E`` line of Grappler's remapper declining a fusion. ``quiet_native_stderr`` passes
descriptor 2 through a thread that drops exactly those lines (``NOTICES``) and writes every
other line on at once, so real warnings and errors still reach the user as they happen.
"""

from __future__ import annotations

import atexit
import os
import re
import sys
import threading

NOTICES = re.compile(
    # at start-up
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|oneDNN custom operations are on"
    r"|Could not find cuda drivers on your machine"
    r"|failed call to cuInit"
    r"|cpu_feature_guard\.cc"
    r"|^To enable the following instructions: .*rebuild TensorFlow"
    # while training
    r"|dump_mlir_util\.cc.*disabling MLIR crash reproducer"
    r"|Compiled cluster using XLA!"
    r"|This line is logged at most once for the lifetime of the process"
    r"|node_def_util\.cc.*NodeDef mentions attribute use_unbounded_threadpool"
    r"|XLA service 0x[0-9a-f]+ initialized for platform Host"
    r"|StreamExecutor (device )?[\[(]\d+[\])]: Host, Default Version"
    # Grappler's remapper gives up on one fusion (a LeakyReLU gradient reading the bias-add it
    # would fuse) and leaves that graph unfused: nothing the user can act on
    r"|meta_optimizer\.cc.*remapper failed: INVALID_ARGUMENT: Mutation::Apply error"
)
"""Lines TensorFlow prints on a CPU machine that say nothing is wrong."""

_installed: list[threading.Thread] = []


def _pump(source: int, target: int, drop: re.Pattern[str]) -> None:
    """Copies lines from descriptor ``source`` to ``target`` until end of file, except those
    matching ``drop``."""
    pending = b""
    while chunk := os.read(source, 65536):
        *lines, pending = (pending + chunk).split(b"\n")
        kept = [line for line in lines if not drop.search(line.decode(errors="replace"))]
        if kept:
            os.write(target, b"\n".join(kept) + b"\n")
    if pending and not drop.search(pending.decode(errors="replace")):
        os.write(target, pending)
    os.close(source)


def quiet_native_stderr(drop: re.Pattern[str] = NOTICES) -> None:
    """From now on until the process exits, lines written to file descriptor 2 (by C++ and
    Python alike) that match ``drop`` are dropped; every other line is written on as it comes.
    Installed once per process; at exit the last lines are flushed."""
    if _installed:
        return
    sys.stderr.flush()
    source, sink = os.pipe()
    original = os.dup(2)
    os.dup2(sink, 2)
    os.close(sink)
    thread = threading.Thread(target=_pump, args=(source, original, drop), daemon=True,
                              name="stderr-filter")
    thread.start()
    _installed.append(thread)

    def restore() -> None:
        sys.stderr.flush()
        os.dup2(original, 2)  # the pipe's last writer closes: the thread reads to its end
        thread.join(timeout=5)

    atexit.register(restore)


def import_tensorflow(verbose: bool = False) -> None:
    """Imports TensorFlow and initialises its devices; without ``verbose``, TensorFlow's
    notices (``NOTICES``) are dropped from then on and everything else is shown."""
    if not verbose:
        quiet_native_stderr()
    import tensorflow as tf

    tf.config.list_physical_devices()

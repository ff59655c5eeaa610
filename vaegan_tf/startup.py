"""Starting TensorFlow quietly for the command line.

TensorFlow 2.21 prints its C++ start-up notices straight to file descriptor 2, before its
logging is configured, so ``TF_CPP_MIN_LOG_LEVEL`` does not hide them (measured: levels 1 and
2 leave all of them, 3 hides only the ``cuInit`` line, and real errors with it). On a machine
without a GPU they are the CUDA stub's "Could not find cuda drivers", "failed call to cuInit:
... CUDA error" (an ``E`` line that reads like a failure), the oneDNN notice and the CPU-feature
notice. ``import_tensorflow`` imports TensorFlow and initialises its devices (where the cuInit
line comes from) with descriptor 2 sent to a temporary file, then writes back every line except
those notices, so real warnings and errors still reach the user.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

START_UP_NOTICES = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|oneDNN custom operations are on"
    r"|Could not find cuda drivers on your machine"
    r"|failed call to cuInit"
    r"|cpu_feature_guard\.cc"
    r"|^To enable the following instructions: .*rebuild TensorFlow"
)
"""Lines TensorFlow prints at start-up on a CPU machine that say nothing is wrong."""


@contextlib.contextmanager
def native_stderr_filtered(drop: re.Pattern[str]) -> Iterator[None]:
    """Sends file descriptor 2 (C++ and Python alike) to a temporary file inside the block,
    then writes its lines back to stderr, except those matching ``drop``."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines()
                    if not drop.search(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr, flush=True)


def import_tensorflow(verbose: bool = False) -> None:
    """Imports TensorFlow and initialises its devices; without ``verbose``, the start-up
    notices (``START_UP_NOTICES``) are dropped and everything else is shown."""
    with contextlib.nullcontext() if verbose else native_stderr_filtered(START_UP_NOTICES):
        import tensorflow as tf

        tf.config.list_physical_devices()

"""Where local datasets are, found without importing TensorFlow (the command line checks
``--data`` before it loads TensorFlow)."""

from __future__ import annotations

import os
import re
from pathlib import Path


def prepared_tfds_mnist(data_dir: str | os.PathLike | None = None) -> Path | None:
    """The newest prepared ``mnist/<version>`` directory under the TFDS data dir (``data_dir``,
    else ``$TFDS_DATA_DIR``, else ``~/tensorflow_datasets``), if any."""
    root = Path(
        data_dir or os.environ.get("TFDS_DATA_DIR") or Path.home() / "tensorflow_datasets"
    )
    versions = [
        path.parent for path in root.glob("mnist/*/dataset_info.json")
        if re.fullmatch(r"\d+\.\d+\.\d+", path.parent.name)  # not tfds' incomplete.* dirs
    ]
    return max(versions, key=lambda v: tuple(map(int, v.name.split(".")))) if versions else None

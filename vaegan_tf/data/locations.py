"""Where local datasets are, found without importing TensorFlow (the command line checks
``--data`` before it loads TensorFlow)."""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

TFDS_FEATURES = "tensorflow_datasets.core.features."
"""The only module prefix a TFDS ``features.json`` may name: TFDS imports the module of every
``pythonClassName`` it reads, so another name would run code from the data directory."""


def foreign_feature_classes(directory: str | os.PathLike) -> list[str]:
    """The ``pythonClassName`` values in ``directory/features.json`` outside TFDS' own feature
    modules (an unreadable file counts as one). Empty: the directory is safe to open."""
    path = Path(directory) / "features.json"
    if not path.is_file():
        return []
    try:
        content = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return [f"(unreadable {path}: {error})"]
    names: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "pythonClassName" and not (
                        isinstance(item, str) and item.startswith(TFDS_FEATURES)):
                    names.append(str(item))
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(content)
    return names


def safe_tfds_directory(directory: Path, explicit: bool) -> Path | None:
    """``directory`` if its features name only TFDS' classes; otherwise an error when the
    user named it (``explicit``), or a warning and None (the next source is used)."""
    foreign = foreign_feature_classes(directory)
    if not foreign:
        return directory
    message = (f"{directory}/features.json names {', '.join(foreign)}, outside "
               f"{TFDS_FEATURES}*: reading it would import code from the data directory")
    if explicit:
        raise ValueError(f"Refusing {message}")
    warnings.warn(f"Skipping {message}", stacklevel=2)
    return None


def prepared_tfds_dataset(name: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """The newest prepared ``NAME/<version>`` directory under the TFDS data dir (``data_dir``,
    else ``$TFDS_DATA_DIR``, else ``~/tensorflow_datasets``), if any and safe to open
    (``safe_tfds_directory``: one found by the default search that names foreign classes is
    skipped with a warning; one under an explicit ``data_dir`` raises ``ValueError``)."""
    root = Path(
        data_dir or os.environ.get("TFDS_DATA_DIR") or Path.home() / "tensorflow_datasets"
    )
    versions = [
        path.parent for path in root.glob(f"{name}/*/dataset_info.json")
        if re.fullmatch(r"\d+\.\d+\.\d+", path.parent.name)  # not tfds' incomplete.* dirs
    ]
    if not versions:
        return None
    newest = max(versions, key=lambda v: tuple(map(int, v.name.split("."))))
    return safe_tfds_directory(newest, explicit=data_dir is not None)


def prepared_tfds_mnist(data_dir: str | os.PathLike | None = None) -> Path | None:
    """``prepared_tfds_dataset("mnist", data_dir)``."""
    return prepared_tfds_dataset("mnist", data_dir)

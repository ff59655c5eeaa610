"""A run directory belongs to one run: a lock while it trains, and a check before it is used.

The lock is an OS file lock (``flock``) on ``RUN/.lock``: the kernel releases it when the
process ends in any way (normal exit, exception, Ctrl-C, SIGKILL), so a lock can never be left
behind by a dead process; the file itself stays and names the last holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LOCK = ".lock"
_HELD: dict[Path, int] = {}
"""Run directories this process has locked, with the lock's depth (re-entrant)."""


class RunDirectoryError(RuntimeError):
    """The run directory cannot be used as asked (locked by another process, or holding
    another run's files)."""


@contextlib.contextmanager
def run_lock(directory: str | os.PathLike) -> Iterator[None]:
    """Holds ``directory``'s lock inside the block (creating the directory).

    Re-entrant within a process (the CLI holds it around ``training.train``, which takes it
    too). A directory this call created is removed again if nothing but the lock file is in it
    at the end (a run refused before writing anything leaves nothing behind).

    Raises:
        RunDirectoryError: another process holds it; the message names that process.
    """
    path = Path(directory).resolve()
    if path in _HELD:
        _HELD[path] += 1
        try:
            yield
        finally:
            _HELD[path] -= 1
        return
    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(descriptor, 4096).decode(errors="replace").strip() or "{}"
            raise RunDirectoryError(
                f"{directory} is in use by another training ({_describe(holder)}); wait for "
                "it to finish, or use another --out") from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S")}).encode())
        _HELD[path] = 1
        try:
            yield
        finally:
            del _HELD[path]
            if created and [entry.name for entry in path.iterdir()] == [LOCK]:
                (path / LOCK).unlink()
                path.rmdir()
    finally:
        os.close(descriptor)  # releases the lock


def _describe(holder: str) -> str:
    try:
        info: dict[str, Any] = json.loads(holder)
        return f"process {info['pid']} on {info['host']}, since {info['started']}"
    except (ValueError, KeyError, TypeError):
        return "a process that did not say which"


def foreign_files(directory: str | os.PathLike, run: dict[str, Any]) -> list[str]:
    """The files in ``directory`` that another run (or the user) put there: everything, unless
    its ``config.json`` records this same run (``run``: the ``preset`` and ``seed`` it must
    match, as ``config.json`` stores them). An empty or missing directory has none."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    names = sorted(path.name for path in folder.iterdir() if path.name != LOCK)
    if not names:
        return []
    try:
        config = json.loads((folder / "config.json").read_text())
        same = config["preset"] == run["preset"] and config["run"]["seed"] == run["seed"]
    except (OSError, ValueError, KeyError, TypeError):
        same = False
    return [] if same else names


PARTIAL_PATTERN = ".partial-*"
"""Temporary files of ``callbacks.write_atomically``, renamed when complete; one left behind
was being written when its process died."""

KERAS_TEMPORARY = re.compile(r"tmp[a-z0-9_]{8}")
"""The name of the HDF5 file Keras streams a ``.keras`` file's weights through beside it
(``tempfile.NamedTemporaryFile``); one left behind was being written when its process died."""
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _leftover(path: Path) -> bool:
    if fnmatch.fnmatch(path.name, PARTIAL_PATTERN):
        return True
    if not KERAS_TEMPORARY.fullmatch(path.name) or not path.is_file():
        return False
    with open(path, "rb") as file:
        return file.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE


def remove_partial_files(directory: str | os.PathLike) -> list[Path]:
    """Deletes the temporary files of interrupted saves in ``directory`` and its sub-folders
    (``best/``, ``backup/``, ``latest/``, ``epochs/epoch_XXXX/``): ``.partial-*`` files, and
    Keras' ``tmpXXXXXXXX`` weight files (HDF5), and returns them. Call it holding the
    directory's lock: then no other process can be writing them."""
    folder = Path(directory)
    leftovers = [path for pattern in ("*", "*/*", "*/*/*") for path in folder.glob(pattern)
                 if _leftover(path)]
    for path in leftovers:
        path.unlink(missing_ok=True)
    return leftovers


RUN_FILES = ("config.json", "history.csv", "history.json", "losses.png", "learning_rates.png",
             "model.keras", "metrics.json", "split.json", "number.gif", "image_at_epoch_*.png",
             "traversal_at_epoch_*.png",
             LOCK)
"""What training writes at the top of a run directory whatever its preset (``run_owned`` adds
the preset's grid and GIF names, and everything in the folders ``RUN_FOLDERS``)."""
RUN_FOLDERS = ("backup", "best", "latest", "epochs", "logs")


def run_owned(path: str | os.PathLike) -> Path | None:
    """The run directory whose training wrote (or will write) ``path``, or None: ``path`` is
    one of ``RUN_FILES`` in a folder holding a run's ``config.json``, or lies in one of its
    ``RUN_FOLDERS``."""
    path = Path(path).resolve()
    for depth, folder in enumerate(path.parents):
        if depth > 3:
            return None
        try:
            config = json.loads((folder / "config.json").read_text())
            preset = config.get("preset", {}) if "run" in config else None
        except (OSError, ValueError, TypeError, AttributeError):
            continue
        if preset is None:
            continue
        names = (*RUN_FILES, *(re.sub(r"\{epoch[^}]*\}", "*", str(preset[field]))
                               for field in ("grid_filename", "gif_filename") if field in preset))
        relative = path.relative_to(folder).parts
        owned = (len(relative) > 1 and relative[0] in RUN_FOLDERS) or (
            len(relative) == 1 and any(fnmatch.fnmatch(relative[0], name) for name in names))
        return folder if owned else None
    return None

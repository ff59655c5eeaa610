"""Where a benchmark ran: the CPU model, core count and the code's git commit, recorded in
every result file (speeds compare only within one machine and one run)."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


def provenance() -> dict[str, object]:
    """``{"cpu": model name, "cpus": count, "commit": hash (+ "-dirty")}`` of this checkout."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here,
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=here, capture_output=True, text=True).stdout.strip()
        commit += "-dirty" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {"cpu": cpu, "cpus": os.cpu_count(), "commit": commit}

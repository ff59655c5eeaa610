"""Print a run's wall time as JSON, ``{"epochs": N, "seconds": S}``, from its resume backup.

The seconds are the run's own measure of training, validation, scoring and checkpoints (the
``EpochSummary`` state the backup keeps across resumes); ``scripts/metrics_table.py`` turns
them into minutes per epoch.

Example:
    python scripts/run_timing.py runs/zoo/dcgan-mnist > img/zoo/dcgan-mnist/timing.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: run_timing.py RUN_DIR", file=sys.stderr)
        return 2
    state_path = Path(args[0]) / "backup" / "state.json"
    try:
        state = json.loads(state_path.read_text())
        timing = {"epochs": state["epoch"],
                  "seconds": state["callbacks"]["EpochSummary"]["elapsed"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"error: {state_path}: no run timing ({error})", file=sys.stderr)
        return 2
    print(json.dumps(timing))
    return 0


if __name__ == "__main__":
    sys.exit(main())

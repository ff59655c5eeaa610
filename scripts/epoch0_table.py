"""Print issue 11's epoch-0 table: each one-epoch run's mean losses beside the original's.

Every ``RUN_DIR`` (``img/mnist/unknowns/*``, from ``img/mnist/unknowns/run_epoch0.sh``) holds
a ``history.json`` and ``config.json``; its "change" is what its preset and learning rate set
differently from the faithful ``mnist`` preset. The original's epoch-0 means come from its
TensorBoard logs (``tests/data/ntut_logs.json``). A run is "within 10%" when all three
losses are.

Example:
    python scripts/epoch0_table.py img/mnist/unknowns/*/
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from compare_mnist_losses import NETWORKS, ORIGINAL_LOGS

from vaegan_tf.presets import get_preset

TOLERANCE = 0.10


def changed_fields(preset: dict) -> str:
    """The preset fields that differ from the faithful ``mnist`` preset, as ``--set`` text."""
    faithful = json.loads(json.dumps(get_preset("mnist").to_dict()))
    changes = [f"{key}={value}" for key, value in preset.items()
               if key not in ("name", "network_optimizers") and faithful.get(key, value) != value]
    changes += [f"{network}.{key}={value}"
                for network, settings in preset.get("network_optimizers", {}).items()
                for key, value in settings.items()]
    return ", ".join(changes) or "(none: the faithful preset)"


def row(directory: Path, original: list[float]) -> str:
    history = json.loads((directory / "history.json").read_text())
    preset = json.loads((directory / "config.json").read_text())["preset"]
    ours = [history[f"{name}_loss"][0] for name in NETWORKS]
    gaps = [(a - b) / b for a, b in zip(ours, original, strict=True)]
    within = all(abs(gap) <= TOLERANCE for gap in gaps)
    fid = history.get("mnist_fid", [float("nan")])[0]
    cells = [directory.name, f"`{changed_fields(preset)}`",
             " / ".join(f"{value:.3f}" for value in ours),
             " / ".join(f"{gap:+.0%}" for gap in gaps), "yes" if within else "no",
             f"{fid:.1f}"]
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run directories")
    args = parser.parse_args(argv)
    logs = json.loads(ORIGINAL_LOGS.read_text())["mnist"]["train"]
    original = [logs[name][0] for name in NETWORKS]
    lines = ["| run | change | epoch 0 enc / dec / disc | vs original | within 10% | "
             "MNIST-FID |", "|---|---|---|---|---|---:|",
             "| original NTUT | | " + " / ".join(f"{v:.3f}" for v in original) + " | | | |"]
    try:
        for directory in args.runs:
            lines.append(row(directory, original))
    except (OSError, KeyError, json.JSONDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

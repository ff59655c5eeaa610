"""Print a run's per-epoch mean losses next to the original NTUT MNIST run's, as Markdown.

The original's numbers are the epoch means of its per-batch TensorBoard logs
(``tests/data/ntut_logs.json``, copied from the port's reference material).

Example:
    python scripts/compare_mnist_losses.py img/mnist/history.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ORIGINAL_LOGS = Path(__file__).resolve().parents[1] / "tests" / "data" / "ntut_logs.json"
NETWORKS = ("encoder", "decoder", "discriminator")


def comparison_table(history: dict, original: dict, extra_epochs: tuple[int, ...] = (99,)) -> str:
    """Markdown rows: epoch, this run's three train losses, the original's three."""
    epochs = len(history["encoder_loss"])
    has_validation = "val_encoder_loss" in history
    header = ["epoch", *(f"{n} (ours)" for n in NETWORKS), *(f"{n} (NTUT)" for n in NETWORKS)]
    if has_validation:
        header += [f"val {n} (ours)" for n in NETWORKS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    for epoch in [*range(epochs), *(e for e in extra_epochs if e >= epochs)]:
        ours = [history[f"{n}_loss"][epoch] if epoch < epochs else None for n in NETWORKS]
        theirs = [original[n][epoch] for n in NETWORKS]
        cells = [str(epoch), *(_cell(v) for v in ours), *(_cell(v) for v in theirs)]
        if has_validation:
            cells += [_cell(history[f"val_{n}_loss"][epoch] if epoch < epochs else None)
                      for n in NETWORKS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("history", type=Path, help="a run's history.json")
    parser.add_argument("--original", type=Path, default=ORIGINAL_LOGS,
                        help="the original's logs (ntut_logs.json)")
    args = parser.parse_args(argv)
    history = json.loads(args.history.read_text())
    original = json.loads(args.original.read_text())["mnist"]["train"]
    print(comparison_table(history, original))
    return 0


if __name__ == "__main__":
    sys.exit(main())

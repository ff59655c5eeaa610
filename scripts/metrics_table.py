"""Print a Markdown table of sample-quality scores from runs' metrics.json files and floors.

Each ``--run LABEL=RUN_DIR`` contributes one row per evaluated epoch (or only ``--epoch N``);
each ``--floor LABEL=FILE.json`` (from ``scripts/evaluate.py --real-mnist``) one row.

Example:
    python scripts/metrics_table.py --run faithful=img/mnist-metrics/faithful \
        --run mnist-plus=img/mnist-metrics/mnist-plus \
        --floor "real train digits=img/metrics/mnist_floor_train10k.json"
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

COLUMNS = (("mode_coverage", "coverage", "{:d}"), ("kl_to_uniform", "KL to uniform", "{:.4f}"),
           ("mnist_fid", "MNIST-FID", "{:.2f}"), ("mnist_kid", "MNIST-KID", "{:.3f}"),
           ("inception_score", "IS", "{:.2f}"))


def labelled(text: str) -> tuple[str, Path]:
    label, separator, path = text.partition("=")
    if not separator:
        raise argparse.ArgumentTypeError(f"expected LABEL=PATH, got {text!r}")
    return label, Path(path)


def row(label: str, epoch: str, result: dict) -> str:
    cells = [template.format(result[key]) for key, _, template in COLUMNS]
    return f"| {label} | {epoch} | " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=labelled, action="append", default=[],
                        help="LABEL=RUN_DIR holding metrics.json (repeatable)")
    parser.add_argument("--floor", type=labelled, action="append", default=[],
                        help="LABEL=JSON from scripts/evaluate.py (repeatable)")
    parser.add_argument("--epoch", type=int, default=None, help="only this 0-based epoch")
    args = parser.parse_args(argv)
    lines = ["| run | epoch | " + " | ".join(title for _, title, _ in COLUMNS) + " |",
             "|---|---:|" + "---:|" * len(COLUMNS)]
    try:
        for label, directory in args.run:
            for result in json.loads((directory / "metrics.json").read_text()):
                if args.epoch is None or result["epoch"] == args.epoch:
                    lines.append(row(label, str(result["epoch"]), result))
        for label, path in args.floor:
            lines.append(row(label, "", json.loads(path.read_text())))
    except (OSError, KeyError, json.JSONDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

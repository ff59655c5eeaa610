"""Print a Markdown table of sample-quality scores from runs' metrics.json files and floors.

The FID and KID columns hold each row's ``NAME_fid`` / ``NAME_kid`` (the classifier it was
scored with), titled by the name when all rows share it (``MNIST-FID``). Each ``--run
LABEL=RUN_DIR`` contributes one row per evaluated epoch (or only those of
``--epoch N``, repeatable); each ``--floor LABEL=FILE.json`` (from ``scripts/evaluate.py
--real-mnist``) one row. A run with a ``timing.json`` (``img/zoo/run_zoo.sh``) adds its wall
minutes per epoch; a class-conditional run its ``class_match``, an InfoGAN its ``code_accuracy``.

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
           ("fid", "FID", "{:.2f}"), ("kid", "KID", "{:.3f}"),
           ("inception_score", "IS", "{:.2f}"))
TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
"""How a classifier's name is written in the FID and KID column titles."""


def with_classifier(result: dict) -> dict:
    """``result`` with its ``NAME_fid`` / ``NAME_kid`` also as ``fid`` / ``kid``, and the
    classifier's ``NAME``."""
    name = next((key[:-len("_fid")] for key in result if key.endswith("_fid")), None)
    if name is None:
        return result
    return {**result, "classifier": name, "fid": result[f"{name}_fid"],
            "kid": result[f"{name}_kid"]}


def labelled(text: str) -> tuple[str, Path]:
    label, separator, path = text.partition("=")
    if not separator:
        raise argparse.ArgumentTypeError(f"expected LABEL=PATH, got {text!r}")
    return label, Path(path)


OPTIONAL = (("class_match", "class match", "{:.3f}"), ("code_accuracy", "code accuracy", "{:.3f}"),
            ("minutes", "min/epoch", "{:.1f}"))
"""Columns shown when some row has them (blank in the rows that do not)."""


def row(label: str, epoch: str, result: dict, columns: tuple) -> str:
    cells = [template.format(result[key]) if key in result else ""
             for key, _, template in columns]
    return f"| {label} | {epoch} | " + " | ".join(cells) + " |"


def minutes_per_epoch(directory: Path) -> dict:
    path = directory / "timing.json"
    if not path.is_file():
        return {}
    timing = json.loads(path.read_text())
    return {"minutes": timing["seconds"] / 60.0 / timing["epochs"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=labelled, action="append", default=[],
                        help="LABEL=RUN_DIR holding metrics.json (repeatable)")
    parser.add_argument("--floor", type=labelled, action="append", default=[],
                        help="LABEL=JSON from scripts/evaluate.py (repeatable)")
    parser.add_argument("--epoch", type=int, action="append", default=None,
                        help="only this 0-based epoch (repeatable)")
    args = parser.parse_args(argv)
    rows = []
    try:
        for label, directory in args.run:
            timing = minutes_per_epoch(directory)
            for result in json.loads((directory / "metrics.json").read_text()):
                if args.epoch is None or result["epoch"] in args.epoch:
                    rows.append((label, str(result["epoch"]),
                                 with_classifier({**result, **timing})))
        for label, path in args.floor:
            rows.append((label, "", with_classifier(json.loads(path.read_text()))))
        names = {result.get("classifier") for _, _, result in rows} - {None}
        prefix = TITLES.get(*names, *names) + "-" if len(names) == 1 else ""
        columns = tuple((key, prefix + title if key in ("fid", "kid") else title, template)
                        for key, title, template in COLUMNS)
        columns += tuple(column for column in OPTIONAL
                         if any(column[0] in result for _, _, result in rows))
        lines = ["| run | epoch | " + " | ".join(title for _, title, _ in columns) + " |",
                 "|---|---:|" + "---:|" * len(columns)]
        lines += [row(label, epoch, result, columns) for label, epoch, result in rows]
    except (OSError, KeyError, json.JSONDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Images per second of the input pipelines alone, against what a train step consumes.

``data.mnist("train")`` (the real 60 000 digits, batch 100) and ``data.image_folder`` over a
folder of 178x218 JPEGs (CelebA's size) written here, decoded, center-cropped to 160 and
resized to 64x64, batch 64: the first epoch (decoding) and a later one (from the cache).
Each pass iterates every batch and touches its values, with nothing else running; the step's
consumption comes from ``step_comparison.py`` and ``face_step.py`` results given here.
A benchmark, not a test.

Example:
    python benchmarks/input_pipeline.py --images 3000 --json benchmarks/input_pipeline.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def images_per_second(dataset) -> float:
    started, count = time.perf_counter(), 0
    for batch in dataset:
        images = batch[0] if isinstance(batch, tuple) else batch
        count += int(images.shape[0])
    return count / (time.perf_counter() - started)


def write_jpegs(folder: Path, count: int) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for index in range(count):
        pixels = rng.integers(0, 256, (218, 178, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{index:06d}.jpg", quality=90)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3000, help="JPEGs in the face folder")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    from vaegan_tf import data

    results: dict[str, list[float]] = {"mnist train, batch 100": []}
    for _ in range(args.repeats):
        results["mnist train, batch 100"].append(
            images_per_second(data.mnist("train", batch_size=100, seed=0)))
    with tempfile.TemporaryDirectory() as folder:
        write_jpegs(Path(folder), args.images)
        for _ in range(args.repeats):
            train, _ = data.image_folder(folder, image_size=64, batch_size=64, seed=0,
                                         center_crop=160, validation_size=64)
            first = images_per_second(train)
            later = statistics.median(images_per_second(train) for _ in range(2))
            results.setdefault("face folder, first epoch (decoding JPEGs)", []).append(first)
            results.setdefault("face folder, later epochs (cached)", []).append(later)
    print(f"\nInput pipelines alone, images/s, median (range) of {args.repeats}\n")
    print("| pipeline | images/s |")
    print("|---|---:|")
    for name, rates in results.items():
        print(f"| {name} | {statistics.median(rates):.0f} ({min(rates):.0f}–{max(rates):.0f}) |")
    if args.json:
        Path(args.json).write_text(json.dumps({"images": args.images, "results": results},
                                              indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

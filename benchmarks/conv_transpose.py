"""A transposed convolution into few channels: oneDNN's kernel against the sub-pixel form.

``tf.nn.conv2d_transpose`` (what Keras' ``Conv2DTranspose`` runs, and TensorFlow's input
gradient of ``Conv2D``) against ``vaegan_tf.layers._subpixel_conv_transpose`` (one stride-1
convolution into stride² times the channels, then ``depth_to_space``), forward only, traced
with ``tf.function``, on the VAE-GANs' image-side shapes and a range of output channels. Each
cell is the median of ``--calls`` calls; rounds interleave the two forms; the table gives the
median over rounds with the range. ``layers.SUBPIXEL_MAX_CHANNELS`` is read from it. A
benchmark, not a test.

Example:
    python benchmarks/conv_transpose.py --repeats 3 --json benchmarks/conv_transpose.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# (name, batch, input size, input channels, kernel): the transposed convolutions that produce
# an image in the MNIST and face VAE-GANs (the decoder's last layer; D's first layer's input
# gradient has the same shape), and one with a 3 × 3 kernel like the decoders' first layer
SHAPES = (
    ("MNIST: 13×13×64 → 28×28, kernel 4", 100, 13, 64, 4),
    ("faces: 31×31×64 → 64×64, kernel 4", 64, 31, 64, 4),
    ("faces: 15×15×128 → 31×31, kernel 3", 64, 15, 128, 3),
)
CHANNELS = (1, 3, 4, 8, 16)
FORMS = ("tf.nn.conv2d_transpose", "sub-pixel")


def time_cell(form: str, batch: int, size: int, inputs: int, kernel: int, channels: int,
              calls: int) -> float:
    import tensorflow as tf

    from vaegan_tf import layers

    x = tf.random.normal([batch, size, size, inputs], seed=1)
    weights = tf.random.normal([kernel, kernel, channels, inputs], seed=2)
    output_size = ((size - 1) * 2 + kernel,) * 2
    if form == FORMS[0]:
        run = tf.function(lambda: tf.nn.conv2d_transpose(
            x, weights, [batch, *output_size, channels], 2, "VALID"))
    else:
        run = tf.function(lambda: layers._subpixel_conv_transpose(
            x, weights, output_size, 2, "valid"))
    run().numpy()
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        run().numpy()
        seconds.append(time.perf_counter() - started)
    return 1000 * statistics.median(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--calls", type=int, default=20, help="timed calls per cell")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)

    results = []
    for round_number in range(args.repeats):
        for name, batch, size, inputs, kernel in SHAPES:
            for channels in CHANNELS:
                for form in FORMS:
                    ms = time_cell(form, batch, size, inputs, kernel, channels, args.calls)
                    results.append({"shape": name, "batch": batch, "channels": channels,
                                    "form": form, "round": round_number, "ms": ms})
        print(f"  round {round_number + 1} of {args.repeats} done", file=sys.stderr)

    print(f"\nForward pass, ms, median over {args.repeats} rounds (range); {os.cpu_count()} "
          "CPU(s)\n")
    print("| shape | output channels | tf.nn.conv2d_transpose | sub-pixel | ratio |")
    print("|---|---:|---:|---:|---:|")
    for name, batch, *_ in SHAPES:
        for channels in CHANNELS:
            cells = {form: [r["ms"] for r in results if r["shape"] == name
                            and r["channels"] == channels and r["form"] == form]
                     for form in FORMS}
            medians = {form: statistics.median(values) for form, values in cells.items()}
            shown = " | ".join(f"{medians[form]:.2f} ({min(cells[form]):.2f}–"
                               f"{max(cells[form]):.2f})" for form in FORMS)
            print(f"| {name}, batch {batch} | {channels} | {shown} "
                  f"| {medians[FORMS[0]] / medians[FORMS[1]]:.2f} |")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"cpus": os.cpu_count(), "calls": args.calls, "results": results}, file,
                      indent=2)
            file.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What is alive at the memory peak of one face train step: TensorFlow's memory profile.

With oneDNN on, TensorFlow keeps CPU tensors in its own pool (the ``mklcpu`` allocator), which
never gives memory back: the process's peak RSS is the TensorFlow runtime (~0.57 GiB) plus
the pool's peak plus what tracing and compiling leave on the heap. This script profiles one
step after two warm-up steps and prints the pool's peak bytes in use and the largest tensors
alive at that moment, by the op that made them. A diagnostic, not a test; it reads the
profile with TensorFlow's own converter (a private module, ``_pywrap_profiler_plugin``).

Example:
    python benchmarks/face_memory_profile.py --top 12
    python benchmarks/face_memory_profile.py --precision mixed_bfloat16
"""

from __future__ import annotations

import argparse
import glob
import json
import tempfile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="faces")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--top", type=int, default=12, help="largest live tensors to list")
    parser.add_argument("--precision", default="float32", metavar="POLICY",
                        help="the Keras dtype policy the networks are built under")
    args = parser.parse_args()

    import keras
    import tensorflow as tf
    from tensorflow.python.profiler.internal import _pywrap_profiler_plugin

    import vaegan_tf
    from vaegan_tf import data

    keras.mixed_precision.set_global_policy(args.precision)
    model = vaegan_tf.build_vaegan(args.preset, seed=0)
    keras.mixed_precision.set_global_policy("float32")
    model.compile(**vaegan_tf.adam_optimizers())
    batch = next(iter(data.lfw_mini(batch_size=args.batch_size, seed=0)[0]))
    step = tf.function(model.train_step)
    step(batch)
    step(batch)
    with tempfile.TemporaryDirectory() as directory:
        tf.profiler.experimental.start(directory)
        step(batch)
        tf.profiler.experimental.stop()
        (path,) = glob.glob(f"{directory}/**/*.xplane.pb", recursive=True)
        raw, _ = _pywrap_profiler_plugin.xspace_to_tools_data([path], "memory_profile", {})
    (profile,) = json.loads(raw)["memoryProfilePerAllocator"].values()
    snapshots, special = profile["memoryProfileSnapshots"], profile["specialAllocations"]
    alive = []
    for allocation in profile["activeAllocations"]:
        index = int(allocation["snapshotIndex"])
        metadata = (snapshots[index]["activityMetadata"] if index >= 0
                    else special[-index - 1])
        alive.append((int(metadata.get("allocationBytes", 0)), metadata.get("tensorShape", ""),
                      metadata.get("tfOpName", "")))
    alive.sort(reverse=True)
    peak = int(profile["profileSummary"]["peakStats"]["peakBytesInUse"])
    print(f"pool peak in use: {peak / 2**30:.2f} GiB ({peak / 1e9:.2f} GB); "
          f"largest tensors alive then:")
    for size, shape, op in alive[:args.top]:
        print(f"  {size / 2**20:8.1f} MiB  {shape:22s} {op}")


if __name__ == "__main__":
    main()

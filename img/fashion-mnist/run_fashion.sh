#!/usr/bin/env bash
# Issue 12: the faithful (mnist) and improved (mnist-plus) VAE-GAN presets, 10 epochs each on
# Fashion-MNIST (the Debian package dataset-fashion-mnist's idx files), scored every epoch with
# the shipped Fashion-MNIST classifier against the 10k test images; then the real-data floor
# (10 000 real training images scored the same way). Each run's grids, GIF, history, metrics,
# config and timing are copied to img/fashion-mnist/PRESET/. Finished presets are skipped; an
# interrupted run resumes. Any 28×28 preset runs the same way (the GAN family's too).
# Usage: img/fashion-mnist/run_fashion.sh [PRESET ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(mnist mnist-plus)
for preset in "${presets[@]}"; do
  target=img/fashion-mnist/$preset
  [ -f "$target/metrics.json" ] && { echo "skip $preset"; continue; }
  run=runs/fashion-mnist/$preset
  .venv/bin/python -m vaegan_tf train --preset "$preset" --data "$DATA" \
    --classifier fashion_mnist --epochs 10 --sample-every 1 --seed 0 --quiet --out "$run"
  mkdir -p "$target"
  cp "$run"/{image_at_epoch_*.png,history.csv,history.json,config.json,losses.png} "$target/"
  find "$run" -maxdepth 1 -name '*.gif' -exec cp {} "$target/" \;  # number.gif, samples.gif
  .venv/bin/python scripts/run_timing.py "$run" > "$target/timing.json"
  cp "$run/metrics.json" "$target/"  # last: its presence marks the preset as done
done
floor=img/fashion-mnist/floor_train10k.json
[ -f "$floor" ] || .venv/bin/python -m vaegan_tf evaluate --real-data --classifier fashion_mnist \
  --data "$DATA" --samples 10000 --json "$floor"

#!/usr/bin/env bash
# Issue 11's epoch-0 study: one full MNIST epoch per hypothesis, same seed, data order and
# validation as the faithful run; each run's history and config are copied to
# img/mnist/unknowns/NAME/. Runs one at a time; a hypothesis already there is skipped.
# Usage: img/mnist/unknowns/run_epoch0.sh [NAME ...]   (default: every hypothesis below)
set -euo pipefail
cd "$(dirname "$0")/../../.."
declare -A HYPOTHESES=(
  [baseline]=""
  [decoder-real]="--set decoder_loss_variant=real"
  [tap-conv]="--set feature_tap=conv"
  [tap-batch-norm]="--set feature_tap=batch_norm"
)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(baseline decoder-real tap-conv tap-batch-norm)
for name in "${names[@]}"; do
  target=img/mnist/unknowns/$name
  [ -f "$target/history.json" ] && { echo "skip $name"; continue; }
  rm -rf "runs/unknowns/$name"
  # shellcheck disable=SC2086
  .venv/bin/python scripts/train_mnist.py --epochs 1 --sample-every 1 --seed 0 --quiet \
    ${HYPOTHESES[$name]} --out "runs/unknowns/$name"
  mkdir -p "$target"
  cp "runs/unknowns/$name"/{history.json,config.json,metrics.json,image_at_epoch_000.png} "$target/"
done

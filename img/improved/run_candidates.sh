#!/usr/bin/env bash
# Issue 29's screening of improved presets: each candidate is a preset and overrides, trained
# 10 epochs on the full MNIST training set with scores every epoch (as img/zoo/run_zoo.sh);
# its grids, GIF, history, metrics, config and timing are copied to
# img/improved/NAME-seedSEED/. One at a time; a candidate already there is skipped; an
# interrupted one resumes. Usage: img/improved/run_candidates.sh SEED NAME [NAME ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
declare -A CANDIDATES=(
  # the generator EMA alone, on the DCGAN and on the improved VAE-GAN (mnist-plus)
  [dcgan-ema]="--preset dcgan-mnist --set ema_decay=0.999"
  # the EMA with standing statistics (the average's own batch-norm statistics)
  [dcgan-ema-standing]="--preset dcgan-mnist --set ema_decay=0.999 --set ema_standing_samples=10000"
  [mnist-plus-ema-standing]="--preset mnist-plus --set ema_decay=0.999 --set ema_standing_samples=10000"
  [mnist-plus-ema]="--preset mnist-plus --set ema_decay=0.999"
  # spectral normalization alone: DCGAN's D with SN in place of batch norm
  [dcgan-sn]="--preset dcgan-mnist --set spectral_norm=true --set discriminator_normalization=none"
  # SNGAN (hinge + SN) with the EMA; TTUR on the DCGAN with the EMA
  [sngan-ema]="--preset sngan-mnist --set ema_decay=0.999"
  [dcgan-ttur-ema]="--preset dcgan-mnist --set ema_decay=0.999 --set discriminator.learning_rate=4e-4 --set generator.learning_rate=1e-4"
)
seed=$1
shift
for name in "$@"; do
  [ -n "${CANDIDATES[$name]:-}" ] || { echo "unknown candidate $name" >&2; exit 2; }
  target=img/improved/$name-seed$seed
  [ -f "$target/metrics.json" ] && { echo "skip $name seed $seed"; continue; }
  run=runs/improved/$name-seed$seed
  # shellcheck disable=SC2086
  .venv/bin/python -m vaegan_tf train ${CANDIDATES[$name]} --epochs 10 --sample-every 1 \
    --seed "$seed" --quiet --out "$run"
  mkdir -p "$target"
  cp "$run"/{image_at_epoch_*.png,history.csv,history.json,config.json,losses.png} "$target/"
  find "$run" -maxdepth 1 -name '*.gif' -exec cp {} "$target/" \;
  .venv/bin/python scripts/run_timing.py "$run" > "$target/timing.json"
  cp "$run/metrics.json" "$target/"  # last: its presence marks the candidate as done
done

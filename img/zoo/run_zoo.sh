#!/usr/bin/env bash
# The GAN family's committed results: each model 10 epochs on the full MNIST training set
# (sample grid, scores on 10 000 samples against the 10k test digits every epoch), one at a
# time; each run's grids, GIF, history, metrics, config and timing are copied to
# img/zoo/PRESET/ (InfoGAN's traversal grids too). A model already there is skipped; an
# interrupted run continues (the same command on the same run directory resumes it). Usage: [SEED=N] img/zoo/run_zoo.sh [PRESET ...]
# (seed 0 by default; another seed's run goes to img/zoo/PRESET-seedN/). A variant of a preset:
# VARIANT=NAME SET="field=value ..." (each a --set of `vaegan-tf train`) goes to
# img/zoo/PRESET-NAME/.
set -euo pipefail
cd "$(dirname "$0")/../.."
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(dcgan-mnist lsgan-mnist wgan-mnist cdcgan-mnist wgan-gp-mnist)
seed=${SEED:-0}
suffix=$([ "$seed" = 0 ] || echo "-seed$seed")
overrides=()
for assignment in ${SET:-}; do overrides+=(--set "$assignment"); done
if [ -n "${VARIANT:-}" ]; then
  suffix="-$VARIANT$suffix"
elif [ ${#overrides[@]} -gt 0 ]; then
  echo "SET needs VARIANT=NAME (the results folder's name)" >&2; exit 2
fi
for preset in "${presets[@]}"; do
  target=img/zoo/$preset$suffix
  [ -f "$target/metrics.json" ] && { echo "skip $preset$suffix"; continue; }
  run=runs/zoo/$preset$suffix
  .venv/bin/python -m vaegan_tf train --preset "$preset" --epochs 10 --seed "$seed" --quiet \
    "${overrides[@]}" --out "$run"
  mkdir -p "$target"
  cp "$run"/{image_at_epoch_*.png,samples.gif,history.csv,history.json} "$target/"
  cp "$run"/{config.json,losses.png} "$target/"
  # InfoGAN's code traversals, where the model has them
  find "$run" -maxdepth 1 -name 'traversal_at_epoch_*.png' -exec cp {} "$target/" \;
  # A VAE-pretrained LSGAN's first stage (its VAE, in pretrain/)
  if [ -d "$run/pretrain" ]; then
    mkdir -p "$target/pretrain"
    cp "$run"/pretrain/{image_at_epoch_*.png,history.json,metrics.json,config.json} \
      "$target/pretrain/"
    .venv/bin/python scripts/run_timing.py "$run/pretrain" > "$target/pretrain/timing.json"
  fi
  # Wall time of the whole run (training, validation, scoring, checkpoints), from the backup.
  .venv/bin/python scripts/run_timing.py "$run" > "$target/timing.json"
  cp "$run/metrics.json" "$target/"  # last: its presence marks the model as done
done

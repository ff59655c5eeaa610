#!/usr/bin/env bash
# Issue 11's epoch-0 study: one full MNIST epoch per hypothesis, same seed, data order and
# validation as the faithful run; each run's history, scores, config and grid are copied to
# img/mnist/unknowns/NAME/. Runs one at a time; a hypothesis already there is skipped.
# Usage: img/mnist/unknowns/run_epoch0.sh [NAME ...]   (default: every hypothesis below)
set -euo pipefail
cd "$(dirname "$0")/../../.."
declare -A HYPOTHESES=(
  [baseline]=""
  [bn-inference-d]="--set batch_norm_inference=discriminator"
  [bn-inference-all]="--set batch_norm_inference=encoder,decoder,discriminator"
  [bn-inference-enc-dec]="--set batch_norm_inference=encoder,decoder"
  [decoder-real]="--set decoder_loss_variant=real"
  [joint-d-batch]="--set discriminator_joint_batch=true"
  [tap-conv]="--set feature_tap=conv"
  [tap-batch-norm]="--set feature_tap=batch_norm"
  [feature-mean]="--set feature_reduction=mean"
  [sequential]="--set update_order=sequential"
  [logits-d]="--set logits_mistake=discriminator"
  [logits-dec]="--set logits_mistake=decoder"
  [lr-1e-4]="--learning-rate 1e-4"
  # The original's D near 3 ln 2 all epoch, as if it learned far slower than the others:
  # the discriminator's rate alone, 5x and 50x below the others' 5e-4.
  [d-lr-1e-4]="--set discriminator.learning_rate=1e-4"
  [d-lr-1e-5]="--set discriminator.learning_rate=1e-5"
  [sigmoid]="--set output_activation=sigmoid"
  [linear-conv]="--set first_conv_activation=linear"
  # The settings that moved a loss towards the original's (README table), together.
  [combined]="--set feature_tap=conv --set decoder_loss_variant=real --set first_conv_activation=linear"
)
ORDER=(baseline bn-inference-d bn-inference-all bn-inference-enc-dec decoder-real joint-d-batch
       tap-conv tap-batch-norm feature-mean sequential logits-d logits-dec lr-1e-4 d-lr-1e-4
       d-lr-1e-5 sigmoid linear-conv combined)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${ORDER[@]}")
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

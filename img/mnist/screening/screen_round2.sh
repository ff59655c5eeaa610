#!/bin/sh
# Issue 4 screening, round 2 (single changes), after round 1 finishes.
cd /work/main
while [ ! -f runs/screen/DONE ]; do sleep 20; done
COMMON="--epochs 2 --limit 30000 --sample-every 1 --seed 0 --metrics-every 1"
run() { name=$1; shift; .venv/bin/python scripts/train_mnist.py $COMMON --out runs/screen/$name "$@" > runs/screen/$name.log 2>&1; }
run b05 --set adam_beta_1=0.5
run mb --set minibatch_kernels=16
run gate03 --set equilibrium_margin=0.3
echo done > runs/screen/DONE2

#!/bin/sh
# Issue 4: 10-epoch candidates for the improved MNIST preset, one after the other
# (same command as the faithful row, plus one --set per change).
cd "$(dirname "$0")/../../.."
COMMON="--epochs 10 --sample-every 1 --seed 0 --jit"
run() { name=$1; shift; .venv/bin/python scripts/train_mnist.py $COMMON --out runs/cand/$name "$@" > runs/cand/$name.log 2>&1; }
run b05 --set adam_beta_1=0.5
run b05-gate03 --set adam_beta_1=0.5 --set equilibrium_margin=0.3
echo done > runs/cand/DONE

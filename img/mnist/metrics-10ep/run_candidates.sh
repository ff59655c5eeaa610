#!/bin/sh
# Issue 4: 10-epoch candidates for the improved MNIST preset, one after the other
# (same command as the faithful row, plus one --set per change).
cd "$(dirname "$0")/../../.."
COMMON="--epochs 10 --sample-every 1 --seed 0"
run() { name=$1; shift; .venv/bin/python scripts/train_mnist.py $COMMON --out runs/cand/$name "$@" > runs/cand/$name.log 2>&1; }
[ -f runs/cand/b05/metrics.json ] || run b05 --jit --set adam_beta_1=0.5
# No --jit with the gate: its tf.cond under XLA made a step 5.8x slower (3.28 vs 0.56 s at
# batch 100, measured while another training shared the CPU); without XLA 0.82 s.
run b05-gate03 --set adam_beta_1=0.5 --set equilibrium_margin=0.3
echo done > runs/cand/DONE

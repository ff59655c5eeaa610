#!/bin/sh
# Issue 4 screening: 2 epochs on the first 30 000 digits, metrics on 10 000 samples per epoch.
cd /work/main
COMMON="--epochs 2 --limit 30000 --sample-every 1 --seed 0 --metrics-every 1"
run() { name=$1; shift; .venv/bin/python scripts/train_mnist.py $COMMON --out runs/screen/$name "$@" > runs/screen/$name.log 2>&1; }
mkdir -p runs/screen
run faithful
run gamma1e-3 --set decoder_feature_weight=1e-3
run gamma1e-3-mb --set decoder_feature_weight=1e-3 --set minibatch_kernels=16
run gamma1e-3-mb-b05 --set decoder_feature_weight=1e-3 --set minibatch_kernels=16 --set adam_beta_1=0.5
run gamma1e-3-mb-b05-soft --set decoder_feature_weight=1e-3 --set minibatch_kernels=16 --set adam_beta_1=0.5 --set real_label_range=0.7,1.2 --set fake_label_range=0.0,0.3
echo done > runs/screen/DONE

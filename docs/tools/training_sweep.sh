#!/usr/bin/env bash
# The ε-sweep of docs/training.md: smallgap trained by `bench train` on the shared 5000 CIFAR-10
# training images with PGD-AT, Int and Int2 at a few ε (and one standard model), each evaluated
# under cifar10-training-study; then the table. Resumable: rerun after an interruption.
# Usage: BENCH_ASSETS=../shared bash docs/tools/training_sweep.sh [EPOCHS] [EPS…]   (default 30; 4/255 8/255)
set -euo pipefail
EPOCHS="${1:-30}"
shift || true
[ $# -gt 0 ] && EPS_LIST=("$@") || EPS_LIST=(4/255 8/255)
WARMUP="${WARMUP:-}"             # optional: override the recipes' clean warm-up (optimiser steps)
RESULTS="${RESULTS:-docs/results/training-sweep}"
TAG="${TAG:-sweep}"
run() {  # recipe eps id
  bench train --recipe "$1" --dataset cifar10_5000 --arch smallgap ${2:+--eps "$2"} --epochs "$EPOCHS" \
    ${WARMUP:+--warmup-steps "$WARMUP"} --id "$3" --out "runs/$TAG/$3" --no-progress
  bench evaluate --entry "runs/$TAG/$3/entry.yaml" --protocol cifar10-training-study --results "$RESULTS" --no-progress
}
run standard "" "${TAG}_standard"
MODELS=("${TAG}_standard")
for eps in "${EPS_LIST[@]}"; do
  tag="${eps%/255}"
  for recipe in pgd-at int int2; do
    run "$recipe" "$eps" "${TAG}_${recipe//-/_}_eps${tag}"
    MODELS+=("${TAG}_${recipe//-/_}_eps${tag}")
  done
done
bench table --protocols cifar10-training-study --results "$RESULTS" --out "$RESULTS.md" --models "${MODELS[@]}"

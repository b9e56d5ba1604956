#!/usr/bin/env bash
# The ε-sweep of docs/training.md: smallgap trained by `bench train` on the shared 5000 CIFAR-10
# training images with PGD-AT, Int and Int2 at three ε (and one standard model), each evaluated
# under cifar10-training-study; then the table. Resumable: rerun after an interruption.
# Usage: BENCH_ASSETS=../shared bash docs/tools/training_sweep.sh [EPOCHS]
set -euo pipefail
EPOCHS="${1:-30}"
RESULTS=docs/results/training-sweep
run() {  # recipe eps id
  bench train --recipe "$1" --dataset cifar10_5000 --arch smallgap ${2:+--eps "$2"} --epochs "$EPOCHS" \
    --id "$3" --out "runs/sweep/$3" --no-progress
  bench evaluate --entry "runs/sweep/$3/entry.yaml" --protocol cifar10-training-study --results "$RESULTS" --no-progress
}
run standard "" sweep_standard
for eps in 2/255 4/255 8/255; do
  tag="${eps%/255}"
  for recipe in pgd-at int int2; do run "$recipe" "$eps" "sweep_${recipe//-/_}_eps${tag}"; done
done
bench table --protocols cifar10-training-study --results "$RESULTS" --out docs/results/training-sweep.md \
  --models sweep_standard sweep_pgd_at_eps2 sweep_int_eps2 sweep_int2_eps2 sweep_pgd_at_eps4 sweep_int_eps4 \
  sweep_int2_eps4 sweep_pgd_at_eps8 sweep_int_eps8 sweep_int2_eps8

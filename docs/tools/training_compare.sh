#!/usr/bin/env bash
# The equal-budget training comparison of docs/training.md: smallgap trained by `bench train` on the
# shared CIFAR-10 training images with standard training, PGD-AT, TRADES, Int and Int2 (γ = 0.01)
# and a small γ grid, each with several seeds, every run on the same budget and schedule (epochs,
# clean warm-up, linear ε ramp to 8/255 at half the steps, Adam 1e-3, batch 128, 10-step inner
# attack); each model evaluated under cifar10-training-compare (clean, PGD-20 and AutoAttack at
# 8/255, IG Gini global/regional); then `bench table` and the across-seed summary.
# Seeds run outermost, so an interrupted study has whole seeds. Resumable: rerun the same command
# (bench train resumes from state.pt, bench evaluate from its finished work).
# Usage: BENCH_ASSETS=../shared bash docs/tools/training_compare.sh [EPOCHS] [N_EVAL] [SEED…]
#        (defaults 30, 1000, seeds 0 1 2; the committed CPU run: see docs/training.md)
# Env: ATTACK_STEPS (inner attack steps of every attacking recipe, default the recipes' 10), GRID (extra "recipe:γ" runs; empty for none; default "int:0.001 int2:0.001 int:0.1 int2:0.1"), WARMUP (clean warm-up steps, default one
#      epoch), DATASET (cifar10_5000) with TRAIN_SIZE (its images, 5000), RESULTS, TAG.
set -euo pipefail
EPOCHS="${1:-30}"
N_EVAL="${2:-1000}"
shift 2 || shift $# || true
[ $# -gt 0 ] && SEEDS=("$@") || SEEDS=(0 1 2)
DATASET="${DATASET:-cifar10_5000}"
TRAIN_SIZE="${TRAIN_SIZE:-5000}"
STEPS_PER_EPOCH=$(( (TRAIN_SIZE + 127) / 128 ))
TOTAL=$(( STEPS_PER_EPOCH * EPOCHS ))
WARMUP="${WARMUP:-$STEPS_PER_EPOCH}"
RAMP_END=$(( TOTAL / 2 > WARMUP ? TOTAL / 2 : WARMUP + 1 ))
ATTACK_STEPS="${ATTACK_STEPS:-}"
GRID="${GRID-int:0.001 int2:0.001 int:0.1 int2:0.1}"
TAG="${TAG:-tc}"
RESULTS="${RESULTS:-docs/results/training-compare}"
PROTOCOL=cifar10-training-compare
SCRATCH="runs/training-compare"
mkdir -p "$SCRATCH"
# The entries are evaluated on their own: an empty registry keeps a model_zoo.yaml being edited from stopping the study.
printf 'schema_version: 1\nmodels: []\n' > "$SCRATCH/zoo.yaml"
RECIPES=(standard pgd-at trades int:0.01 int2:0.01 $GRID)

model_id() {  # recipe[:γ] seed -> id
  local base="${1%%:*}" gamma=""
  [[ "$1" == *:* ]] && gamma="_g${1#*:}"
  echo "${TAG}_${base//-/_}${gamma}_s$2"
}

run() {  # recipe[:γ] seed
  local base="${1%%:*}" id gamma=()
  id=$(model_id "$1" "$2")
  [[ "$1" == *:* ]] && gamma=(--gamma "${1#*:}")
  python docs/tools/training_compare_recipe.py "$base" "$SCRATCH/recipes/$id.yaml" --epochs "$EPOCHS" \
    --warmup-steps "$WARMUP" --ramp-end "$RAMP_END" --seed "$2" ${ATTACK_STEPS:+--attack-steps "$ATTACK_STEPS"} "${gamma[@]}"
  # a finished run wrote its resolved recipe next to model.pt: the same text means nothing is left to train
  cmp -s "$SCRATCH/recipes/$id.yaml" "$SCRATCH/$id/recipe.yaml" && [ -f "$SCRATCH/$id/model.pt" ] ||
    bench train --recipe "$SCRATCH/recipes/$id.yaml" --dataset "$DATASET" --arch smallgap --id "$id" \
      --out "$SCRATCH/$id" --no-progress
  evaluated "$id" || bench evaluate --entry "$SCRATCH/$id/entry.yaml" --zoo "$SCRATCH/zoo.yaml" \
    --protocol "$PROTOCOL" --n-examples "$N_EVAL" --results "$RESULTS" --no-progress
}

evaluated() {  # id: its result exists, for this checkpoint (SHA-256), protocol and number of images
  python - "$RESULTS/$1/$PROTOCOL.json" "$SCRATCH/$1/entry.yaml" "$N_EVAL" <<'PY'
import json, sys, pathlib, yaml
result, entry, n = pathlib.Path(sys.argv[1]), yaml.safe_load(open(sys.argv[2])), int(sys.argv[3])
r = json.loads(result.read_text()) if result.is_file() else None
sys.exit(0 if r and r["model"]["source"]["sha256"] == entry["source"]["sha256"]
         and len(r["provenance"]["sample_ids"]) == n else 1)
PY
}

MODELS=()
for seed in "${SEEDS[@]}"; do
  for recipe in "${RECIPES[@]}"; do
    run "$recipe" "$seed"
  done
done
for recipe in "${RECIPES[@]}"; do
  for seed in "${SEEDS[@]}"; do MODELS+=("$(model_id "$recipe" "$seed")"); done
done
bench table --protocols "$PROTOCOL" --results "$RESULTS" --out "$RESULTS.md" --models "${MODELS[@]}"
python docs/tools/training_compare_summary.py "$RESULTS" --protocol "$PROTOCOL" --tag "$TAG" --out "$RESULTS-seeds.md"

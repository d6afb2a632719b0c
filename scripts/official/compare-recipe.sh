#!/usr/bin/env bash
# The default-model recipe, shortened to EPOCHS pretraining + EPOCHS finetuning epochs, trained by
# motion and then by the official MotionBERT code (train_official.py), one after the other, and both
# scored by `motion eval` (docs/default-models.md, "Side by side").
#
#   npm run build && scripts/official/compare-recipe.sh MB_REPO [EPOCHS] [WORK]
#
# MB_REPO: an extracted Walter0807/MotionBERT snapshot; EPOCHS default 10; WORK default runs/compare.
# Needs Debian's python3-torch (see scripts/official/README.md). Wall times go to WORK/times.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MB_REPO="$(cd "$1" && pwd)"
EPOCHS="${2:-10}"
WORK="${3:-$ROOT/runs/compare}"
DATA="$(cd "$ROOT/../shared/data/cmu-mocap-h36m17" && pwd)"
MOTION="node $ROOT/bin/run.js"
OFFICIAL="/usr/bin/python3 $ROOT/scripts/official/train_official.py --mb-repo $MB_REPO --data $DATA --threads 2 --epochs $EPOCHS"
mkdir -p "$WORK"
: > "$WORK/times.txt"

# The rebalanced pose index of scripts/train-default-models.sh (train_official.py applies the same repeats itself).
# shellcheck source=scripts/default-indexes.sh
source "$ROOT/scripts/default-indexes.sh"
POSE_DATA="$WORK/cmu-pose-balanced"
balanced_index "$POSE_DATA" "$POSE_REPEATS"

stage() {
  local name="$1"; shift
  local start; start=$(date +%s)
  "$@" > "$WORK/$name.log" 2>&1
  echo "$name $(( $(date +%s) - start )) s" >> "$WORK/times.txt"
}

stage motion-pretrain $MOTION pretrain --config "$ROOT/configs/default/pretrain.yaml" --data "$DATA" \
  --out "$WORK/motion-pretrain" --fps 30 --eval-limit 0 --engine onnx --seed 0 --epochs "$EPOCHS"
stage motion-pose3d $MOTION finetune --task pose3d --from "$WORK/motion-pretrain" \
  --config "$ROOT/configs/default/finetune-pose3d.yaml" --data "$POSE_DATA" --out "$WORK/motion-pose3d" \
  --fps 30 --eval-limit 0 --engine onnx --seed 1 --epochs "$EPOCHS"
stage torch-pretrain $OFFICIAL --stage pretrain --config "$ROOT/configs/default/pretrain.yaml" --out "$WORK/torch-pretrain"
stage torch-pose3d $OFFICIAL --stage finetune --config "$ROOT/configs/default/finetune-pose3d.yaml" \
  --from "$WORK/torch-pretrain/best.bin" --out "$WORK/torch-pose3d"
cat "$WORK/times.txt"

EVAL="$MOTION eval --task pose3d --data $DATA --split test --fps 30"
echo "motion:";  $EVAL --checkpoint "$WORK/motion-pose3d/best" --config "$ROOT/configs/default/eval.yaml"
echo "official:"; $EVAL --checkpoint "$WORK/torch-pose3d/best.bin" --config "$WORK/torch-pose3d/config.yaml"

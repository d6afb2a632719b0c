#!/usr/bin/env bash
# Retrains the bundled default models (models/pose3d, models/action) with motion's own commands,
# exactly as they were made; see docs/default-models.md and models/MODEL_CARD.md.
#
#   npm run build && scripts/train-default-models.sh [DATA] [WORK]
#
# DATA: the CMU mocap folder (default ../shared/data/cmu-mocap-h36m17); WORK: run folders
# (default runs/default). Stages stop on their epoch limit or on Ctrl-C (latest is saved; the
# next stage starts from the run's best checkpoint); each can be continued with --resume RUN.
# The wall-clock budget per stage is in PRETRAIN_MINUTES, POSE_MINUTES and ACTION_MINUTES
# (the committed models: see the model card); 0 means run to the epoch limit.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="$(cd "${1:-$ROOT/../shared/data/cmu-mocap-h36m17}" && pwd)"
WORK="${2:-$ROOT/runs/default}"
MOTION="node $ROOT/bin/run.js"
# shellcheck source=scripts/default-indexes.sh
source "$ROOT/scripts/default-indexes.sh"
PRETRAIN_MINUTES="${PRETRAIN_MINUTES:-0}"
POSE_MINUTES="${POSE_MINUTES:-0}"
ACTION_MINUTES="${ACTION_MINUTES:-0}"
mkdir -p "$WORK"

# Runs a training command, interrupting it (SIGINT: latest saved, exit 130) after $1 minutes.
budget() {
  local minutes="$1"; shift
  if [ "$minutes" = 0 ]; then "$@"; return; fi
  "$@" & local pid=$!
  ( sleep "$((minutes * 60))"; kill -INT "$pid" 2>/dev/null || true ) & local timer=$!
  wait "$pid" || [ $? = 130 ]
  kill "$timer" 2>/dev/null || true
}

# 1. Pretraining: random virtual cameras, noise, masking, flips; every train clip (8 actions).
budget "$PRETRAIN_MINUTES" $MOTION pretrain --config "$ROOT/configs/default/pretrain.yaml" \
  --data "$DATA" --out "$WORK/pretrain" --fps 30 --eval-limit 0 --engine onnx --seed 0

# 2. 3D lifting: finetune on the same clips, rare actions repeated (about 1.4x the frames of one
#    pass), 2D inputs as the AlphaPose reader makes them, 30% crop-scaled as predict scales tracks.
POSE_DATA="$WORK/cmu-pose-balanced"
balanced_index "$POSE_DATA" "$POSE_REPEATS"
budget "$POSE_MINUTES" $MOTION finetune --task pose3d --from "$WORK/pretrain" \
  --config "$ROOT/configs/default/finetune-pose3d.yaml" \
  --data "$POSE_DATA" --out "$WORK/pose3d" --fps 30 --eval-limit 0 --engine onnx --seed 1

# 3. Action (runs independently of stage 2: the head goes on the pretrained backbone, frozen, whose
#    features are computed once): 5 classes (walking_extra is walking; the others are left out), minority classes
#    repeated in the index so every class gives a similar number of 2-second windows.
ACTION_DATA="$WORK/cmu-5-actions"
balanced_index "$ACTION_DATA" "$ACTION_REPEATS"
budget "$ACTION_MINUTES" $MOTION finetune --task action --from "$WORK/pretrain" \
  --config "$ROOT/configs/default/finetune-action.yaml" --freeze backbone \
  --data "$ACTION_DATA" --out "$WORK/action" --fps 30 --eval-limit 0 --seed 2

# 4. The bundled folders: the best checkpoints (native model folders) and the action class names.
rm -rf "$ROOT/models/pose3d" "$ROOT/models/action"
mkdir -p "$ROOT/models/pose3d" "$ROOT/models/action"
cp "$WORK/pose3d/best/model.safetensors" "$WORK/pose3d/best/config.json" "$ROOT/models/pose3d/"
cp "$WORK/action/best/model.safetensors" "$WORK/action/best/config.json" "$ROOT/models/action/"
node -e 'const r = require(process.argv[1]); console.log(JSON.stringify(r.classes))' "$WORK/action/run.json" > "$ROOT/models/action/classes.json"

# 5. Evaluation (docs/default-models.md): unseen cameras (seed 1000003), exact and noisy 2D.
$MOTION eval --task pose3d --checkpoint "$ROOT/models/pose3d" --config "$ROOT/configs/default/eval.yaml" --data "$DATA" --split test --fps 30
$MOTION eval --task pose3d --checkpoint "$ROOT/models/pose3d" --config "$ROOT/configs/default/eval.yaml" --data "$DATA" --split test --fps 30 --noise
$MOTION eval --task action --run "$WORK/action" --data "$ACTION_DATA" --split test --fps 30

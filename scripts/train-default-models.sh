#!/usr/bin/env bash
# Retrains the bundled default models (models/pose3d, models/action) with motion's own commands,
# exactly as they were made; see docs/default-models.md and models/MODEL_CARD.md.
#
#   npm run build && scripts/train-default-models.sh [--cmu-only] [WORK]
#
# Data: ../shared/data/cmu-mocap-h36m17 (CMU, free for research and commercial use) and
# ../shared/data/bandai2-h36m17 (Bandai Namco Research Motiondataset-2, CC BY-NC 4.0: models
# trained on it are for NON-COMMERCIAL use only). --cmu-only trains on CMU alone, for a model
# without that restriction (5 action classes instead of 13). CMU=DIR and BANDAI=DIR override the
# folders; WORK is where the runs go (default runs/default-video, or runs/default-cmu).
#
# Every stage can be stopped (Ctrl-C: the latest checkpoint is saved) and the script run again:
# a stage whose run folder exists is continued with --resume. PRETRAIN_MINUTES / POSE_MINUTES /
# ACTION_MINUTES stop a
# stage after that many minutes of wall time (0: run to its epoch limit). NO_BUNDLE=1 skips copying
# the result into models/.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CMU_ONLY=0
if [ "${1:-}" = "--cmu-only" ]; then CMU_ONLY=1; shift; fi
CMU="$(cd "${CMU:-$ROOT/../shared/data/cmu-mocap-h36m17}" && pwd)"
if [ "$CMU_ONLY" = 1 ]; then WORK="${1:-$ROOT/runs/default-cmu}"; else WORK="${1:-$ROOT/runs/default-video}"; BANDAI="$(cd "${BANDAI:-$ROOT/../shared/data/bandai2-h36m17}" && pwd)"; fi
MOTION="node $ROOT/bin/run.js"
# shellcheck source=scripts/default-indexes.sh
source "$ROOT/scripts/default-indexes.sh"
PRETRAIN_MINUTES="${PRETRAIN_MINUTES:-0}"
POSE_MINUTES="${POSE_MINUTES:-0}"
ACTION_MINUTES="${ACTION_MINUTES:-0}"
mkdir -p "$WORK"

# shellcheck source=scripts/training-stages.sh
source "$ROOT/scripts/training-stages.sh"

# 1. The clip indexes: CMU + Bandai train clips (or CMU alone), relabelled and repeated.
if [ "$CMU_ONLY" = 1 ]; then
  mixed_index "$WORK/pose-clips" cmu="$CMU" "$CMU_POSE_PLAN"
  mixed_index "$WORK/action-clips" cmu="$CMU" "$CMU_ACTION_PLAN"
  LICENCE='CMU Graphics Lab Motion Capture Database data: free for research and commercial use'
else
  mixed_index "$WORK/pose-clips" cmu="$CMU" "$CMU_POSE_PLAN" bandai="$BANDAI" "$BANDAI_POSE_PLAN"
  mixed_index "$WORK/action-clips" cmu="$CMU" "$CMU_ACTION_PLAN" bandai="$BANDAI" "$BANDAI_ACTION_PLAN"
  LICENCE='CC BY-NC 4.0 (non-commercial use only): trained on Bandai Namco Research Motiondataset-2 (CC BY-NC 4.0) and CMU motion capture'
fi

# 2. 3D lifting. The starting point is the CMU model the previous recipe made (MotionBERT-style
#    pretraining, then pose3d finetuning, both with orbit cameras on CMU; 2a-2b), or POSE_FROM=DIR
#    to start from a model you already have. The bundled model started from the previous bundle:
#      mkdir -p /tmp/prev && for f in config.json model.safetensors; do
#        git show d008080:models/pose3d/$f > /tmp/prev/$f; done
#      POSE_FROM=/tmp/prev scripts/train-default-models.sh
if [ -n "${POSE_FROM:-}" ]; then
  POSE_START="$POSE_FROM"
else
  DATA="$CMU" balanced_index "$WORK/cmu-pose-balanced" "$POSE_REPEATS"
  stage "$PRETRAIN_MINUTES" "$WORK/pretrain-cmu" pretrain --config "$ROOT/configs/default/pretrain.yaml" \
    --data "$CMU" --fps 30 --eval-limit 0 --engine onnx --seed 0
  stage "$PRETRAIN_MINUTES" "$WORK/pose3d-cmu" finetune --task pose3d --from "$WORK/pretrain-cmu" \
    --config "$ROOT/configs/default/finetune-pose3d.yaml" --data "$WORK/cmu-pose-balanced" --fps 30 \
    --eval-limit 0 --engine onnx --seed 1
  POSE_START="$WORK/pose3d-cmu"
fi
# 2c. Every layer finetuned on video-like views of CMU (+ Bandai) (configs/default/pose3d-video.yaml).
stage "$POSE_MINUTES" "$WORK/pose3d" finetune --task pose3d --from "$POSE_START" \
  --config "$ROOT/configs/default/pose3d-video.yaml" --data "$WORK/pose-clips" --eval-limit 0 \
  --engine onnx --seed 0 --checkpoint-every 100

# 3. Action head on the pose model's backbone, frozen (features computed once).
stage "$ACTION_MINUTES" "$WORK/action" finetune --task action --from "$WORK/pose3d/latest" \
  --config "$ROOT/configs/default/finetune-action-video.yaml" --freeze backbone \
  --data "$WORK/action-clips" --eval-limit 0 --seed 2

# 3b. The head and the last backbone block trained together (--freeze 1), 6 epochs, from stage 3:
#     the pooled features of the frozen pose backbone do not show a slow wave; this block learns it.
stage "$ACTION_MINUTES" "$WORK/action-block" finetune --task action --from "$WORK/action/latest" \
  --config "$ROOT/configs/default/finetune-action-video.yaml" --freeze 1 --lr-head 3e-4 --lr-backbone 1e-4 \
  --data "$WORK/action-clips" --eval-limit 0 --seed 3 --epochs 6
# 3c. Then the last two blocks and the head, 2 epochs at half those learning rates (--freeze 2).
stage "$ACTION_MINUTES" "$WORK/action-block2" finetune --task action --from "$WORK/action-block/latest" \
  --config "$ROOT/configs/default/finetune-action-video.yaml" --freeze 2 --lr-head 1.5e-4 --lr-backbone 5e-5 \
  --data "$WORK/action-clips" --eval-limit 0 --seed 4 --epochs 2

# 3d. The pose model trained on to 13 epochs: its run resumed (same schedule, lr x0.8 per epoch, same
#     data order), after the action stages, which start from its 5-epoch checkpoint as the bundled
#     action model did (a finished run resumed again just says so).
budget "$POSE_MINUTES" $MOTION finetune --resume "$WORK/pose3d" --epochs 13

# 3e. The bundled pose model: the 13-epoch model trained 12 more epochs on an index that weights CMU
#     up (CMU x16, running x48, Bandai x1), lr 6e-5 x0.8 per epoch (configs/default/pose3d-video-cmu.yaml;
#     run as 3 epochs, then resumed to 5, 9 and 12 with the same schedule).
#     --cmu-only runs have nothing to weight CMU against, and bundle the 13-epoch model.
POSE_FINAL="$WORK/pose3d"
if [ "$CMU_ONLY" != 1 ]; then
  mixed_index "$WORK/pose-clips-cmu16" cmu="$CMU" "$CMU_POSE_PLAN_3E" bandai="$BANDAI" "$BANDAI_POSE_PLAN"
  stage "$POSE_MINUTES" "$WORK/pose3d-cmu16" finetune --task pose3d --from "$WORK/pose3d/latest" \
    --config "$ROOT/configs/default/pose3d-video-cmu.yaml" --data "$WORK/pose-clips-cmu16" --eval-limit 0 \
    --engine onnx --seed 5 --checkpoint-every 100
  POSE_FINAL="$WORK/pose3d-cmu16"
fi

# 4. The bundled folders: the runs' latest checkpoints, their licence, the action class names.
if [ "${NO_BUNDLE:-0}" != 1 ]; then
  for task in pose3d action; do
    run="$POSE_FINAL"; if [ "$task" = action ]; then run="$WORK/action-block2"; fi
    rm -rf "$ROOT/models/$task"; mkdir -p "$ROOT/models/$task"
    cp "$run/latest/model.safetensors" "$ROOT/models/$task/"
    node -e '
const fs = require("fs")
const [src, dst, licence] = process.argv.slice(1)
const c = JSON.parse(fs.readFileSync(src, "utf8"))
c.provenance = {...c.provenance, licence, modelCard: "models/MODEL_CARD.md"}
fs.writeFileSync(dst, JSON.stringify(c, null, 2) + "\n")
' "$run/latest/config.json" "$ROOT/models/$task/config.json" "$LICENCE"
  done
  node -e 'const r = require(process.argv[1]); console.log(JSON.stringify(r.classes))' "$WORK/action-block2/run.json" > "$ROOT/models/action/classes.json"
fi

# 5. Evaluation (docs/default-models.md): static cameras, seed 1000003, exact and noisy 2D.
for data in "$CMU" ${BANDAI:+"$BANDAI"}; do
  $MOTION eval --task pose3d --checkpoint "$ROOT/models/pose3d" --data "$data" --split test --fps 30 --camera static
  $MOTION eval --task pose3d --checkpoint "$ROOT/models/pose3d" --data "$data" --split test --fps 30 --camera static --noise
done
$MOTION eval --task action --checkpoint "$WORK/action-block2/latest" --data "$WORK/action-clips" --split test --fps 30 --camera static

#!/usr/bin/env bash
# The bundled action model's recipe (stages 3, 3b and 3c of scripts/train-default-models.sh) run
# again with a validation split, so that every choice of checkpoint is made on clips the test
# split never sees, and the test split is scored once, at the end:
#
#   - validation: the Bandai train takes 4, 9, 14, ... (take mod 5 = 4; Bandai's test split is
#     takes 5, 10, 15, ...), about a fifth of Bandai train. It is the "test" split of the index
#     this script writes, so finetune scores it after every epoch (static-camera protocol, every
#     clip) and keeps the best epoch in best/;
#   - train: the rest of the action index, with the same repeats;
#   - held out: the real test split, relabelled "holdout".
#
# Each stage starts from the previous stage's best/ (by validation top-1). The final model is the
# stage best with the highest validation top-1 (the later stage on a tie); only it is scored on
# the held-out test split.
#
#   npm run build && scripts/train-default-models.sh && scripts/validate-action-recipe.sh [WORK [VAL]]
#
# WORK: the folder scripts/train-default-models.sh trained in (its action-clips index and its
# pose3d run; default runs/default-video). VAL: where the runs go (default WORK/validation).
# Bandai-trained weights are CC BY-NC 4.0: non-commercial use only.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(cd "${1:-$ROOT/runs/default-video}" && pwd)"
VAL="${2:-$WORK/validation}"
POSE="${POSE:-$WORK/pose3d/latest}"
MOTION="node $ROOT/bin/run.js"
# shellcheck source=scripts/training-stages.sh
source "$ROOT/scripts/training-stages.sh"
ACTION_MINUTES="${ACTION_MINUTES:-0}"
CONFIG="$ROOT/configs/default/finetune-action-video.yaml"
mkdir -p "$VAL/action-val"

# 1. The validation index: the action index's clips, re-split.
node -e '
const fs = require("fs")
const path = require("path")
const [src, dst] = process.argv.slice(1)
const index = JSON.parse(fs.readFileSync(path.join(src, "index.json"), "utf8"))
for (const name of ["cmu", "bandai"]) {
  const link = path.join(dst, name)
  if (!fs.existsSync(link)) fs.symlinkSync(fs.realpathSync(path.join(src, name)), link)
}
const clips = index.clips.map((c) => {
  if (c.split === "test") return {...c, split: "holdout"}
  if (c.split === "train" && c.file.startsWith("bandai/") && c.take % 5 === 4) return {...c, split: "test"}
  return c
})
const count = (s) => clips.filter((c) => c.split === s).length
fs.writeFileSync(path.join(dst, "index.json"), JSON.stringify({...index, name: index.name + " (validation: Bandai train takes 4, 9, 14, ... as test; the test split as holdout)", clips}))
console.log(`validation index: ${count("train")} train, ${count("test")} validation, ${count("holdout")} held-out entries`)
' "$WORK/action-clips" "$VAL/action-val"

# 2. Stages 3, 3b, 3c, each scored on the validation clips after every epoch (--eval-limit 1000:
#    all of them), each from the previous stage's best.
stage "$ACTION_MINUTES" "$VAL/action-v3" finetune --task action --from "$POSE" --config "$CONFIG" \
  --freeze backbone --data "$VAL/action-val" --eval-limit 1000 --seed 2
stage "$ACTION_MINUTES" "$VAL/action-v3b" finetune --task action --from "$VAL/action-v3/best" --config "$CONFIG" \
  --freeze 1 --lr-head 3e-4 --lr-backbone 1e-4 --data "$VAL/action-val" --eval-limit 1000 --seed 3 --epochs 6
stage "$ACTION_MINUTES" "$VAL/action-v3c" finetune --task action --from "$VAL/action-v3b/best" --config "$CONFIG" \
  --freeze 2 --lr-head 1.5e-4 --lr-backbone 5e-5 --data "$VAL/action-val" --eval-limit 1000 --seed 4 --epochs 2

# 3. The stage best with the highest validation top-1, scored once on the held-out test split.
CHOSEN="$(node -e '
const fs = require("fs")
let chosen
for (const run of process.argv.slice(1)) {
  const best = JSON.parse(fs.readFileSync(run + "/best/state.json", "utf8")).best
  console.error(`${run}: best validation ${best.name} ${best.value.toFixed(2)} at epoch ${best.epoch}`)
  if (!chosen || best.value >= chosen.value) chosen = {run, value: best.value}
}
console.log(chosen.run + "/best")
' "$VAL/action-v3" "$VAL/action-v3b" "$VAL/action-v3c")"
echo "chosen by validation: $CHOSEN"
$MOTION eval --task action --checkpoint "$CHOSEN" --data "$VAL/action-val" --split holdout --fps 30 --camera static

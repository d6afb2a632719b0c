# The rebalanced clip indexes of the default models' recipe, shared by
# scripts/train-default-models.sh and scripts/official/compare-recipe.sh (source it; needs $DATA).
# (scripts/official/train_official.py applies POSE_REPEATS itself; keep the two in step.)

# Pose finetune: action -> [label, repeats of each train clip] (rare actions repeated).
POSE_REPEATS='{"walking":["walking",2],"walking_extra":["walking_extra",1],"basketball":["basketball",3],"jumping":["jumping",3],"running":["running",6],"soccer":["soccer",3],"basketball_signal":["basketball_signal",1],"directing_traffic":["directing_traffic",1],"washwindow":["washwindow",1]}'
# Action head: the 5 classes with test clips (walking_extra is walking), minority classes repeated.
ACTION_REPEATS='{"walking":["walking",1],"walking_extra":["walking",1],"basketball":["basketball",4],"jumping":["jumping",3],"running":["running",24],"soccer":["soccer",3]}'

# Writes a clip index that relabels and repeats train clips: $1 the folder to make, $2 a JSON
# {action: [label, repeats]} (actions left out are dropped; test clips are kept once, relabelled).
# Repeats balance the actions (each repeat is seen through its own random virtual cameras).
balanced_index() {
  mkdir -p "$1"
  ln -sfn "$DATA/train" "$1/train"
  ln -sfn "$DATA/test" "$1/test"
  node -e '
const fs = require("fs")
const [src, dst, table] = process.argv.slice(1)
const plan = JSON.parse(table)
const index = JSON.parse(fs.readFileSync(src + "/index.json", "utf8"))
const clips = []
for (const c of index.clips) {
  const entry = plan[c.action]
  if (!entry) continue
  const [action, repeats] = entry
  for (let k = 0; k < (c.split === "train" ? repeats : 1); k++) clips.push({...c, action})
}
fs.writeFileSync(dst + "/index.json", JSON.stringify({...index, name: index.name + " (rebalanced)", clips}, null, 1))
' "$DATA" "$1" "$2"
}


# Writes one clip index over several clip folders: $1 the folder to make, then pairs of
# NAME=FOLDER and a JSON {action: [label, repeats]} plan per folder ('*' keeps every action once).
# Each folder is linked as NAME/ and its clips listed as NAME/FILE with their own frame rate, so
# folders of different rates (CMU 120 fps, Bandai 30 fps) mix. Test clips are kept once.
mixed_index() {
  local dst="$1"; shift
  mkdir -p "$dst"
  local args=()
  while [ $# -gt 0 ]; do
    local name="${1%%=*}" dir="${1#*=}"
    ln -sfn "$(cd "$dir" && pwd)" "$dst/$name"
    args+=("$name" "$2"); shift 2
  done
  node -e '
const fs = require("fs")
const [dst, ...rest] = process.argv.slice(1)
const clips = []
const names = []
for (let i = 0; i < rest.length; i += 2) {
  const name = rest[i], plan = JSON.parse(rest[i + 1])
  const index = JSON.parse(fs.readFileSync(dst + "/" + name + "/index.json", "utf8"))
  names.push(index.name)
  for (const c of index.clips) {
    const entry = plan["*"] ? [plan[c.action]?.[0] ?? c.action, plan[c.action]?.[1] ?? plan["*"][1]] : plan[c.action]
    if (!entry) continue
    const [action, repeats] = entry
    const fps = c.fps ?? index.fps
    for (let k = 0; k < (c.split === "train" ? repeats : 1); k++) clips.push({...c, file: name + "/" + c.file, action, fps})
  }
}
fs.writeFileSync(dst + "/index.json", JSON.stringify({name: names.join(" + "), units: "millimetres", up_axis: "y", clips}, null, 1))
' "$dst" "${args[@]}"
}

# The default models' mixed indexes (need $CMU and $BANDAI): pose over both train splits (CMU
# repeated so its varied actions are not drowned by Bandai's 173 minutes), and the 13 action
# classes (CMU's sports repeated towards Bandai's per-class durations; walk/run merged).
CMU_POSE_PLAN='{"*":[null,4],"running":["running",12],"washwindow":["washwindow",1]}'
BANDAI_POSE_PLAN='{"*":[null,1]}'
# Stage 3e (the bundled pose model's last 12 epochs): CMU weighted up, 123 min of its motion per epoch
# against Bandai's 173 (31 against 173 above).
CMU_POSE_PLAN_3E='{"*":[null,16],"running":["running",48],"washwindow":["washwindow",1]}'
CMU_ACTION_PLAN='{"walking":["walking",4],"walking_extra":["walking",1],"basketball":["basketball",40],"jumping":["jumping",32],"running":["running",1],"soccer":["soccer",35]}'
BANDAI_ACTION_PLAN='{"*":[null,1],"walk":["walking",1],"run":["running",1]}'

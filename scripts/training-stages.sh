# Resumable training stages, shared by scripts/train-default-models.sh and
# scripts/validate-action-recipe.sh (source it; needs $MOTION).

# Runs a training command, interrupting it (SIGINT: latest saved, exit 130) after $1 minutes.
budget() {
  local minutes="$1"; shift
  if [ "$minutes" = 0 ]; then "$@"; return; fi
  "$@" & local pid=$!
  ( sleep "$((minutes * 60))"; kill -INT "$pid" 2>/dev/null || true ) & local timer=$!
  wait "$pid" || [ $? = 130 ]
  kill "$timer" 2>/dev/null || true
}

# A stage: $1 minutes of budget (0: none), $2 the run folder, then the motion command and its
# flags. A fresh run, or, when the run folder exists, the existing one continued with --resume.
stage() {
  local minutes="$1" run="$2"; shift 2
  if [ -f "$run/run.json" ]; then budget "$minutes" $MOTION "$1" --resume "$run"; else budget "$minutes" $MOTION "$@" --out "$run"; fi
}

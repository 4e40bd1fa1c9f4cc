#!/usr/bin/env bash
# launch/nightly.sh promote: a better candidate is promoted and `latest` moves; a worse one is not, and
# both decisions are recorded in the history. Fake run directories stand in for real runs.
# Usage: nightly_promote_test.sh (from the repository root)
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/nightly

# A run directory whose deeper_iter2 MAE in the last round (3) on domain ALL is $2, and whose model
# stage (dpo_iter2) holds a file saying $3.
fake_run() {
  local dir=$1 mae=$2 weights=$3
  mkdir -p "$dir/evaluation" "$dir/dpo_iter2/adapter" "$dir/dpo_iter2/training"
  cat > "$dir/evaluation/mae.csv" <<CSV
method,domain,round,mae,users
deeper_iter2,ALL,0,0.900000,10
deeper_iter2,ALL,3,$mae,10
deeper_iter2,food_com,3,0.1,5
full_regen,ALL,3,0.01,10
CSV
  echo "report of $weights" > "$dir/evaluation/report.md"
  echo "$weights" > "$dir/dpo_iter2/adapter/adapter_model.safetensors"
  echo "optimizer state" > "$dir/dpo_iter2/training/state.bin"
  printf '{"stage": "dpo_iter2", "outputs_digest": "%s"}\n' "$(sha256sum <<< "$weights" | cut -c1-64)" \
    > "$dir/dpo_iter2/manifest.json"
  echo "model: x" > "$dir/config.yaml"
}

latest_weights() { cat "$root/latest/model/adapter/adapter_model.safetensors"; }

# Night 1: nothing promoted yet, so the first candidate is promoted.
fake_run "$work/run1" 0.800000 weights-1
launch/nightly.sh promote --root "$root" --run-dir "$work/run1" --stamp night1
[[ -L "$root/latest" ]] || fail "latest is not a symlink"
[[ "$(readlink "$root/latest")" == models/night1 ]] || fail "latest -> $(readlink "$root/latest"), expected models/night1"
[[ "$(latest_weights)" == weights-1 ]] || fail "latest does not hold night 1's model"
[[ -f "$root/models/night1/mae.csv" && -f "$root/models/night1/config.yaml" ]] || fail "night 1's files were not kept"
[[ ! -e "$root/models/night1/model/training" ]] || fail "training checkpoints were copied with the model"

# Night 2: better (0.7 < 0.8): promoted, latest moves.
fake_run "$work/run2" 0.700000 weights-2
launch/nightly.sh promote --root "$root" --run-dir "$work/run2" --stamp night2
[[ "$(readlink "$root/latest")" == models/night2 ]] || fail "a better model was not promoted"
[[ "$(latest_weights)" == weights-2 ]] || fail "latest does not hold night 2's model"
[[ -d "$root/models/night1" ]] || fail "the previous model was removed"

# Night 3: worse (0.75 > 0.7): kept, latest stays on night 2, the evaluation is still in the history.
fake_run "$work/run3" 0.750000 weights-3
launch/nightly.sh promote --root "$root" --run-dir "$work/run3" --stamp night3
[[ "$(readlink "$root/latest")" == models/night2 ]] || fail "a worse model moved latest"
[[ ! -e "$root/models/night3" ]] || fail "a worse model was copied to models/"
[[ "$(cat "$root/history/night3/decision")" == kept ]] || fail "night 3's decision is not 'kept'"
grep -q "weights-3" "$root/history/night3/report.md" || fail "night 3's report is not in the history"

# Night 4: equal MAE counts as not worse: promoted.
fake_run "$work/run4" 0.700000 weights-4
launch/nightly.sh promote --root "$root" --run-dir "$work/run4" --stamp night4
[[ "$(readlink "$root/latest")" == models/night4 ]] || fail "an equally good model was not promoted"

# Night 5: the very same model again (no new data): nothing copied.
fake_run "$work/run5" 0.700000 weights-4
launch/nightly.sh promote --root "$root" --run-dir "$work/run5" --stamp night5
[[ "$(readlink "$root/latest")" == models/night4 && ! -e "$root/models/night5" ]] || fail "an unchanged model was copied"

expected=$(printf '%s\n' \
  "stamp	method	candidate_mae	promoted_mae	decision	model" \
  "night1	deeper_iter2	0.800000	-	promoted	models/night1" \
  "night2	deeper_iter2	0.700000	0.800000	promoted	models/night2" \
  "night3	deeper_iter2	0.750000	0.700000	kept	models/night2" \
  "night4	deeper_iter2	0.700000	0.700000	promoted	models/night4" \
  "night5	deeper_iter2	0.700000	0.700000	unchanged	models/night4")
[[ "$(cat "$root/history.tsv")" == "$expected" ]] || { cat "$root/history.tsv"; fail "history.tsv differs"; }

# A run without an evaluation for the method is refused and changes nothing.
mkdir -p "$work/broken/evaluation"
echo "method,domain,round,mae,users" > "$work/broken/evaluation/mae.csv"
if launch/nightly.sh promote --root "$root" --run-dir "$work/broken" --stamp night6 2> "$work/err"; then
  fail "a run without MAE rows was accepted"
fi
grep -q "no ALL row" "$work/err" || fail "unexpected error: $(cat "$work/err")"
[[ "$(readlink "$root/latest")" == models/night4 ]] || fail "a refused run moved latest"
echo "nightly promote: ok"

#!/usr/bin/env bash
# launch/slurm/submit_stages.sh: one job per stage, in run order, each `deeper run --only STAGE` and
# each after the previous one (afterok). A stand-in sbatch records the submissions.
# Usage (from the repository root): submit_stages_test.sh BIN_DIR
set -euo pipefail
BIN=$(cd "$1" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/bin"
cat > "$work/bin/sbatch" <<'SBATCH'
#!/usr/bin/env bash
# Records its arguments and answers like `sbatch --parsable`: a new job id.
n=$(($(wc -l < "$SBATCH_LOG") + 100))
echo "$n $*" >> "$SBATCH_LOG"
echo "$n;testcluster"
SBATCH
chmod +x "$work/bin/sbatch"
export PATH=$work/bin:$PATH SBATCH_LOG=$work/sbatch.log DEEPER_BIN=$BIN/deeper
: > "$SBATCH_LOG"

mapfile -t stages < <("$BIN/deeper" stages --config configs/ci.yaml | awk '{print $1}')
((${#stages[@]} >= 12)) || fail "expected the whole graph from deeper stages, got: ${stages[*]}"

launch/slurm/submit_stages.sh --config configs/ci.yaml --run-dir "$work/run" \
  --stage-args "context_building=--gpus-per-node=0" --sbatch-args "--partition=test" > "$work/out"
[[ $(wc -l < "$SBATCH_LOG") -eq ${#stages[@]} ]] || fail "$(wc -l < "$SBATCH_LOG") jobs for ${#stages[@]} stages"
previous=""
i=0
while read -r id args; do
  stage=${stages[$i]}
  [[ "$args" == *"--only $stage"* && "$args" == *"--job-name=deeper-$stage"* ]] || fail "job $i: $args"
  [[ "$args" == *"--partition=test"* && "$args" == *"launch/slurm/single_node.sbatch --config configs/ci.yaml"* ]] \
    || fail "job $i: $args"
  if [[ -z "$previous" ]]; then
    [[ "$args" != *"--dependency"* && "$args" == *"--gpus-per-node=0"* ]] || fail "first job: $args"
  else
    [[ "$args" == *"--dependency=afterok:$previous"* ]] || fail "job $i does not wait for $previous: $args"
  fi
  grep -qx "$stage $id" "$work/out" || fail "no '$stage $id' line in the output"
  previous=$id
  i=$((i + 1))
done < "$SBATCH_LOG"

# --from: only the stages from there on; --dry-run submits nothing.
: > "$SBATCH_LOG"
launch/slurm/submit_stages.sh --config configs/ci.yaml --run-dir "$work/run" --from dpo_iter2 --dry-run > "$work/dry"
[[ ! -s "$SBATCH_LOG" ]] || fail "--dry-run submitted jobs"
[[ $(wc -l < "$work/dry") -eq 2 ]] || fail "--from dpo_iter2: $(cat "$work/dry")"
if ! grep -q -- "--only evaluation" "$work/dry" || ! grep -q -- "--dependency=afterok:\\\\<dpo_iter2\\\\>" "$work/dry"; then
  fail "--from dpo_iter2: $(cat "$work/dry")"
fi
echo "submit_stages: ok"

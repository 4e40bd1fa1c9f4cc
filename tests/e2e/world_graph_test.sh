#!/usr/bin/env bash
# The embedded default (configs/quickstart.yaml, threads pinned to 2) end to end: the simulated world
# through every stage (world, context_building, warm_start, ..., dpo_iter2, evaluation), then checks that the outputs exist and parse with the right
# columns (check_world_outputs.py), that `deeper verify` passes, that a rerun has nothing left to do,
# and that the dependencies from {run_dir} references hold: a change of the world reruns every stage,
# a change of warm_start reruns it and every model stage but not the world or context building.
# Usage (from the repository root): world_graph_test.sh BIN_DIR [CHECKER_FLAGS...]
#   CHECKER_FLAGS go to check_world_outputs.py (--gate, --acceptance, --report: see the checker);
#   KEEP_WORK=1 keeps the run directory.
set -euo pipefail
BIN=$(cd "$1" && pwd)
shift
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"

work=$(mktemp -d)
echo "work: $work"
trap '[[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"' EXIT

# No --config: the embedded default itself. Pinned threads: its figures are exact for a seed and a
# thread count, and CI's acceptance check compares them.
args=(run --run-dir "$work/run" --set run.threads=2)
start=$SECONDS
"$BIN/deeper" "${args[@]}" > "$work/run.log" 2>&1 || { tail -n 60 "$work/run.log"; fail "the default run failed"; }
echo "default job: whole graph in $((SECONDS - start)) s"
stages="world context_building warm_start init_persona direction_sampling_1 reward_assignment_1 pair_mining_1
        dpo_iter1 refine_1 direction_sampling_2 reward_assignment_2 pair_mining_2 dpo_iter2 evaluation"
for stage in $stages; do
  grep -q "^  $stage: run" "$work/run.log" || fail "stage $stage did not run"
done

python3 "$HERE/check_world_outputs.py" "$work/run" "$@" || fail "check_world_outputs.py: see above"
"$BIN/deeper" verify --run-dir "$work/run" > /dev/null || fail "deeper verify found modified outputs"

"$BIN/deeper" "${args[@]}" > "$work/rerun.log" 2>&1 || { tail -n 40 "$work/rerun.log"; fail "the rerun failed"; }
if grep -E '^  [a-z_0-9]+: (run|resume)' "$work/rerun.log"; then fail "the rerun redid work"; fi
echo "default job: rerun up to date"

# Plans only (--dry-run): which stages a config change reruns.
plan() { "$BIN/deeper" "${args[@]}" --dry-run "$@" 2>/dev/null; }
world_change=$(plan --set world.noise=0.6)
for stage in $stages; do
  grep -q "^  $stage: run (config or inputs changed)" <<< "$world_change" || fail "a world change does not rerun $stage"
done
warm_change=$(plan --set warm_start.quality.contexts=3)
for stage in world context_building; do
  grep -q "^  $stage: up to date" <<< "$warm_change" || fail "a warm_start change reruns $stage"
done
for stage in warm_start init_persona direction_sampling_1 reward_assignment_1 dpo_iter1 evaluation; do
  grep -q "^  $stage: run" <<< "$warm_change" || fail "a warm_start change does not rerun $stage"
done
echo "default job: dependencies from {run_dir} references hold"

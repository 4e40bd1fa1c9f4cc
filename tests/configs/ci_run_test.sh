#!/usr/bin/env bash
# configs/ci.yaml end to end: makes its two tiny random llamas with deeper-tool make-model, runs the
# whole graph, and checks the evaluation's outputs and that a rerun has nothing left to do.
# Usage (from the repository root): ci_run_test.sh BIN_DIR [RANKS]; KEEP_WORK=1 keeps the run directory.
set -euo pipefail
BIN=$(cd "$1" && pwd)
RANKS=${2:-1}
fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d)
echo "work: $work"
trap '[[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"' EXIT

# The models of configs/ci.yaml's header comment: vocab 128256 to speak the Llama-3 tokenizer.
shape=vocab_size=128256,hidden_size=16,intermediate_size=32,num_hidden_layers=2,num_attention_heads=2
shape=$shape,num_key_value_heads=1,head_dim=8,tie_word_embeddings=true
"$BIN/deeper-tool" make-model --like llama --seed 11 --set "$shape" --out "$work/refiner" > /dev/null
"$BIN/deeper-tool" make-model --like llama --seed 12 --set "$shape" --out "$work/predictor" > /dev/null

args=(run --config configs/ci.yaml --run-dir "$work/run"
      --set "models.refiner.path=$work/refiner" --set "models.predictor.path=$work/predictor")
launch=("$BIN/deeper")
((RANKS > 1)) && launch=(mpirun -np "$RANKS" --oversubscribe "$BIN/deeper")
start=$SECONDS
"${launch[@]}" "${args[@]}" > "$work/run.log" 2>&1 || { tail -n 60 "$work/run.log"; fail "the ci run failed"; }
echo "ci.yaml: whole graph with $RANKS rank(s) in $((SECONDS - start)) s"

eval_dir=$work/run/evaluation
[[ -f "$eval_dir/mae.csv" && -f "$eval_dir/report.md" && -f "$eval_dir/report.html" ]] || fail "evaluation outputs missing"
for method in deeper_base deeper_iter1 deeper_iter2 full_regen slide_regen inc_update hier_merge prev_window_mean all_max; do
  grep -q "^$method,ALL,3," "$eval_dir/mae.csv" || fail "no round-3 ALL row for $method in mae.csv"
  ls "$eval_dir/$method"/shard-*.h5 > /dev/null || fail "no persona shards for $method"
done
"$BIN/deeper" verify --run-dir "$work/run" > /dev/null || fail "deeper verify found modified outputs"

"${launch[@]}" "${args[@]}" > "$work/rerun.log" 2>&1 || { tail -n 40 "$work/rerun.log"; fail "the rerun failed"; }
if grep -E '^  [a-z_0-9]+: (run|resume)' "$work/rerun.log"; then fail "the rerun redid work"; fi
echo "ci.yaml: rerun up to date"

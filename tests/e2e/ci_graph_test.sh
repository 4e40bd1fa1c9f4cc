#!/usr/bin/env bash
# The whole graph of configs/ci.yaml, three ways against one uninterrupted one-rank run:
#   1. `mpirun -np 2`: identical shards of every stage and mae.csv (DPO adds gradients exactly, so two
#      ranks train the same weights as one);
#   2. killed with SIGKILL at a random moment of EVERY stage in turn (one kill per stage, rerun each
#      time), then run to the end: identical shards and mae.csv;
#   3. `--from pair_mining_1` reruns exactly that stage and its dependants, `--only evaluation --force`
#      exactly the evaluation, and both reproduce the same outputs.
# Usage (from the repository root): ci_graph_test.sh BIN_DIR
source "$(dirname "$0")/lib.sh"
BIN=$(cd "$1" && pwd)
work=$(mktemp -d)
trap '[[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"' EXIT

shape=vocab_size=128256,hidden_size=16,intermediate_size=32,num_hidden_layers=2,num_attention_heads=2
shape=$shape,num_key_value_heads=1,head_dim=8,tie_word_embeddings=true
"$BIN/deeper-tool" make-model --like llama --seed 11 --set "$shape" --out "$work/refiner" > /dev/null
"$BIN/deeper-tool" make-model --like llama --seed 12 --set "$shape" --out "$work/predictor" > /dev/null
config=(--config configs/ci.yaml --set "models.refiner.path=$work/refiner" --set "models.predictor.path=$work/predictor")

same_mae() {
  cmp -s "$1/evaluation/mae.csv" "$2/evaluation/mae.csv" || fail "mae.csv differs between $1 and $2"
  echo "identical: mae.csv"
}

"$BIN/deeper" run "${config[@]}" --run-dir "$work/straight" > "$work/straight.log" 2>&1 \
  || { tail -n 40 "$work/straight.log"; fail "uninterrupted run failed"; }
mapfile -t stages < <("$BIN/deeper" stages "${config[@]}" | awk '{print $1}')
echo "stages: ${stages[*]}"

# 1. Two ranks.
mpirun -np 2 --oversubscribe "$BIN/deeper" run "${config[@]}" --run-dir "$work/two" > "$work/two.log" 2>&1 \
  || { tail -n 40 "$work/two.log"; fail "two-rank run failed"; }
same_shards "$work/straight" "$work/two"
same_mae "$work/straight" "$work/two"

# 2. One kill in every stage. Shards are slowed down so a kill lands inside sharded stages too.
RANDOM=${KILL_SEED:-$$}
for stage in "${stages[@]}"; do
  DEEPER_TEST_SHARD_DELAY_MS=150 "$BIN/deeper" run "${config[@]}" --run-dir "$work/killed" \
    >> "$work/killed.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2> /dev/null && [[ ! -d "$work/killed/$stage" ]]; do sleep 0.05; done
  sleep "0.$((RANDOM % 6))"
  if kill -9 "$pid" 2> /dev/null; then
    echo "killed during or after the start of $stage"
  fi
  wait "$pid" 2> /dev/null || true
done
"$BIN/deeper" run "${config[@]}" --run-dir "$work/killed" > "$work/resumed.log" 2>&1 \
  || { tail -n 40 "$work/resumed.log"; fail "the run after the kills failed"; }
same_shards "$work/straight" "$work/killed"
same_mae "$work/straight" "$work/killed"

# 3. --from and --only.
"$BIN/deeper" run "${config[@]}" --run-dir "$work/straight" --from pair_mining_1 > "$work/from.log" 2>&1 \
  || { tail -n 40 "$work/from.log"; fail "--from failed"; }
grep -q "^  context_building: up to date" "$work/from.log" || fail "--from reran context_building"
grep -q "^  reward_assignment_1: up to date" "$work/from.log" || fail "--from reran reward_assignment_1"
for stage in pair_mining_1 dpo_iter1 evaluation; do
  grep -q "^  $stage: run" "$work/from.log" || { cat "$work/from.log"; fail "--from did not rerun $stage"; }
done
"$BIN/deeper" run "${config[@]}" --run-dir "$work/straight" --only evaluation --force > "$work/only.log" 2>&1 \
  || { tail -n 40 "$work/only.log"; fail "--only failed"; }
grep -q "^  evaluation: run (forced)" "$work/only.log" || { cat "$work/only.log"; fail "--only did not run evaluation"; }
[[ $(grep -cE "^  [a-z_0-9]+: run" "$work/only.log") == 1 ]] || { cat "$work/only.log"; fail "--only ran more"; }
same_shards "$work/killed" "$work/straight"
same_mae "$work/killed" "$work/straight"
echo "ci graph: 2 ranks, a kill in every stage, --from and --only reproduce the same outputs"

#!/usr/bin/env bash
# deeper-tool contexts end to end: TOOL DATA_DIR (tests/data/context_building).
# Rebuilds food_com's round files from the split CSV and from the round files themselves, and checks
# that a refused input leaves no output file behind.
set -euo pipefail
tool=$1
data=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
official=$data/deeper/food_com/test_iterations

for k in 1 2 3; do
  "$tool" contexts --deeper_csv "$data/deeper/food_com/test_dataset.csv" --round "$k" --jsonl "$out/csv_$k.jsonl"
  cmp "$out/csv_$k.jsonl" "$official/test_iteration_$k.jsonl"
done
for k in 1 2 3 4 5; do
  "$tool" contexts --deeper_jsonl "$official" --round "$k" --jsonl "$out/rounds_$k.jsonl"
  cmp "$out/rounds_$k.jsonl" "$official/test_iteration_$k.jsonl"
done
"$tool" contexts --ratings "$data/movielens/ratings.csv" --items "$data/movielens/movies.csv" \
  --set dataset_name=movielens_latest_small,item_type=movie,split=eval,source_url=https://grouplens.org/datasets/movielens/latest/ \
  --round 3 --jsonl "$out/ml_3.jsonl"
cmp "$out/ml_3.jsonl" "$data/movielens/golden_round_3.jsonl"

# A corrupted input: an error naming file and line, and no output file.
sed '42s/, 5,/, five,/' "$data/deeper/food_com/test_dataset.csv" > "$out/bad.csv"
if "$tool" contexts --deeper_csv "$out/bad.csv" --round 1 --jsonl "$out/bad.jsonl" 2> "$out/err.txt"; then
  echo "a corrupted CSV was accepted" >&2
  exit 1
fi
grep -q "bad.csv:42: windows_.*non-numeric rating 'five'" "$out/err.txt" || { cat "$out/err.txt" >&2; exit 1; }
if ls "$out" | grep -q "bad.jsonl"; then
  echo "an output (or its temporary) was left behind after an error" >&2
  exit 1
fi
# Options are checked too.
if "$tool" contexts --deeper_csv "$data/deeper/food_com/test_dataset.csv" --set colour=blue --jsonl "$out/x.jsonl" 2>/dev/null; then
  echo "an unknown --set key was accepted" >&2
  exit 1
fi
echo "tool_contexts_test: ok"

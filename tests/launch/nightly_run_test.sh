#!/usr/bin/env bash
# launch/nightly.sh run, two nights of configs/ci.yaml (tiny random models): night 1 trains from the
# config's refiner and promotes its model; night 2 continues from night 1's promoted adapter and is
# promoted or kept by its MAE. Usage (from the repository root): nightly_run_test.sh BIN_DIR
set -euo pipefail
BIN=$(cd "$1" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

shape=vocab_size=128256,hidden_size=16,intermediate_size=32,num_hidden_layers=2,num_attention_heads=2
shape=$shape,num_key_value_heads=1,head_dim=8,tie_word_embeddings=true
for model in refiner:11 predictor:12; do
  "$BIN/deeper-tool" make-model --like llama --seed "${model#*:}" --set "$shape" --out "$work/${model%:*}" > /dev/null
done
night() {
  NIGHTLY_LAUNCH=direct DEEPER_BIN=$BIN/deeper launch/nightly.sh run --config configs/ci.yaml --root "$work/root" \
    --set "models.refiner.path=$work/refiner" --set "models.predictor.path=$work/predictor" > "$work/night$1.log" 2>&1 \
    || { tail -n 40 "$work/night$1.log"; fail "night $1 failed"; }
}

night 1
first=$(readlink "$work/root/latest")
[[ "$first" == models/* && -f "$work/root/latest/model/adapter/adapter_config.json" ]] || fail "night 1 promoted nothing"
sleep 1  # a new stamp (seconds) for night 2
night 2
grep -q -- "--set models.refiner.adapter=$work/root/$first/model/adapter" "$work/night2.log" \
  || fail "night 2 did not continue from night 1's adapter: $(grep 'deeper run' "$work/night2.log")"
[[ $(wc -l < "$work/root/history.tsv") -eq 3 ]] || fail "history: $(cat "$work/root/history.tsv")"
decision=$(tail -n 1 "$work/root/history.tsv" | cut -f5)
case "$decision" in
  promoted) [[ "$(readlink "$work/root/latest")" != "$first" ]] || fail "promoted but latest did not move" ;;
  kept) [[ "$(readlink "$work/root/latest")" == "$first" ]] || fail "kept but latest moved" ;;
  *) fail "night 2's decision is '$decision'" ;;
esac
[[ -f "$work/root/latest/mae.csv" ]] || fail "latest has no mae.csv"
echo "nightly run: night 2 $decision"

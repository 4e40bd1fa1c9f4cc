#!/usr/bin/env bash
# Trains the quickstart's built-in refiner again (warm_start.refiner.checkpoint: builtin), with the recipe
# that configs/quickstart.yaml keeps under warm_start.refiner: the quickstart's world and warm start with
# warm_start.refiner.checkpoint="" (train it here), then copies the refiner into
# data/world/quickstart_refiner/, which the build compiles into `deeper`. Rebuild afterwards.
#
#   tools/world/train_quickstart_refiner.sh [RUN_DIR]     (default runs/quickstart_refiner; ~35 min on 2 cores)
#
# Deterministic for the config and run.threads (pinned to 2 here): on the same kind of CPU it writes the
# same bytes; another CPU's floating-point kernels give an equivalent refiner, not an identical one.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
run_dir=${1:-$root/runs/quickstart_refiner}
deeper=$root/build/bin/deeper
[[ -x $deeper ]] || { echo "$deeper not found: build first (bash setup.sh)" >&2; exit 1; }
settings=(--config "$root/configs/quickstart.yaml" --run-dir "$run_dir"
          --set 'warm_start.refiner.checkpoint=""' --set run.threads=2)
"$deeper" run "${settings[@]}" --only world
"$deeper" run "${settings[@]}" --only warm_start
out=$root/data/world/quickstart_refiner
for file in config.json model.safetensors tokenizer.json; do
  cp "$run_dir/warm_start/refiner/$file" "$out/$file.tmp"
  mv "$out/$file.tmp" "$out/$file"
done
grep -h '"refiner"' -A8 "$run_dir/warm_start/warm_start.json" | head -9
echo "wrote $out; rebuild (cmake --build build) to compile it into deeper"

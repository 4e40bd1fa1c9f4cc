#!/usr/bin/env bash
# `mpirun -np 2` gives the same shards as one rank.
# Usage: mpi_ranks_test.sh BIN_DIR CONFIG
source "$(dirname "$0")/lib.sh"
BIN=$1 CONFIG=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$BIN/deeper" run --config "$CONFIG" --run-dir "$work/one" > "$work/one.log" 2>&1 \
  || { cat "$work/one.log"; fail "one-rank run failed"; }
mpirun -np 2 --oversubscribe "$BIN/deeper" run --config "$CONFIG" --run-dir "$work/two" > "$work/two.log" 2>&1 \
  || { cat "$work/two.log"; fail "two-rank run failed"; }
grep -q '"world_size": 2' "$work/two/context_building/manifest.json" || fail "the run did not use 2 ranks"
same_shards "$work/one" "$work/two"

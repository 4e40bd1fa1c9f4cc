#!/usr/bin/env bash
# launch/mpirun.sh runs `deeper run` as 2 MPI ranks (as root too: it sets Open MPI's variables itself).
# Usage (from the repository root): mpirun_wrapper_test.sh BIN_DIR
set -euo pipefail
BIN=$(cd "$1" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The ctest environment may already carry the root variables: the wrapper must not need them.
unset OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
export DEEPER_BIN=$BIN/deeper

command=$(launch/mpirun.sh -n 2 --dry-run -- --config tests/e2e/contexts.yaml --run-dir "$work/run")
[[ "$command" == *"-np 2"* && "$command" == *"$BIN/deeper run --config tests/e2e/contexts.yaml"* ]] \
  || fail "unexpected command: $command"
command=$(launch/mpirun.sh -n 64 --dry-run -- --run-dir x)
[[ "$command" == *"--oversubscribe"* && "$command" == *"--bind-to none"* ]] || fail "64 ranks: $command"

launch/mpirun.sh -n 2 -- --config tests/e2e/contexts.yaml --run-dir "$work/run" > "$work/log" 2>&1 \
  || { cat "$work/log"; fail "the 2-rank run failed"; }
grep -q '"world_size": 2' "$work/run/context_building/manifest.json" || fail "the run did not use 2 ranks"
echo "mpirun wrapper: ok"

#!/usr/bin/env bash
# Bucketed vs per-tensor gradient all-reduce of a Llama-like model's gradients under mpirun.
# Usage: tools/collectives/bench.sh [bench_allreduce flags, e.g. --dtype=bfloat16 --runs=9]
# Environment: BUILD_DIR (default build), RANKS (default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
ranks=${RANKS:-2}
cmake --build "$build" --target bench_allreduce >/dev/null
# Open MPI refuses root without these; --oversubscribe allows more ranks than cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun -np "$ranks" --oversubscribe "$build/bin/bench_allreduce" "$@"

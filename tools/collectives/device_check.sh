#!/usr/bin/env bash
# The collectives' checks on the GPU machine, as one script: builds with DEEPER_WITH_NCCL=ON, runs the
# NCCL tests (one rank per GPU) and the benchmark on CUDA gradients. Run from the repository root after
# the recipe of the device README (`.device` carried).
# Usage: bash tools/collectives/device_check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source .device/setup.sh .device/debs
gpus=$(nvidia-smi -L | wc -l)
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DDEEPER_WITH_NCCL=ON -DDEEPER_NCCL_TEST_RANKS="$gpus"
cmake --build build-gpu --target collectives_nccl_test collectives_test bench_allreduce
mpirun -np "$gpus" --oversubscribe build-gpu/tests/collectives/collectives_nccl_test
mpirun -np 2 --oversubscribe build-gpu/tests/collectives/collectives_test --gtest_brief=1
for dtype in bfloat16 float; do
  mpirun -np "$gpus" build-gpu/bin/bench_allreduce --device=cuda --dtype="$dtype" --runs=9 \
    --layers=16 --bucket_mb=1,25,100
done

#!/usr/bin/env bash
# The test suite on the GPU machine (CUDA libtorch 2.x, GCC 13): builds every target, then runs the
# unit tests (ctest label `unit`; the end-to-end runs are CPU-sized and stay on CI). Run from the
# repository root with `.device` carried (the device recipe, see tools/gpu/device_env.sh):
#   bash tools/gpu/test_gpu.sh
# BUILD (build-gpu), JOBS (16) and TEST_TIMEOUT (300 s per test) override the defaults; logs and the
# summary go to $OUT (the device tool's output folder) or /tmp.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-gpu}
JOBS=${JOBS:-16}
out=${OUT:-/tmp}
mkdir -p "$out"
build_log="$out/test_gpu_build.log"
test_log="$out/test_gpu_ctest.log"
: > "$build_log"
source tools/gpu/device_env.sh "$build_log"

start=$SECONDS
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "${DEEPER_CMAKE_PREFIX[@]}" >> "$build_log" 2>&1 ||
  { tail -n 40 "$build_log"; echo "configure failed"; exit 1; }
cmake --build "$BUILD" -j "$JOBS" -- -k 0 >> "$build_log" 2>&1
built=$?
echo "build: exit $built after $((SECONDS - start)) s; $(grep -c 'error:' "$build_log") compiler errors"
[[ $built == 0 ]] || grep -B2 -A8 "error:" "$build_log" | head -n 80

start=$SECONDS
ctest --test-dir "$BUILD" -L unit -j "$JOBS" --timeout "${TEST_TIMEOUT:-300}" --output-on-failure > "$test_log" 2>&1
tested=$?
echo "unit tests: exit $tested after $((SECONDS - start)) s"
grep -E "tests passed|tests failed|^\s+[0-9]+ - " "$test_log" | head -n 40
exit $(( built != 0 || tested != 0 ))

#!/usr/bin/env bash
# The whole test suite: installs what is missing and builds (setup.sh), then runs every test with
# ctest: unit tests, MPI tests under mpirun, end-to-end pipeline runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash setup.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure --timeout 1200 -j "${TEST_JOBS:-2}" "$@"

#!/usr/bin/env bash
# Installs deeper's dependencies from Debian 12 packages and builds it into build/.
# Idempotent: when everything is installed and built it returns in seconds.
#
#   bash setup.sh            install what is missing, then build
#   bash setup.sh --no-build install only
#   BUILD_DIR=dir JOBS=n     build elsewhere / with n parallel jobs (default: number of cores)
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libopenblas0-openmp          # libtorch; OpenBLAS with OpenMP (the reference BLAS is 80x slower)
  libopenmpi-dev openmpi-bin                # MPI ranks
  libhdf5-dev                               # shards
  libyaml-cpp-dev nlohmann-json3-dev        # config, manifests, JSON formats
  libgoogle-glog-dev libgflags-dev          # logging, flags
  libgtest-dev                              # tests
  libutf8proc-dev                           # Unicode categories and NFC for the tokenizer
  libssl-dev                                # SHA-256 of outputs
  python3-torch python3-pandas              # reference implementations for the side-by-side benchmarks
  slurm-wlm                                 # the single-node Slurm test (slurmctld + slurmd)
  chromium                                  # renders report.html in a test (headless screenshot)
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[[ "${1:-}" == "--no-build" ]] && exit 0

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$BUILD_DIR" -j "$JOBS"

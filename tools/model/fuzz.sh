#!/usr/bin/env bash
# Builds the safetensors fuzzer with clang + libFuzzer + ASan/UBSan in its own build dir and runs it for
# a bounded time from the seed corpus in tools/model/fuzz_seeds.
# Usage: tools/model/fuzz.sh [SECONDS=60] [BUILD_DIR=build-fuzz]
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${2:-$root/build-fuzz}"
cxx="${CXX_FUZZ:-clang++-14}"
cc="${CC_FUZZ:-clang-14}"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDEEPER_FUZZ=ON -DDEEPER_BUILD_TESTS=OFF \
      -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" >/dev/null
cmake --build "$build" --target fuzz_safetensors -j2

# libFuzzer adds what it finds to the first corpus dir: keep the checked-in seeds untouched.
corpus="$build/fuzz_corpus"
mkdir -p "$corpus" "$build/fuzz_artifacts"
cp -n "$root"/tools/model/fuzz_seeds/* "$corpus"/
# Wherever the project puts executables (bin/ or the folder's build dir).
fuzzer="$(find "$build" -type f -name fuzz_safetensors -perm -u+x | head -n 1)"
"$fuzzer" "$corpus" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -dict="$root/tools/model/fuzz_safetensors.dict" \
  -rss_limit_mb=2048 -artifact_prefix="$build/fuzz_artifacts/" -print_final_stats=1
echo "fuzz_safetensors: no crash in ${seconds}s"

#!/usr/bin/env bash
# Context-building throughput, C++ (bench_contexts) against pandas (bench_contexts_pandas.py), in
# one run: the release's split CSVs, then a generated ratings log. Each side reports the median of
# REPEAT runs; the two outputs (round 1) must be identical, byte for byte.
#
#   tools/context_building/bench.sh [RELEASE_DIR]
#
# RELEASE_DIR (the release's domain folders) defaults to the copies in tests/data/context_building/deeper. Environment: ROWS (ratings log rows, default 20000000),
# REPEAT (3), BUILD (build directory, default build), PYTHON (an interpreter with pandas).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
release=${1:-$repo/tests/data/context_building/deeper}
rows=${ROWS:-20000000}
repeat=${REPEAT:-3}
build=${BUILD:-build}

bench=""
for candidate in "$repo/$build/bin/bench_contexts" "$repo/$build/tools/context_building/bench_contexts"; do
  [ -x "$candidate" ] && bench=$candidate && break
done
[ -n "$bench" ] || { echo "bench_contexts not built in $build (cmake --build $build --target bench_contexts)" >&2; exit 1; }

python=""
for candidate in "${PYTHON:-}" python3 /usr/bin/python3; do
  [ -n "$candidate" ] && "$candidate" -c "import pandas" 2>/dev/null && python=$candidate && break
done
[ -n "$python" ] || { echo "no python3 with pandas found (set PYTHON)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "rows=N median_s=S cpu_median_s=C ..." -> the value of KEY.
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<< "$2"; }

results=()
# compare NAME CPP_OUTPUT PANDAS_OUTPUT: appends a table row.
compare() {
  local name=$1 cpp=$2 pandas=$3
  local n; n=$(field rows "$cpp")
  [ "$n" = "$(field rows "$pandas")" ] || { echo "$name: row counts differ" >&2; exit 1; }
  results+=("$(awk -v name="$name" -v n="$n" -v cw="$(field median_s "$cpp")" -v pw="$(field median_s "$pandas")" \
                   -v cc="$(field cpu_median_s "$cpp")" -v pc="$(field cpu_median_s "$pandas")" 'BEGIN {
    printf "%-28s %10d %12.0f %12.0f %8.1fx %12.0f %12.0f %8.1fx", name, n, n / cw, n / pw, pw / cw, n / cc, n / pc, pc / cc }')")
}

mapfile -t csvs < <(find "$release" -name '*.csv' | sort)
[ "${#csvs[@]}" -gt 0 ] || { echo "no CSV under $release" >&2; exit 1; }
echo "release CSVs: ${#csvs[@]} files under $release"
cpp=$("$bench" csv --repeat "$repeat" --round 1 --out "$tmp/release_cpp.jsonl" "${csvs[@]}")
echo "  C++:    $cpp"
pandas=$("$python" "$here/bench_contexts_pandas.py" --csv "${csvs[@]}" --repeat "$repeat" --round 1 --out "$tmp/release_pandas.jsonl")
echo "  pandas: $pandas"
cmp "$tmp/release_cpp.jsonl" "$tmp/release_pandas.jsonl"
compare "release CSVs (users)" "$cpp" "$pandas"

echo "ratings log: generating $rows rows in $tmp"
"$bench" generate --rows "$rows" --out "$tmp/log"
ls -l "$tmp/log"
cpp=$("$bench" ratings --ratings "$tmp/log/ratings.csv" --items "$tmp/log/items.csv" --repeat "$repeat" --round 1 \
      --out "$tmp/log_cpp.jsonl")
echo "  C++:    $cpp"
pandas=$("$python" "$here/bench_contexts_pandas.py" --ratings "$tmp/log/ratings.csv" --items "$tmp/log/items.csv" \
         --repeat "$repeat" --round 1 --out "$tmp/log_pandas.jsonl")
echo "  pandas: $pandas"
cmp "$tmp/log_cpp.jsonl" "$tmp/log_pandas.jsonl"
compare "ratings log (ratings)" "$cpp" "$pandas"

echo
echo "outputs identical (round 1, byte for byte); median of $repeat runs; rows/s"
printf "%-28s %10s %12s %12s %9s %12s %12s %9s\n" input rows "C++ wall" "pandas wall" ratio "C++ CPU" "pandas CPU" ratio
printf "%s\n" "${results[@]}"

# Helpers for the end-to-end tests. Each test runs from the repository root with BIN pointing at
# the build's bin/ directory.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }

# Every .h5 file under run dir $1 equals the one under $2, and both have the same set of them.
same_shards() {
  local a=$1 b=$2
  local list_a list_b
  list_a=$(cd "$a" && find . -name '*.h5' | sort)
  list_b=$(cd "$b" && find . -name '*.h5' | sort)
  [[ -n "$list_a" ]] || fail "no shards in $a"
  [[ "$list_a" == "$list_b" ]] || fail "different shard files in $a and $b"
  while read -r f; do
    cmp -s "$a/$f" "$b/$f" || fail "$f differs between $a and $b"
  done <<< "$list_a"
  echo "identical: $(wc -l <<< "$list_a") shard files"
}

# Waits until at least $2 files match glob $1 (up to 60 s).
wait_for_files() {
  local pattern=$1 count=$2
  for _ in $(seq 600); do
    local n
    n=$(compgen -G "$pattern" | wc -l || true)
    (( n >= count )) && return 0
    sleep 0.1
  done
  fail "timed out waiting for $count files matching $pattern"
}

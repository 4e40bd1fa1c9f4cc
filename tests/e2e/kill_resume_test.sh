#!/usr/bin/env bash
# A stage killed with SIGKILL in the middle and rerun gives byte-identical shards to an uninterrupted
# run, and leaves no manifest (the stage is not considered done) while interrupted.
# Usage: kill_resume_test.sh BIN_DIR CONFIG STAGE
source "$(dirname "$0")/lib.sh"
BIN=$1 CONFIG=$2 STAGE=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$BIN/deeper" run --config "$CONFIG" --run-dir "$work/straight" > "$work/straight.log" 2>&1 \
  || { cat "$work/straight.log"; fail "uninterrupted run failed"; }

DEEPER_TEST_SHARD_DELAY_MS=400 "$BIN/deeper" run --config "$CONFIG" --run-dir "$work/killed" \
  > "$work/killed.log" 2>&1 &
pid=$!
wait_for_files "$work/killed/$STAGE/shard-*.h5" 2
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[[ ! -e "$work/killed/$STAGE/manifest.json" ]] || fail "a manifest exists after the kill"
echo "killed with $(compgen -G "$work/killed/$STAGE/shard-*.h5" | wc -l) shards on disk"

"$BIN/deeper" run --config "$CONFIG" --run-dir "$work/killed" > "$work/resumed.log" 2>&1 \
  || { cat "$work/resumed.log"; fail "resumed run failed"; }
grep -q "$STAGE: resume" "$work/resumed.log" || { cat "$work/resumed.log"; fail "the rerun did not resume"; }
same_shards "$work/straight" "$work/killed"

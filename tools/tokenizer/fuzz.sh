#!/usr/bin/env bash
# Builds fuzz_tokenizer_json (clang-14, libFuzzer + AddressSanitizer) in its own build directory and
# runs it for a bounded time from a seed corpus made of the fixture tokenizers.
#   tools/tokenizer/fuzz.sh [SECONDS]        (default 60)
# Environment: FUZZ_BUILD_DIR (default build-fuzz-tokenizer under the repository), FUZZ_JOBS (default 2).
# Exit status 0 means no crash within the time; a crash leaves its input under
# $FUZZ_BUILD_DIR/fuzz_artifacts/ (re-run the binary with that file to reproduce).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${FUZZ_BUILD_DIR:-$ROOT/build-fuzz-tokenizer}"
SECONDS_TO_RUN="${1:-60}"
DATA="$ROOT/tests/data/tokenizer"

mkdir -p "$BUILD"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DDEEPER_FUZZ=ON -DDEEPER_BUILD_TESTS=OFF >"$BUILD/configure.log" 2>&1 ||
  { cat "$BUILD/configure.log"; exit 1; }
cmake --build "$BUILD" --target fuzz_tokenizer_json -j "${FUZZ_JOBS:-2}"
FUZZER="$(find "$BUILD" -name fuzz_tokenizer_json -type f -perm -u+x | head -n 1)"

# Seeds: the two fixture tokenizer.json files whole (libFuzzer keeps their first -max_len bytes),
# small but complete tokenizers cut from them (a few hundred vocab entries and the merges among
# them), and the golden texts.
CORPUS="$BUILD/fuzz_corpus"
mkdir -p "$CORPUS" "$BUILD/fuzz_artifacts"
for name in llama3 qwen3; do
  cp "$DATA/$name/tokenizer.json" "$CORPUS/seed_${name}_tokenizer.json"
done
if command -v python3 >/dev/null; then
  python3 - "$DATA" "$CORPUS" <<'PY'
import json, sys, os
data, corpus = sys.argv[1], sys.argv[2]
for name in ("llama3", "qwen3"):
    tok = json.load(open(os.path.join(data, name, "tokenizer.json"), encoding="utf-8"))
    vocab = tok["model"]["vocab"]
    keep = {t for t, i in vocab.items() if len(t) == 1}
    merges = []
    for m in tok["model"]["merges"]:
        a, b = m.split(" ") if isinstance(m, str) else m
        if a in keep and b in keep and a + b in vocab:
            merges.append(m)
            keep.add(a + b)
        if len(merges) >= 400:
            break
    ids = {t: n for n, t in enumerate(sorted(keep, key=lambda t: vocab[t]))}
    tok["model"]["vocab"] = ids
    tok["model"]["merges"] = merges
    added = tok["added_tokens"][:8]
    for n, a in enumerate(added):
        a["id"] = len(ids) + n
    tok["added_tokens"] = added
    with open(os.path.join(corpus, f"seed_{name}_mini.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
golden = json.load(open(os.path.join(data, "tokenizer_golden.json"), encoding="utf-8"))
for n, case in enumerate(golden["tokenizers"]["llama3"]["cases"][::10]):
    with open(os.path.join(corpus, f"seed_text_{n:03d}.txt"), "w", encoding="utf-8") as f:
        f.write(case["text"])
PY
fi

export DEEPER_FUZZ_TOKENIZERS="$DATA/llama3,$DATA/qwen3"
echo "fuzzing for ${SECONDS_TO_RUN}s: $FUZZER $CORPUS"
"$FUZZER" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -rss_limit_mb=4096 -timeout=30 \
  -print_final_stats=1 -artifact_prefix="$BUILD/fuzz_artifacts/" "$CORPUS"

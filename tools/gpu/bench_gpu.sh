#!/usr/bin/env bash
# The GPU benchmark (issue 7) as one script: build, one random-init Llama-3.2-1B-shaped bf16 checkpoint,
# and every comparison side by side in the same run, printed as one table (also written to
# $OUT/gpu_bench.md when $OUT is set, else to ./gpu_bench.md):
#   (a) direction sampling: 64 prompts x 512 tokens, 256 new tokens, top-p 0.9, temperature 1:
#       bench_generate vs HF transformers generate; and the decode roofline (weights + mean KV cache read
#       once per step at the HBM bandwidth);
#   (b) reward scoring: personas of 200 tokens x 30 items of 30 tokens: bench_rating (shared prefix)
#       vs an HF forward per (persona, item), the items of a persona batched;
#   (c) DPO step, 8 pairs x (512 + 256) tokens, full fine-tuning and LoRA r16: bench_dpo vs its PyTorch
#       twin (bench_dpo.py, sdpa attention), tokens/s, MFU (8 x params FLOPs per token) and peak memory;
#   (d) tokenizer: bench_tokenizer vs HF tokenizers on the same text (Llama-3 tokenizer).
# On the GPU machine, after the device README's recipe (`.device` carried):
#   bash tools/gpu/bench_gpu.sh
# Environment: BUILD (build-gpu), SKIP_BUILD=1, HBM_TBS (3.35, H100 SXM), PEAK_TFLOPS (989, H100 dense
# bf16), SHAPE (make-model --set of the model), RUNS (3), DEVICE (cuda), PYTHON (python3), SKIP_HF=1 (our
# side only: for a dry run on a machine without transformers).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-gpu}
DEVICE=${DEVICE:-cuda}
RUNS=${RUNS:-3}
HBM_TBS=${HBM_TBS:-3.35}
PEAK_TFLOPS=${PEAK_TFLOPS:-989}
PYTHON=${PYTHON:-python3}
SHAPE=${SHAPE:-vocab_size=128256,hidden_size=2048,intermediate_size=8192,num_hidden_layers=16,num_attention_heads=32,num_key_value_heads=8,head_dim=64,tie_word_embeddings=true}
GEN_BATCH=${GEN_BATCH:-64} GEN_PROMPT=${GEN_PROMPT:-512} GEN_NEW=${GEN_NEW:-256}
PERSONAS=${PERSONAS:-64} PERSONA_LEN=${PERSONA_LEN:-200} ITEMS=${ITEMS:-30} ITEM_LEN=${ITEM_LEN:-30}
PAIRS=${PAIRS:-8} PROMPT_LEN=${PROMPT_LEN:-512} COMPLETION_LEN=${COMPLETION_LEN:-256}
report=${OUT:-.}/gpu_bench.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log() { echo "[$(date +%T)] $*" >&2; }

if [[ -z "${SKIP_BUILD:-}" ]]; then
  [[ -f .device/setup.sh ]] && source .device/setup.sh .device/debs
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDEEPER_WITH_NCCL=ON > "$work/cmake.log"
  log "building"
  cmake --build "$BUILD" --target deeper-tool bench_generate bench_rating bench_dpo bench_tokenizer > "$work/build.log" \
    || { tail -n 40 "$work/build.log"; exit 1; }
fi
bin="$BUILD/bin"
value() { grep -o "$1=[^ ]*" | head -1 | cut -d= -f2; }
field() { "$PYTHON" -c "import json,sys; print(json.loads(sys.stdin.readline())['$1'])"; }
calc() { "$PYTHON" -c "print($1)"; }
# Peak GPU memory of a command, by polling nvidia-smi (the same measure for both sides, context included).
peak_gib() {
  if ! command -v nvidia-smi > /dev/null; then "$@"; echo "peak_gib=0" >&2; return; fi
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$work/mem.log" &
  local poller=$!
  "$@"
  kill "$poller"; wait "$poller" 2> /dev/null || true
  echo "peak_gib=$(sort -n "$work/mem.log" | tail -1 | awk '{printf "%.1f", $1 / 1024}')" >&2
}

model="$work/llama-1b"
"$bin/deeper-tool" make-model --like llama --seed 1 --dtype bf16 --set "$SHAPE" --out "$model" > /dev/null
params=$("$PYTHON" - "$model" <<'PY'
import json, struct, sys, glob
n = 0
for f in glob.glob(sys.argv[1] + "/*.safetensors"):
    with open(f, "rb") as h:
        header = json.loads(h.read(struct.unpack("<Q", h.read(8))[0]))
    for k, v in header.items():
        if k != "__metadata__":
            m = 1
            for d in v["shape"]:
                m *= d
            n += m
print(n)
PY
)
log "model: $SHAPE, $params parameters"
rows=()
row() { rows+=("$(printf '| %s | %s | %s | %s | %s |' "$@")"); }

# (a) generation.
"$PYTHON" tools/generation/reference_generate.py make-prompts --out "$work/ids.safetensors" --batch "$GEN_BATCH" \
  --length "$GEN_PROMPT" --vocab "$(grep -o 'vocab_size=[0-9]*' <<< "$SHAPE" | cut -d= -f2)" --seed 7
ours=$("$bin/bench_generate" --model "$model" --ids "$work/ids.safetensors" --device "$DEVICE" --max_new "$GEN_NEW" \
  --temperature 1.0 --top_p 0.9 --seed 3 --runs "$RUNS" | value tokens_per_s)
eval "$(grep -o 'num_hidden_layers=[0-9]*\|num_key_value_heads=[0-9]*\|head_dim=[0-9]*' <<< "$SHAPE" | tr '\n' ' ')"
kv_bytes_mean=$(calc "2 * $num_hidden_layers * $num_key_value_heads * $head_dim * 2 * $GEN_BATCH * ($GEN_PROMPT + $GEN_NEW / 2)")
roofline=$(calc "round($GEN_BATCH / ((2 * $params + $kv_bytes_mean) / ($HBM_TBS * 1e12)))")
theirs=n/a
[[ -z "${SKIP_HF:-}" ]] && theirs=$("$PYTHON" tools/generation/hf_reference.py generate --model "$model" --device "$DEVICE" \
  --batch "$GEN_BATCH" --prompt "$GEN_PROMPT" --new "$GEN_NEW" --runs "$RUNS" | value tokens_per_s)
ratio=n/a; [[ $theirs != n/a ]] && ratio=$(calc "f'{$ours / $theirs:.1f}x'")
row "(a) sampling tok/s, $GEN_BATCH x $GEN_PROMPT + $GEN_NEW, top-p 0.9" "$ours" "$theirs (HF generate)" "$ratio" \
  "$(calc "f'{100 * $ours / $roofline:.0f}% of a {$roofline} tok/s roofline'")"
log "(a) $ours vs $theirs tok/s"

# (b) scoring.
ours=$("$bin/bench_rating" --model "$model" --device "$DEVICE" --prefix_len "$PERSONA_LEN" --items "$ITEMS" \
  --suffix_min "$ITEM_LEN" --suffix_max "$ITEM_LEN" --batch "$ITEMS" --runs "$RUNS" | value ratings_per_s)
theirs=n/a
[[ -z "${SKIP_HF:-}" ]] && theirs=$("$PYTHON" tools/generation/hf_reference.py score --model "$model" --device "$DEVICE" \
  --personas "$PERSONAS" --persona_len "$PERSONA_LEN" --items "$ITEMS" --item_len "$ITEM_LEN" --runs "$RUNS" | value ratings_per_s)
ratio=n/a; [[ $theirs != n/a ]] && ratio=$(calc "f'{$ours / $theirs:.1f}x'")
row "(b) ratings/s, personas of $PERSONA_LEN x $ITEMS items of $ITEM_LEN" "$ours" "$theirs (HF forward per item)" "$ratio" "shared prefix"
log "(b) $ours vs $theirs ratings/s"

# (c) DPO steps.
dpo_args=(--pairs "$PAIRS" --prompt_len "$PROMPT_LEN" --completion_len "$COMPLETION_LEN" --steps 5 --warmup 2
          --device "$DEVICE" --dtype bf16 --peak_tflops "$PEAK_TFLOPS")
for mode in full lora; do
  ours_line=$(peak_gib "$bin/bench_dpo" --model "$model" --mode "$mode" "${dpo_args[@]}" 2> "$work/peak.txt")
  ours_peak=$(value peak_gib < "$work/peak.txt")
  theirs_line='{"tokens_per_s": 0, "mfu": 0, "peak_gb": 0}'
  [[ -z "${SKIP_HF:-}" ]] && theirs_line=$("$PYTHON" tools/train/bench_dpo.py --model "$model" --mode "$mode" \
    --attention sdpa "${dpo_args[@]}")
  ours=$(field tokens_per_s <<< "$ours_line"); theirs=$(field tokens_per_s <<< "$theirs_line")
  ratio=n/a; [[ $theirs != 0 ]] && ratio=$(calc "f'{$ours / $theirs:.2f}x'")
  row "(c) DPO step tok/s, $mode, $PAIRS pairs x ($PROMPT_LEN + $COMPLETION_LEN)" "$ours" "$theirs (PyTorch eager, sdpa)" "$ratio" \
    "MFU $(field mfu <<< "$ours_line") vs $(field mfu <<< "$theirs_line"); peak $ours_peak GiB (nvidia-smi) vs $(field peak_gb <<< "$theirs_line") GiB (torch)"
  log "(c) $mode $ours vs $theirs tok/s"
done

# (d) tokenizer.
text="$work/corpus.txt"
cat data/sample/*.csv > "$text"
ours=$("$bin/bench_tokenizer" --tokenizers tests/data/tokenizer/llama3 --text "$text" --runs "$RUNS" |
  grep "encode/line" | awk '{print $2}')
theirs=n/a
[[ -z "${SKIP_HF:-}" ]] && theirs=$("$PYTHON" tools/tokenizer/bench_hf_tokenizers.py --tokenizers tests/data/tokenizer/llama3 \
  --text "$text" --runs "$RUNS" | grep "encode/line" | awk '{print $2}')
ratio=n/a; [[ $theirs != n/a ]] && ratio=$(calc "f'{$ours / $theirs:.2f}x'")
row "(d) tokenizer MB/s, one encode per line, 1 thread" "$ours" "$theirs (HF tokenizers)" "$ratio" "Llama-3 tokenizer, data/sample"

{
  echo "# GPU benchmark, $(date -u +%Y-%m-%d)"
  echo
  echo "Device: $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2> /dev/null || echo "$DEVICE")."
  echo "Model: random-init, $params parameters, bf16 ($SHAPE). Median of $RUNS runs per figure."
  echo "Commit: $(git rev-parse --short HEAD 2> /dev/null || echo unknown). Command: bash tools/gpu/bench_gpu.sh"
  echo
  echo "| measurement | deeper | reference | ratio | notes |"
  echo "|---|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$report"

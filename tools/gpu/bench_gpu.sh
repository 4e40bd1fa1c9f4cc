#!/usr/bin/env bash
# The GPU benchmark (issue 7) as one script: build, one random-init Llama-3.2-1B-shaped bf16 checkpoint,
# and every comparison side by side in the same run, printed as one table (written to $OUT/gpu_bench.md
# when $OUT is set, else to ./gpu_bench.md, after every row, with the full log beside it):
#   (a) direction sampling: 64 prompts x 512 tokens, 256 new tokens, top-p 0.9, temperature 1:
#       bench_generate vs HF transformers generate; the decode roofline (weights + mean KV cache read
#       once per step at the HBM bandwidth) and where the host's time goes per decode step;
#   (b) reward scoring: personas of 200 tokens x 30 items of 30 tokens: bench_rating (shared prefix)
#       vs an HF forward per (persona, item), the items of a persona batched;
#   (c) DPO step, 8 pairs x (512 + 256) tokens, full fine-tuning and LoRA r16: bench_dpo vs its PyTorch
#       twin (bench_dpo.py, sdpa attention), tokens/s, MFU (8 x params FLOPs per token) and the
#       allocator's peak memory; then LoRA with activation checkpointing, and both LoRA peaks against
#       docs/memory.md's formula (tools/train/memory_budget.py);
#   (d) tokenizer: bench_tokenizer vs HF tokenizers on the same text (Llama-3 tokenizer);
#   (e) the NCCL communicator's tests with one rank (collectives_nccl_test under mpirun).
# A step that fails or runs out of time becomes a "failed" row and the script goes on.
# On the GPU machine, after the device README's recipe (`.device` carried):
#   bash tools/gpu/bench_gpu.sh
# Environment: BUILD (build-gpu), SKIP_BUILD=1, NCCL (ON), HBM_TBS (3.35, H100 SXM), PEAK_TFLOPS (989,
# H100 dense bf16), SHAPE (make-model --set of the model), RUNS (3), HF_GEN_RUNS (1: HF generate is the
# slowest step), DEVICE (cuda), PYTHON (python3), SKIP_HF=1 (our side only, for a dry run on a machine
# without transformers), STEP_TIMEOUT (180 s per measured command), SECTIONS (abcde: which of (a)-(e) to run).
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-gpu}
DEVICE=${DEVICE:-cuda}
RUNS=${RUNS:-3}
HF_GEN_RUNS=${HF_GEN_RUNS:-1}
HBM_TBS=${HBM_TBS:-3.35}
PEAK_TFLOPS=${PEAK_TFLOPS:-989}
PYTHON=${PYTHON:-python3}
NCCL=${NCCL:-ON}
STEP_TIMEOUT=${STEP_TIMEOUT:-180}
SECTIONS=${SECTIONS:-abcde}
SHAPE=${SHAPE:-vocab_size=128256,hidden_size=2048,intermediate_size=8192,num_hidden_layers=16,num_attention_heads=32,num_key_value_heads=8,head_dim=64,tie_word_embeddings=true}
GEN_BATCH=${GEN_BATCH:-64} GEN_PROMPT=${GEN_PROMPT:-512} GEN_NEW=${GEN_NEW:-256}
PERSONAS=${PERSONAS:-64} PERSONA_LEN=${PERSONA_LEN:-200} ITEMS=${ITEMS:-30} ITEM_LEN=${ITEM_LEN:-30} SCORE_PREFIXES=${SCORE_PREFIXES:-16}
PAIRS=${PAIRS:-8} PROMPT_LEN=${PROMPT_LEN:-512} COMPLETION_LEN=${COMPLETION_LEN:-256}
out_dir=${OUT:-.}
report=$out_dir/gpu_bench.md
logfile=$out_dir/gpu_bench.log
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: > "$logfile"
log() { echo "[$(date +%T)] $*" | tee -a "$logfile" >&2; }

# Runs a measured command with a deadline; its stdout is the result, its stderr goes to the log.
measure() {
  log "run: $*"
  timeout "$STEP_TIMEOUT" "$@" 2>> "$logfile" | tee -a "$logfile"
  local rc=${PIPESTATUS[0]}
  [[ $rc == 0 ]] || log "exit $rc: $*"
  return "$rc"
}
value() { grep -o "$1=[^ ]*" | head -1 | cut -d= -f2; }
field() { "$PYTHON" -c "import json,sys; print(json.loads(sys.stdin.readline())['$1'])" 2> /dev/null || echo n/a; }
calc() { "$PYTHON" -c "print($1)" 2> /dev/null || echo n/a; }
ratio() { [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]] && calc "f'{$1 / $2:.${3:-1}f}x'" || echo n/a; }

rows=()
header() {
  echo "# GPU benchmark, $(date -u +%Y-%m-%d)"
  echo
  echo "Device: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2> /dev/null || echo "$DEVICE")."
  echo "Software: $("$PYTHON" -c 'import torch, transformers, tokenizers; print(f"torch {torch.__version__} (libtorch of the build), transformers {transformers.__version__}, tokenizers {tokenizers.__version__}")' 2> /dev/null || echo "python references unavailable")."
  echo "Model: random-init, ${params:-?} parameters, bf16 ($SHAPE). Median of $RUNS runs per figure of ours."
  echo "Commit: $(git rev-parse --short HEAD 2> /dev/null || echo unknown). Command: bash tools/gpu/bench_gpu.sh"
  echo
  echo "| measurement | deeper | reference | ratio | notes |"
  echo "|---|---:|---:|---:|---|"
}
row() {
  rows+=("$(printf '| %s | %s | %s | %s | %s |' "$@")")
  { header; printf '%s\n' "${rows[@]}"; } > "$report"
}

if [[ -z "${SKIP_BUILD:-}" ]]; then
  source tools/gpu/device_env.sh "$logfile"
  targets=(deeper-tool bench_generate bench_rating bench_dpo bench_tokenizer)
  build() {
    log "configure (DEEPER_WITH_NCCL=$1)"
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDEEPER_WITH_NCCL="$1" "${DEEPER_CMAKE_PREFIX[@]}" \
      >> "$logfile" 2>&1 || return 1
    log "build ${targets[*]} $2"
    cmake --build "$BUILD" --target "${targets[@]}" $2 -- -k 0 >> "$logfile" 2>&1
  }
  if ! build "$NCCL" "$([[ $NCCL == ON ]] && echo collectives_nccl_test)"; then
    grep -B2 -A6 "error" "$logfile" | tail -n 60 >&2
    [[ $NCCL == ON ]] && grep -q "FAILED.*nccl" "$logfile" || exit 1
    log "build with NCCL failed: building without it"
    NCCL=OFF
    build OFF "" || { grep -A6 "error" "$logfile" | tail -n 60 >&2; exit 1; }
  fi
  log "built"
fi
bin="$BUILD/bin"

model="$work/llama-1b"
measure "$bin/deeper-tool" make-model --like llama --seed 1 --dtype bf16 --threads 8 --set "$SHAPE" --out "$model" > /dev/null ||
  { log "make-model failed"; exit 1; }
params=$("$PYTHON" tools/train/memory_budget.py --model "$model" --tokens 0 --completion 0 | value params)
log "model: $SHAPE, $params parameters"
shape_value() { grep -o "$1=[0-9]*" <<< "$SHAPE" | cut -d= -f2; }

section() { [[ $SECTIONS == *$1* ]]; }

# (a) generation.
if section a; then
# Random prompt ids as safetensors (input_ids I64 [batch, length]); plain Python, no torch needed.
"$PYTHON" - "$work/ids.safetensors" "$GEN_BATCH" "$GEN_PROMPT" "$(shape_value vocab_size)" <<'PY'
import array, json, random, struct, sys
path, batch, length, vocab = sys.argv[1], *map(int, sys.argv[2:])
rng = random.Random(7)
ids = array.array("q", (rng.randrange(3, vocab) for _ in range(batch * length)))
header = json.dumps({"input_ids": {"dtype": "I64", "shape": [batch, length],
                                   "data_offsets": [0, len(ids) * 8]}}).encode()
header += b" " * (-len(header) % 8)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + ids.tobytes())
PY
gen_args=(--model "$model" --ids "$work/ids.safetensors" --device "$DEVICE" --max_new "$GEN_NEW" --temperature 1.0
          --top_p 0.9 --seed 3 --runs "$RUNS")
ours_out=$(measure "$bin/bench_generate" "${gen_args[@]}" --out "$work/graphs.safetensors")
ours=$(value tokens_per_s <<< "$ours_out"); ours=${ours:-failed}
# The same without CUDA graphs: what the graphs buy, and whether the tokens stay the same.
eager_out=$(measure "$bin/bench_generate" "${gen_args[@]}" --cuda_graphs=false --out "$work/eager.safetensors")
same_rows=$("$PYTHON" - "$work/graphs.safetensors" "$work/eager.safetensors" <<'PY' 2> /dev/null || echo n/a
import json, struct, sys
def rows(path):
    blob = open(path, "rb").read()
    n = struct.unpack("<Q", blob[:8])[0]
    info = json.loads(blob[8:8 + n])["output_ids"]
    data = blob[8 + n:][info["data_offsets"][0]:info["data_offsets"][1]]
    width = info["shape"][1] * 8
    return [data[i:i + width] for i in range(0, len(data), width)]
a, b = rows(sys.argv[1]), rows(sys.argv[2])
print(f"{sum(x == y for x, y in zip(a, b))}/{len(a)}")
PY
)
kv_bytes_mean=$(calc "2 * $(shape_value num_hidden_layers) * $(shape_value num_key_value_heads) * $(shape_value head_dim) * 2 * $GEN_BATCH * ($GEN_PROMPT + $GEN_NEW / 2)")
roofline=$(calc "round($GEN_BATCH / ((2 * $params + $kv_bytes_mean) / ($HBM_TBS * 1e12)))")
theirs=n/a
[[ -z "${SKIP_HF:-}" ]] && theirs=$(measure "$PYTHON" tools/generation/hf_reference.py generate --model "$model" \
  --device "$DEVICE" --batch "$GEN_BATCH" --prompt "$GEN_PROMPT" --new "$GEN_NEW" --runs "$HF_GEN_RUNS" | value tokens_per_s)
row "(a) sampling tok/s, $GEN_BATCH x $GEN_PROMPT + $GEN_NEW, top-p 0.9" "$ours" "${theirs:-failed} (HF generate)" \
  "$(ratio "$ours" "${theirs:-}")" \
  "$(calc "f'{100 * $ours / $roofline:.0f}% of a {$roofline} tok/s roofline'"); per decode step: host enqueue $(value enqueue_ms_per_step <<< "$ours_out") ms, waiting on the GPU $(value sync_wait_ms_per_step <<< "$ours_out") ms; prefill $(value prefill_ms <<< "$ours_out") ms; graphs captured $(value graph_captures <<< "$ours_out")"
row "(a) the same without CUDA graphs" "$(value tokens_per_s <<< "$eager_out")" "-" \
  "$(ratio "$ours" "$(value tokens_per_s <<< "$eager_out")" 2) (graphs)" \
  "per decode step: host enqueue $(value enqueue_ms_per_step <<< "$eager_out") ms, waiting on the GPU $(value sync_wait_ms_per_step <<< "$eager_out") ms; rows with identical tokens: $same_rows"
fi

# (b) scoring.
if section b; then
ours_out=$(measure "$bin/bench_rating" --model "$model" --device "$DEVICE" --personas "$PERSONAS" \
  --prefix_len "$PERSONA_LEN" --items "$ITEMS" --suffix_min "$ITEM_LEN" --suffix_max "$ITEM_LEN" \
  --max_prefixes "$SCORE_PREFIXES" --batch "$((SCORE_PREFIXES * ITEMS))" --runs "$RUNS")
ours=$(value ratings_per_s <<< "$ours_out")
theirs=n/a
[[ -z "${SKIP_HF:-}" ]] && theirs=$(measure "$PYTHON" tools/generation/hf_reference.py score --model "$model" \
  --device "$DEVICE" --personas "$PERSONAS" --persona_len "$PERSONA_LEN" --items "$ITEMS" --item_len "$ITEM_LEN" \
  --runs "$RUNS" | value ratings_per_s)
row "(b) ratings/s, personas of $PERSONA_LEN x $ITEMS items of $ITEM_LEN" "${ours:-failed}" \
  "${theirs:-failed} (HF forward per item)" "$(ratio "${ours:-}" "${theirs:-}")" \
  "shared prefix, $SCORE_PREFIXES personas per batch; one persona at a time: $(value speedup_vs_one_at_a_time <<< "$ours_out")x slower"
fi

# (c) DPO steps, then the memory check.
if section c; then
dpo_args=(--pairs "$PAIRS" --prompt_len "$PROMPT_LEN" --completion_len "$COMPLETION_LEN" --device "$DEVICE"
          --dtype bf16 --peak_tflops "$PEAK_TFLOPS")
declare -A peak
for mode in full lora; do
  ours=$(measure "$bin/bench_dpo" --model "$model" --mode "$mode" --steps 5 --warmup 2 "${dpo_args[@]}")
  theirs='{}'
  [[ -z "${SKIP_HF:-}" ]] && theirs=$(measure "$PYTHON" tools/train/bench_dpo.py --model "$model" --mode "$mode" \
    --attention sdpa --steps 5 --warmup 2 "${dpo_args[@]}")
  peak[$mode]=$(field peak_gb <<< "$ours")
  row "(c) DPO step tok/s, $mode, $PAIRS pairs x ($PROMPT_LEN + $COMPLETION_LEN)" "$(field tokens_per_s <<< "$ours")" \
    "$(field tokens_per_s <<< "$theirs") (PyTorch eager, sdpa)" \
    "$(ratio "$(field tokens_per_s <<< "$ours")" "$(field tokens_per_s <<< "$theirs")" 2)" \
    "MFU $(field mfu <<< "$ours") vs $(field mfu <<< "$theirs"); peak $(field peak_gb <<< "$ours") vs $(field peak_gb <<< "$theirs") GiB; ms forward/backward/update $(field forward_ms <<< "$ours")/$(field backward_ms <<< "$ours")/$(field update_ms <<< "$ours") vs $(field forward_ms <<< "$theirs")/$(field backward_ms <<< "$theirs")/$(field update_ms <<< "$theirs")"
done
ours=$(measure "$bin/bench_dpo" --model "$model" --mode lora --checkpointing 1 --steps 3 --warmup 1 "${dpo_args[@]}")
peak[lora_ckpt]=$(field peak_gb <<< "$ours")
row "(c) DPO step tok/s, lora + activation checkpointing" "$(field tokens_per_s <<< "$ours")" "-" "-" \
  "MFU $(field mfu <<< "$ours") (recomputation counted); peak ${peak[lora_ckpt]} GiB"
tokens=$((2 * PAIRS * (PROMPT_LEN + COMPLETION_LEN))) completion=$((2 * PAIRS * COMPLETION_LEN))
for ckpt in 0 1; do
  key=lora; [[ $ckpt == 1 ]] && key=lora_ckpt
  predicted=$("$PYTHON" tools/train/memory_budget.py --model "$model" --tokens "$tokens" --completion "$completion" \
    --checkpointing "$ckpt" | value total_gib)
  row "(c) peak GiB, lora, checkpointing $ckpt: measured vs docs/memory.md" "${peak[$key]}" "$predicted (formula)" \
    "$(ratio "${peak[$key]}" "$predicted" 2)" "T = $tokens tokens, C = $completion completion tokens, one micro-batch"
done
fi

# (d) tokenizer.
if section d; then
text="$work/corpus.txt"
cat data/sample/*.csv > "$text"
ours=$(measure "$bin/bench_tokenizer" --tokenizers tests/data/tokenizer/llama3 --text "$text" --runs "$RUNS" |
  grep "encode/line" | awk '{print $2}')
theirs=n/a
[[ -z "${SKIP_HF:-}" ]] && theirs=$(measure "$PYTHON" tools/tokenizer/bench_hf_tokenizers.py \
  --tokenizers tests/data/tokenizer/llama3 --text "$text" --runs "$RUNS" | grep "encode/line" | awk '{print $2}')
row "(d) tokenizer MB/s, one encode per line, 1 thread" "${ours:-failed}" "${theirs:-failed} (HF tokenizers)" \
  "$(ratio "${ours:-}" "${theirs:-}" 2)" "Llama-3 tokenizer, data/sample"
fi

# (e) NCCL with one rank.
if section e && [[ $NCCL == ON && -z "${SKIP_BUILD:-}" ]]; then
  nccl=$(measure mpirun --allow-run-as-root -np 1 "$BUILD/tests/collectives/collectives_nccl_test" | grep -E "PASSED|FAILED|SKIPPED" | tr '\n' ' ')
  row "(e) NCCL communicator, 1 rank" "${nccl:-failed}" "-" "-" "all-reduce, bucketed gradients, exact sums on CUDA tensors"
fi
cat "$report"

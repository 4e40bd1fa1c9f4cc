#!/usr/bin/env bash
# DPO step throughput: deeper (bench_dpo, C++/libtorch) against PyTorch eager (bench_dpo.py, Debian's
# python3-torch) on the same weights and batch; full fine-tuning, fp32, CPU by default.
# Two models made with `deeper-tool make-model`: a tiny llama and a ~40M-parameter llama.
# Each program runs 3 times per model; the table shows the median tokens/s of the 3 runs.
#
#   tools/train/bench.sh [BUILD_DIR]        (default build/; needs bin/deeper-tool and bin/bench_dpo)
# Environment: THREADS (default: number of cores), PAIRS (4), PROMPT_LEN (96), COMPLETION_LEN (32),
#              STEPS (5), WARMUP (2), PYTHON (/usr/bin/python3: the system interpreter that has python3-torch),
#              MODE (full or lora), DEVICE (cpu or cuda), DTYPE (f32 or bf16), ATTENTION (the reference's:
#              eager, or sdpa on torch 2.x), PEAK_TFLOPS (for MFU; 0 = not printed).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
THREADS=${THREADS:-$(nproc)}
PAIRS=${PAIRS:-4}
PROMPT_LEN=${PROMPT_LEN:-96}
COMPLETION_LEN=${COMPLETION_LEN:-32}
STEPS=${STEPS:-5}
WARMUP=${WARMUP:-2}
PYTHON=${PYTHON:-/usr/bin/python3}
MODE=${MODE:-full}
DEVICE=${DEVICE:-cpu}
DTYPE=${DTYPE:-f32}
ATTENTION=${ATTENTION:-eager}
PEAK_TFLOPS=${PEAK_TFLOPS:-0}
TOOL="$BUILD_DIR/bin/deeper-tool"
BENCH="$BUILD_DIR/bin/bench_dpo"
for program in "$TOOL" "$BENCH"; do
  [[ -x "$program" ]] || { echo "bench.sh: $program not built (cmake --build $BUILD_DIR --target deeper-tool bench_dpo)" >&2; exit 1; }
done
"$PYTHON" -c 'import torch' 2>/dev/null || { echo "bench.sh: $PYTHON has no torch (apt-get install python3-torch)" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$TOOL" make-model --like llama --seed 1 --out "$WORK/tiny" \
  --set vocab_size=512,hidden_size=64,intermediate_size=128,num_hidden_layers=2,num_attention_heads=4,num_key_value_heads=2 >/dev/null
"$TOOL" make-model --like llama --seed 1 --out "$WORK/40m" \
  --set vocab_size=16000,hidden_size=512,intermediate_size=1376,num_hidden_layers=8,num_attention_heads=8,num_key_value_heads=4 >/dev/null

ARGS=(--pairs "$PAIRS" --prompt_len "$PROMPT_LEN" --completion_len "$COMPLETION_LEN" --steps "$STEPS" --warmup "$WARMUP"
      --threads "$THREADS" --mode "$MODE" --device "$DEVICE" --dtype "$DTYPE" --peak_tflops "$PEAK_TFLOPS")
echo "DPO step, $MODE, $DEVICE $DTYPE, $PAIRS pairs x ($PROMPT_LEN + $COMPLETION_LEN) tokens, reference attention $ATTENTION"
# field NAME < json line
field() { "$PYTHON" -c "import json,sys; print(json.loads(sys.stdin.readline())['$1'])"; }
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

printf '%-6s %10s %8s %9s %14s %14s %7s %s\n' model params threads tok/step "deeper tok/s" "pytorch tok/s" ratio "step-0 logp (deeper / pytorch)"
for model in tiny 40m; do
  cpp=() py=()
  for run in 1 2 3; do
    cpp_line=$("$BENCH" --model "$WORK/$model" "${ARGS[@]}")
    py_line=$("$PYTHON" tools/train/bench_dpo.py --model "$WORK/$model" "${ARGS[@]}" --attention "$ATTENTION")
    cpp+=("$(field tokens_per_s <<<"$cpp_line")")
    py+=("$(field tokens_per_s <<<"$py_line")")
  done
  c=$(median3 "${cpp[@]}")
  p=$(median3 "${py[@]}")
  ratio=$("$PYTHON" -c "print(f'{$c / $p:.2f}x')")
  printf '%-6s %10s %8s %9s %14s %14s %7s %s / %s\n' "$model" "$(field params <<<"$cpp_line")" "$THREADS" \
    "$(field tokens_per_step <<<"$cpp_line")" "$c" "$p" "$ratio" \
    "$(field step0_policy_chosen_logp <<<"$cpp_line")" "$(field step0_policy_chosen_logp <<<"$py_line")"
done

#!/usr/bin/env bash
# Side-by-side generation benchmark: deeper's C++ engine (bench_generate) against a PyTorch-eager
# reference with the same model math and sampling loop (reference_generate.py), on a tiny and a small
# (~40M parameter) random llama made with `deeper-tool make-model`; then shared-prefix rating scoring
# against one full forward per item (bench_rating). Same thread count everywhere, median of --runs.
#
#   tools/generation/bench.sh [BUILD_DIR [generate|rating|all]]      (default: build all)
# Environment: THREADS (default 1), RUNS (3), NEW (new tokens, 64), PROMPT (prompt tokens, 32),
# PYTHON (an interpreter with torch; default: python3, else /usr/bin/python3 where Debian puts it).
# THREADS defaults to 1 because on a shared 2-core machine OpenMP barriers with 2 threads stall
# whenever another process holds a core (measured 5x slower, on both sides); use 2 on a quiet machine.
# What the engine does differently (model/cpu_kernels.h): decode steps run their projections through
# AVX-512/AVX2 matrix-vector kernels and fuse RMSNorm, RoPE and attention per layer; the reference runs
# every matmul through torch's BLAS. The table header prints the OpenBLAS core both sides' BLAS calls
# use: Debian's OpenBLAS 0.3.21 falls back to its SSE3 "Prescott" kernels on CPUs it does not know
# (e.g. Sapphire/Emerald Rapids), which widens the gap; OPENBLAS_CORETYPE=SkylakeX (or Haswell) shows
# the ratios against a tuned BLAS (both sides; never set it in tests or CI). DEEPER_CPU_KERNELS=0 runs
# the engine on ATen ops only (for A/B).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-build}"
what="${2:-all}"
threads="${THREADS:-1}"
runs="${RUNS:-3}"
new="${NEW:-64}"
prompt="${PROMPT:-32}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import torch' 2>/dev/null; then python=/usr/bin/python3; fi
"$python" -c 'import torch' || { echo "bench.sh: need a python3 with torch (set PYTHON)" >&2; exit 1; }
for program in deeper-tool bench_generate bench_rating; do
  [[ -x "$build/bin/$program" ]] || { echo "bench.sh: $build/bin/$program is not built" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Models: tiny (2 layers, hidden 64, vocab 512) and small (8 layers, hidden 512, vocab 32000, tied).
"$build/bin/deeper-tool" make-model --like llama --seed 1 --out "$work/tiny" \
  --set vocab_size=512,hidden_size=64,intermediate_size=128,num_hidden_layers=2,num_attention_heads=4,num_key_value_heads=2,head_dim=16 >/dev/null
"$build/bin/deeper-tool" make-model --like llama --seed 1 --out "$work/small" \
  --set vocab_size=32000,hidden_size=512,intermediate_size=1408,num_hidden_layers=8,num_attention_heads=8,num_key_value_heads=4,head_dim=64,tie_word_embeddings=true >/dev/null

value() { grep -o "^$1=[^ ]*" | head -1 | cut -d= -f2; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

blas_core() {
  "$python" - <<'PY' 2>/dev/null || echo unknown
import ctypes
lib = ctypes.CDLL("libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())
PY
}

generation_table() {
  echo "Generation: $prompt-token prompts, $new new tokens per row, $threads threads, median of $runs runs"
  "$python" "$here/reference_generate.py" make-prompts --out "$work/probe.safetensors" --batch 1 --length 4 --vocab 512
  kernels=$("$build/bin/bench_generate" --model "$work/tiny" --ids "$work/probe.safetensors" --max_new 1 --threads 1 \
    --runs 1 --warmup 0 2>/dev/null | value cpu_kernels || true)
  echo "(OpenBLAS core: $(blas_core)${OPENBLAS_CORETYPE:+ (OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE)}; engine decode kernels: ${kernels:-?})"
  printf '%-6s %-5s %-16s %12s %12s %7s  %s\n' model batch sampling "cpp tok/s" "torch tok/s" ratio "same tokens"
  for model in tiny small; do
    vocab=$([[ $model == tiny ]] && echo 512 || echo 32000)
    for batch in 1 8; do
      "$python" "$here/reference_generate.py" make-prompts --out "$work/ids.safetensors" --batch "$batch" \
        --length "$prompt" --vocab "$vocab" --seed 7
      for sampling in greedy "t0.6-k50-p0.9" "t1.0-p0.9"; do
        case "$sampling" in
          greedy) cpp_args=(--temperature 0); py_args=(--temperature 0) ;;
          t0.6-k50-p0.9) cpp_args=(--temperature 0.6 --top_k 50 --top_p 0.9 --seed 3)
                         py_args=(--temperature 0.6 --top-k 50 --top-p 0.9 --seed 3) ;;
          t1.0-p0.9) cpp_args=(--temperature 1.0 --top_p 0.9 --seed 3)
                     py_args=(--temperature 1.0 --top-p 0.9 --seed 3) ;;
        esac
        # Alternate the two implementations run by run, so a burst of load from other processes hits
        # both alike; each run is one warm-up plus one timed generation.
        cpp_runs=() py_runs=()
        for ((run = 0; run < runs; run++)); do
          cpp_runs+=("$("$build/bin/bench_generate" --model "$work/$model" --ids "$work/ids.safetensors" \
            --max_new "$new" --threads "$threads" --runs 1 --out "$work/cpp.safetensors" "${cpp_args[@]}" |
            value tokens_per_s)")
          py_runs+=("$("$python" "$here/reference_generate.py" generate --model "$work/$model" \
            --ids "$work/ids.safetensors" --max-new "$new" --threads "$threads" --runs 1 \
            --out "$work/py.safetensors" "${py_args[@]}" | value tokens_per_s)")
        done
        cpp=$(median "${cpp_runs[@]}")
        py=$(median "${py_runs[@]}")
        same=$("$python" "$here/reference_generate.py" compare "$work/cpp.safetensors" "$work/py.safetensors" || true)
        ratio=$(awk -v a="$cpp" -v b="$py" 'BEGIN { printf "%.2f", a / b }')
        printf '%-6s %-5s %-16s %12.1f %12.1f %6sx  %s\n' "$model" "$batch" "$sampling" "$cpp" "$py" "$ratio" "$same"
      done
    done
  done
  echo "(same tokens: the CPU engine accumulates sampling masses in double, the reference in fp32. With the"
  echo " near-flat distributions of random weights and top-p keeping ~90% of 32k tokens, fp32 rounding can move"
  echo " a draw across a CDF boundary, after which that row continues differently.)"
}

rating_table() {
  echo "Rating prediction: one prefix shared by many items vs one full forward per item ($threads threads)"
  printf '%-6s %7s %6s %10s %10s %12s %9s %13s %11s\n' model prefix items "shared s" "naive s" "batched s" \
    "vs naive" "vs batched" "max |dp|"
  # 30 items = the three windows of one user's round; a persona prompt of a few hundred tokens.
  for config in tiny:256 tiny:512 small:256 small:512; do
    model=${config%%:*}
    prefix=${config##*:}
    out=$("$build/bin/bench_rating" --model "$work/$model" --threads "$threads" --runs "$runs" --prefix_len "$prefix" \
            --items 30 --suffix_min 12 --suffix_max 32 --batch 16)
    printf '%-6s %7s %6s %10.3f %10.3f %12.3f %8.2fx %12.2fx %11.2e\n' "$model" "$prefix" 30 \
      "$(value shared_s <<<"$out")" "$(value naive_s <<<"$out")" "$(value batched_full_s <<<"$out")" \
      "$(value speedup_vs_naive <<<"$out")" "$(value speedup_vs_batched_full <<<"$out")" \
      "$(value max_prob_diff_vs_naive <<<"$out")"
  done
}

case "$what" in
  generate) generation_table ;;
  rating) rating_table ;;
  all) generation_table; echo; rating_table ;;
  *) echo "bench.sh: unknown section $what (generate, rating or all)" >&2; exit 2 ;;
esac

// Hand-written CPU kernels for the decode path (internal to model/).
//
// Decode steps multiply a handful of rows (one per batch row) by every weight matrix: a
// matrix-vector-shaped product that is bound by reading the weights once. Generic BLAS builds handle
// it poorly: Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) does not know recent Xeons and falls back to its
// SSE3 "Prescott" kernels, and even a well-tuned sgemm pays packing costs for M = 1..8. These kernels
// stream each weight row once per call with AVX-512 or AVX2+FMA (chosen at run time from CPUID) and
// keep the few input rows in L1. fp32 only; summation order differs from BLAS by rounding only.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace deeper {
namespace cpu {

// The instruction set the kernels use: "avx512", "avx2" or "off" (then everything runs as ATen ops).
// DEEPER_CPU_KERNELS=0 turns them off, DEEPER_CPU_KERNELS=avx2 limits them to AVX2.
const char* KernelIsaName();

// While one lives on this thread the kernels stand aside (SmallLinear declines, FusedDecodeApplies is
// false) and the model computes with ATen ops only. For passes whose bits must equal an autograd pass
// over the same input: the no-grad forward of activation checkpointing (recomputed with autograd) and
// training's reference log-probs (compared with the policy's).
class KernelsOffScope {
 public:
  KernelsOffScope();
  ~KernelsOffScope();
  KernelsOffScope(const KernelsOffScope&) = delete;
  KernelsOffScope& operator=(const KernelsOffScope&) = delete;

 private:
  bool previous_;
};

// Rows up to which SmallLinear is used (more rows: a real GEMM wins) ...
constexpr int64_t kSmallLinearMaxRows = 16;
// ... or, with AVX-512, any x of at most this many bytes (it stays in L2 while W streams past once).
constexpr int64_t kSmallLinearL2Bytes = int64_t{512} << 10;

// y = x W^T (+ bias) for fp32 CPU tensors when x (rows = all dims but the last) is small as above,
// W [N,K] is contiguous, no autograd is needed and the CPU has AVX2+FMA or AVX-512.
// Returns an undefined tensor when any of that does not hold (the caller falls back to at::linear).
at::Tensor SmallLinear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

// ---- Fused single-token decode steps ------------------------------------------------------------
// A decode step of a small model is dominated by the fixed cost of each ATen op (dispatch, allocation,
// TensorIterator set-up), not by arithmetic. These replace chains of 5-20 ops with one loop each.
// They apply to fp32 CPU tensors while grad mode is off (inference mode, no-grad guards);
// FusedDecodeApplies() says whether x qualifies.
bool FusedDecodeApplies(const at::Tensor& x);

// HF RMSNorm of an fp32 x [..., H] (same math as ops::RmsNorm: x * rsqrt(mean(x^2) + eps) * weight).
at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);

// Rotate-half RoPE in place on a contiguous x [B, 1, heads * head_dim] with cos/sin [B, 1, head_dim].
void RopeInPlace(at::Tensor& x, int64_t heads, const at::Tensor& cos, const at::Tensor& sin);

// Attention of one query per row: q [B, 1, H * D] contiguous; keys, values [B, Hkv, T, D] (any row,
// head and column strides, unit stride along D); mask [B, 1, 1, T] bool. Scores scaled by 1/sqrt(D),
// masked keys excluded, softmax in fp32. Returns [B, 1, H * D] (the layout o_proj takes).
at::Tensor DecodeAttend(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values, const at::Tensor& mask);

}  // namespace cpu
}  // namespace deeper

// Next-token selection: greedy, or temperature / top-k / top-p sampling with keyed randomness.
//
// Filtering follows HF's logits warpers, in their order: divide by the temperature, keep the top-k
// logits, then keep the smallest set of the remaining tokens (most likely first) whose probability
// reaches top_p (always at least one token). Of several tokens tied at the k-th logit only k are kept
// (HF keeps every tied token; with fp32 logits exact ties are rare).
//
// Randomness is keyed, not stateful: every row carries a 64-bit stream id derived from (seed, key),
// and the uniform used for the row's t-th token is a pure function of (stream, t) computed by a
// counter-based integer hash. A sample therefore depends only on (seed, key, step, logits): the same
// request gives the same tokens whatever else shares its batch and whatever the batch size. The
// uniform u in [0, 1) (24 random bits, exact in fp32) picks the token by inverse CDF over the filtered
// distribution in descending-probability order (vocabulary order when nothing is filtered).
//
// On accelerators everything runs as tensor ops on the logits' device (no host synchronisation per
// step); on the CPU, where the host and the device are the same, plain loops do the same work faster.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <initializer_list>

namespace deeper {

struct SamplingOptions {
  bool greedy = true;        // argmax; the fields below are ignored.
  double temperature = 1.0;  // > 0; temperature <= 0 means greedy.
  int64_t top_k = 0;         // 0 = no top-k filter.
  double top_p = 1.0;        // in (0, 1]; 1 = no nucleus filter.
  uint64_t seed = 0;         // The run seed, mixed into every row's stream.

  // True when the options pick the argmax (greedy, temperature <= 0 or top_k == 1).
  bool IsGreedy() const { return greedy || temperature <= 0.0 || top_k == 1; }
};

// Throws deeper::Error on out-of-range fields (temperature NaN, top_k < 0, top_p outside (0, 1]).
void ValidateSamplingOptions(const SamplingOptions& options);

// ---- Keys and streams ---------------------------------------------------------------------------
// A key from parts, e.g. SamplingKey({iteration, user_id, candidate}); order matters.
uint64_t SamplingKey(std::initializer_list<uint64_t> parts);
// The stream id of a row: a 64-bit mix of the run seed and the row's key.
uint64_t SamplingStream(uint64_t seed, uint64_t key);
// The uniform in [0, 1) of `stream` at step `step` (host reference of StreamUniforms).
float StreamUniform(uint64_t stream, int64_t step);
// Element-wise StreamUniform on the tensors' device: streams and steps int64 [B] (stream ids
// reinterpreted as signed) -> float32 [B], bit-identical to the host function.
at::Tensor StreamUniforms(const at::Tensor& streams, const at::Tensor& steps);

// ---- Selection ----------------------------------------------------------------------------------
// logits [B, V] (any float dtype; computed in fp32) with the filters of `options` applied: removed
// tokens are -inf, the temperature is applied. Greedy options leave only the argmax. For tests and
// inspection; SampleTokens does not materialise it.
at::Tensor FilteredLogits(const at::Tensor& logits, const SamplingOptions& options);

// One token per row: int64 [B] on the logits' device. `uniforms` float32 [B] in [0, 1) (usually
// StreamUniforms); unused (may be undefined) when the options are greedy.
// On the CPU this runs a host loop per row (a heap for top-k, a quickselect on probability mass for
// top-p, double accumulation), which is many times faster than ATen's CPU sort/topk/argmax kernels;
// elsewhere it runs as tensor ops. The two agree except when u falls within rounding of a CDF
// boundary (or the top-p mass within rounding of p).
at::Tensor SampleTokens(const at::Tensor& logits, const SamplingOptions& options, const at::Tensor& uniforms);

namespace detail {
// The tensor-op versions that run on accelerators, callable on any device (tests compare them with
// the CPU host loops).
at::Tensor StreamUniformsTensorOps(const at::Tensor& streams, const at::Tensor& steps);
at::Tensor SampleTokensTensorOps(const at::Tensor& logits, const SamplingOptions& options, const at::Tensor& uniforms);
}  // namespace detail

}  // namespace deeper

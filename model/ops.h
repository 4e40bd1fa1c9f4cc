// Numerical building blocks of the transformer (internal to model/; HF-exact formulations).
#pragma once

#include <ATen/core/Tensor.h>

#include <utility>

#include "model/hf_config.h"

namespace deeper {
namespace ops {

// HF RMSNorm: normalise in fp32, cast back to x's dtype, then scale: weight * x.to(dtype).
at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);

// RoPE inverse frequencies [head_dim/2] (fp32, on `device`), llama3 scaling applied when configured.
at::Tensor RopeInvFreq(const ModelConfig& config, c10::Device device);
// cos and sin [B,S,head_dim] in `dtype` for int64 positions [B,S] (rotate-half layout: freqs twice).
std::pair<at::Tensor, at::Tensor> RopeCosSin(const at::Tensor& inv_freq, const at::Tensor& positions,
                                             c10::ScalarType dtype);
// x [B,H,S,D] rotated: x * cos + rotate_half(x) * sin, cos/sin [B,S,D].
at::Tensor ApplyRope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// Position ids of a batch without cache, as HF derives them: cumsum(mask) - 1 (pads clamped to 0).
at::Tensor PositionsFromMask(const at::Tensor& valid);

// Boolean attention mask [B,1,S,T] for S queries at columns [start, start+S) over T = start+S keys:
// key c is visible to query column q when key_valid[b,c] and c <= q; a query always sees its own
// column, so rows of pads never softmax over nothing (which would put NaNs into the cache).
at::Tensor AttentionMask(const at::Tensor& key_valid, int64_t start, int64_t s);
// The same mask [B,1,1,T] for one query per row at the device-side column `column` ([1] int64) over the
// whole key_valid [B,T] (columns past the query are masked there): fixed shapes for CUDA graphs.
at::Tensor FixedShapeStepMask(const at::Tensor& key_valid, const at::Tensor& column);

// Scaled dot-product attention with GQA. q [B,H,S,D]; k, v [B,Hkv,T,D]; mask [B,1,S,T] bool.
// Returns [B,S,H*D]. Softmax in fp32.
at::Tensor Attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask);

}  // namespace ops
}  // namespace deeper

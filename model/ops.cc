#include "model/ops.h"

#include <ATen/ATen.h>
#include <torch/version.h>

#include <cmath>
#include <limits>

// at::scaled_dot_product_attention is public from libtorch 2.0 on; 1.13 only has a private variant.
#if TORCH_VERSION_MAJOR >= 2
#define DEEPER_HAVE_SDPA 1
#else
#define DEEPER_HAVE_SDPA 0
#endif

namespace deeper {
namespace ops {

at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::ScalarType dtype = x.scalar_type();
  at::Tensor xf = x.to(at::kFloat);
  at::Tensor variance = xf.pow(2).mean(-1, /*keepdim=*/true);
  xf = xf * at::rsqrt(variance + eps);
  return weight * xf.to(dtype);
}

// Mirrors HF's _compute_default_rope_parameters / _compute_llama3_parameters op by op in fp32, so the
// frequencies round exactly as the reference's do. `scalar / tensor` in Python is reciprocal * scalar.
at::Tensor RopeInvFreq(const ModelConfig& config, c10::Device device) {
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  const int64_t dim = config.head_dim;
  at::Tensor exponent = at::arange(0, dim, 2, at::TensorOptions().dtype(at::kLong)).to(at::kFloat) / dim;
  at::Tensor inv_freq = at::reciprocal(at::pow(config.rope_theta, exponent));
  if (config.rope_scaling.llama3) {
    const RopeScaling& s = config.rope_scaling;
    const double old_context = static_cast<double>(s.original_max_position_embeddings);
    const double low_freq_wavelen = old_context / s.low_freq_factor;
    const double high_freq_wavelen = old_context / s.high_freq_factor;
    at::Tensor wavelen = at::reciprocal(inv_freq) * (2 * M_PI);
    at::Tensor scaled = at::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
    at::Tensor smooth = (at::reciprocal(wavelen) * old_context - s.low_freq_factor) /
                        (s.high_freq_factor - s.low_freq_factor);
    at::Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
    at::Tensor medium = (wavelen < high_freq_wavelen).logical_not() & (wavelen > low_freq_wavelen).logical_not();
    inv_freq = at::where(medium, smoothed, scaled);
  }
  return inv_freq.to(f32.device(device));
}

std::pair<at::Tensor, at::Tensor> RopeCosSin(const at::Tensor& inv_freq, const at::Tensor& positions,
                                             c10::ScalarType dtype) {
  at::Tensor freqs = positions.to(at::kFloat).unsqueeze(-1) * inv_freq;  // [B,S,D/2]
  at::Tensor emb = at::cat({freqs, freqs}, -1);
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

at::Tensor ApplyRope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  at::Tensor rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos.unsqueeze(1) + rotated * sin.unsqueeze(1);
}

at::Tensor PositionsFromMask(const at::Tensor& valid) {
  return (valid.to(at::kLong).cumsum(1) - 1).clamp_min(0);
}

at::Tensor AttentionMask(const at::Tensor& key_valid, int64_t start, int64_t s) {
  const int64_t t = key_valid.size(1);
  const auto longs = at::TensorOptions().dtype(at::kLong).device(key_valid.device());
  at::Tensor query_col = at::arange(start, start + s, longs).unsqueeze(1);  // [S,1]
  at::Tensor key_col = at::arange(t, longs).unsqueeze(0);                   // [1,T]
  at::Tensor visible = key_valid.unsqueeze(1).unsqueeze(1) & (key_col <= query_col);
  return visible | (key_col == query_col);
}

at::Tensor FixedShapeStepMask(const at::Tensor& key_valid, const at::Tensor& column) {
  return key_valid.index_fill(1, column, true).unsqueeze(1).unsqueeze(1);
}

namespace {

// Grouped matmul-softmax: the n_rep query heads that share a kv head are stacked along the query axis,
// so K and V are read once per kv head and never copied.
at::Tensor AttendGrouped(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask) {
  const int64_t b = q.size(0), h = q.size(1), s = q.size(2), d = q.size(3);
  const int64_t hkv = k.size(1), t = k.size(2), rep = h / hkv;
  at::Tensor qg = q.reshape({b, hkv, rep * s, d});
  at::Tensor scores = at::matmul(qg, k.transpose(-1, -2)) * (1.0 / std::sqrt(static_cast<double>(d)));
  scores = scores.view({b, hkv, rep, s, t})
               .masked_fill(mask.unsqueeze(2).logical_not(), -std::numeric_limits<double>::infinity());
  at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
  at::Tensor out = at::matmul(probs.view({b, hkv, rep * s, t}), v);  // [B,Hkv,rep*S,D]
  return out.view({b, h, s, d}).transpose(1, 2).reshape({b, s, h * d});
}

#if DEEPER_HAVE_SDPA
// Fused attention (flash / memory-efficient kernels on CUDA). K/V are expanded to all heads so the
// kernel that supports an arbitrary mask can run on every 2.x version.
at::Tensor AttendFused(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask) {
  const int64_t b = q.size(0), h = q.size(1), s = q.size(2), d = q.size(3);
  const int64_t rep = h / k.size(1);
  at::Tensor kk = rep == 1 ? k : k.repeat_interleave(rep, 1);
  at::Tensor vv = rep == 1 ? v : v.repeat_interleave(rep, 1);
  at::Tensor out = at::scaled_dot_product_attention(q, kk, vv, mask);
  return out.transpose(1, 2).reshape({b, s, h * d});
}
#endif

}  // namespace

at::Tensor Attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask) {
#if DEEPER_HAVE_SDPA
  // Decode steps (one query) are bandwidth-bound: the grouped path reads K/V once without expanding.
  if (q.size(2) > 1) return AttendFused(q, k, v, mask);
#endif
  return AttendGrouped(q, k, v, mask);
}

}  // namespace ops
}  // namespace deeper

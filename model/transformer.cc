// Transformer forward pass and parameter naming. Construction and checkpoint I/O: transformer_io.cc.
#include "model/transformer.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>

#include "common/error.h"
#include "model/cpu_kernels.h"
#include "model/kv_cache.h"
#include "model/ops.h"

namespace deeper {

Transformer::~Transformer() = default;

// ---- Forward -----------------------------------------------------------------------------------------

at::Tensor Transformer::Project(const Linear& linear, const at::Tensor& x) const {
  at::Tensor y = cpu::SmallLinear(x, linear.weight, linear.bias);  // Decode steps on the CPU.
  if (!y.defined()) y = at::linear(x, linear.weight, linear.bias);
  if (!linear.has_lora() || !lora_enabled_) return y;
  // PEFT: result + lora_B(lora_A(dropout(x))) * scaling, with the adapter in its own (fp32) dtype.
  at::Tensor in = x.to(linear.lora_a.scalar_type());
  if (training_ && linear.lora_dropout > 0) in = at::dropout(in, linear.lora_dropout, /*train=*/true);
  at::Tensor delta = at::linear(at::linear(in, linear.lora_a), linear.lora_b) * linear.lora_scaling;
  return y + delta.to(y.scalar_type());
}

at::Tensor Transformer::Mlp(const DecoderLayer& layer, const at::Tensor& x) const {
  at::Tensor gate = at::silu(Project(layer.gate_proj, x));
  if (cpu::FusedDecodeApplies(gate)) return Project(layer.down_proj, gate.mul_(Project(layer.up_proj, x)));
  return Project(layer.down_proj, gate * Project(layer.up_proj, x));
}

at::Tensor Transformer::Attention(const DecoderLayer& layer, int64_t index, const at::Tensor& x,
                                  const at::Tensor& cos, const at::Tensor& sin, const at::Tensor& mask,
                                  KvCache* cache) const {
  const int64_t b = x.size(0), s = x.size(1), d = config_.head_dim;
  if (cache != nullptr && s == 1 && mask.scalar_type() == at::kBool && cpu::FusedDecodeApplies(x)) {
    return DecodeAttention(layer, index, x, cos, sin, mask, cache);
  }
  at::Tensor q = Project(layer.q_proj, x).view({b, s, config_.num_attention_heads, d});
  at::Tensor k = Project(layer.k_proj, x).view({b, s, config_.num_key_value_heads, d});
  at::Tensor v = Project(layer.v_proj, x).view({b, s, config_.num_key_value_heads, d});
  if (config_.qk_norm) {  // Qwen3: per-head RMSNorm before RoPE.
    q = ops::RmsNorm(q, layer.q_norm, config_.rms_norm_eps);
    k = ops::RmsNorm(k, layer.k_norm, config_.rms_norm_eps);
  }
  q = ops::ApplyRope(q.transpose(1, 2), cos, sin);  // [B,H,S,D]
  k = ops::ApplyRope(k.transpose(1, 2), cos, sin);
  v = v.transpose(1, 2);
  if (cache != nullptr) std::tie(k, v) = cache->Append(index, k, v);
  return Project(layer.o_proj, ops::Attend(q, k, v, mask));
}

// A single-token step on the CPU in fp32: the same math as Attention with fused loops (model/cpu_kernels.h)
// instead of ~60 small ATen ops per layer.
at::Tensor Transformer::DecodeAttention(const DecoderLayer& layer, int64_t index, const at::Tensor& x,
                                        const at::Tensor& cos, const at::Tensor& sin, const at::Tensor& mask,
                                        KvCache* cache) const {
  const int64_t b = x.size(0), d = config_.head_dim;
  const int64_t heads = config_.num_attention_heads, kv_heads = config_.num_key_value_heads;
  at::Tensor q = Project(layer.q_proj, x).contiguous();  // [B,1,H*D]
  at::Tensor k = Project(layer.k_proj, x).contiguous();
  at::Tensor v = Project(layer.v_proj, x);
  if (config_.qk_norm) {
    q = cpu::RmsNorm(q.view({b, 1, heads, d}), layer.q_norm, config_.rms_norm_eps).view({b, 1, heads * d});
    k = cpu::RmsNorm(k.view({b, 1, kv_heads, d}), layer.k_norm, config_.rms_norm_eps).view({b, 1, kv_heads * d});
  }
  cpu::RopeInPlace(q, heads, cos, sin);
  cpu::RopeInPlace(k, kv_heads, cos, sin);
  const auto [keys, values] = cache->Append(index, k.view({b, 1, kv_heads, d}).transpose(1, 2),
                                            v.view({b, 1, kv_heads, d}).transpose(1, 2));
  return Project(layer.o_proj, cpu::DecodeAttend(q, keys, values, mask));
}

at::Tensor Transformer::Layer(const DecoderLayer& layer, int64_t index, const at::Tensor& x, const at::Tensor& cos,
                              const at::Tensor& sin, const at::Tensor& mask, KvCache* cache) const {
  const double eps = config_.rms_norm_eps;
  if (cache != nullptr && x.size(1) == 1 && cpu::FusedDecodeApplies(x)) {  // Decode step: fused norms.
    at::Tensor h = Attention(layer, index, cpu::RmsNorm(x, layer.input_layernorm, eps), cos, sin, mask, cache).add_(x);
    return Mlp(layer, cpu::RmsNorm(h, layer.post_attention_layernorm, eps)).add_(h);
  }
  at::Tensor h = x + Attention(layer, index, ops::RmsNorm(x, layer.input_layernorm, eps), cos, sin, mask, cache);
  return h + Mlp(layer, ops::RmsNorm(h, layer.post_attention_layernorm, eps));
}

at::Tensor Transformer::ForwardHidden(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                                      KvCache* cache) const {
  DEEPER_REQUIRE(input_ids.defined() && input_ids.dim() == 2 && input_ids.scalar_type() == at::kLong,
                 "Transformer::Forward: input_ids must be int64 [batch, seq]");
  const int64_t b = input_ids.size(0), s = input_ids.size(1);
  DEEPER_REQUIRE(s > 0, "Transformer::Forward: empty sequence");
  at::Tensor ids = input_ids.to(device_);
  at::Tensor valid;
  if (attention_mask.defined()) {
    DEEPER_REQUIRE(attention_mask.sizes() == input_ids.sizes(), "Transformer::Forward: attention_mask shape ",
                   attention_mask.sizes(), " differs from input_ids shape ", input_ids.sizes());
    valid = attention_mask.to(device_).ne(0);
  } else {
    valid = at::ones({b, s}, at::TensorOptions().dtype(at::kBool).device(device_));
  }
  at::Tensor positions, mask;
  if (cache != nullptr) {
    const int64_t start = cache->length();
    positions = cache->BeginAppend(valid);
    mask = cache->FixedShapeStep(s) ? ops::FixedShapeStepMask(cache->key_mask(), cache->write_column())
                                    : ops::AttentionMask(cache->key_mask().narrow(1, 0, start + s), start, s);
  } else {
    positions = ops::PositionsFromMask(valid);
    mask = ops::AttentionMask(valid, 0, s);
  }
  const auto [cos, sin] = ops::RopeCosSin(inv_freq_, positions, dtype_);
  at::Tensor x = at::embedding(embed_tokens_, ids);
  const bool checkpoint = checkpoint_layers_ && cache == nullptr && c10::GradMode::is_enabled();
  for (size_t i = 0; i < layers_.size(); ++i) {
    x = checkpoint ? CheckpointedLayer(layers_[i], static_cast<int64_t>(i), x, cos, sin, mask)
                   : Layer(layers_[i], static_cast<int64_t>(i), x, cos, sin, mask, cache);
  }
  if (cache != nullptr) cache->EndAppend(s);
  if (cache != nullptr && s == 1 && cpu::FusedDecodeApplies(x)) return cpu::RmsNorm(x, norm_, config_.rms_norm_eps);
  return ops::RmsNorm(x, norm_, config_.rms_norm_eps);
}

at::Tensor Transformer::ForwardHiddenPacked(const at::Tensor& input_ids, const at::Tensor& positions,
                                            const at::Tensor& visible) const {
  DEEPER_REQUIRE(input_ids.defined() && input_ids.dim() == 2 && input_ids.scalar_type() == at::kLong,
                 "Transformer::ForwardHiddenPacked: input_ids must be int64 [batch, seq]");
  const int64_t b = input_ids.size(0), s = input_ids.size(1);
  DEEPER_REQUIRE(positions.sizes() == input_ids.sizes() && visible.dim() == 3 && visible.size(0) == b &&
                     visible.size(1) == s && visible.size(2) == s,
                 "Transformer::ForwardHiddenPacked: positions must be [B,S] and visible [B,S,S] for input_ids ",
                 input_ids.sizes());
  const at::Tensor mask = visible.to(device_).to(at::kBool).unsqueeze(1);  // [B,1,S,S]
  const auto [cos, sin] = ops::RopeCosSin(inv_freq_, positions.to(device_), dtype_);
  at::Tensor x = at::embedding(embed_tokens_, input_ids.to(device_));
  for (size_t i = 0; i < layers_.size(); ++i) {
    x = Layer(layers_[i], static_cast<int64_t>(i), x, cos, sin, mask, nullptr);
  }
  return ops::RmsNorm(x, norm_, config_.rms_norm_eps);
}

at::Tensor Transformer::Logits(const at::Tensor& hidden) const {
  const at::Tensor& head = lm_head_.defined() ? lm_head_ : embed_tokens_;
  at::Tensor logits = cpu::SmallLinear(hidden, head, {});
  return (logits.defined() ? logits : at::linear(hidden, head)).to(at::kFloat);
}

at::Tensor Transformer::Forward(const at::Tensor& input_ids, const at::Tensor& attention_mask, KvCache* cache) const {
  return Logits(ForwardHidden(input_ids, attention_mask, cache));
}

KvCache Transformer::NewCache(int64_t batch, int64_t capacity) const {
  return KvCache(config_, batch, capacity, dtype_, device_);
}

// ---- Parameters ------------------------------------------------------------------------------------------

namespace {

void AddLinear(const std::string& module, Linear& linear, ParamSet set,
               std::vector<std::pair<std::string, at::Tensor*>>* out) {
  if (set != ParamSet::kLora) {
    out->emplace_back(module + ".weight", &linear.weight);
    if (linear.bias.defined()) out->emplace_back(module + ".bias", &linear.bias);
  }
  if (set != ParamSet::kBase && linear.has_lora()) {
    out->emplace_back(module + ".lora_A.weight", &linear.lora_a);
    out->emplace_back(module + ".lora_B.weight", &linear.lora_b);
  }
}

}  // namespace

std::vector<std::pair<std::string, Linear*>> Transformer::NamedLinears() {
  std::vector<std::pair<std::string, Linear*>> out;
  for (size_t i = 0; i < layers_.size(); ++i) {
    DecoderLayer& l = layers_[i];
    const std::string attn = "model.layers." + std::to_string(i) + ".self_attn.";
    const std::string mlp = "model.layers." + std::to_string(i) + ".mlp.";
    out.emplace_back(attn + "q_proj", &l.q_proj);
    out.emplace_back(attn + "k_proj", &l.k_proj);
    out.emplace_back(attn + "v_proj", &l.v_proj);
    out.emplace_back(attn + "o_proj", &l.o_proj);
    out.emplace_back(mlp + "gate_proj", &l.gate_proj);
    out.emplace_back(mlp + "up_proj", &l.up_proj);
    out.emplace_back(mlp + "down_proj", &l.down_proj);
  }
  return out;
}

std::vector<std::pair<std::string, at::Tensor*>> Transformer::MutableParameters(ParamSet set) {
  std::vector<std::pair<std::string, at::Tensor*>> out;
  const bool base = set != ParamSet::kLora;
  if (base) out.emplace_back("model.embed_tokens.weight", &embed_tokens_);
  for (size_t i = 0; i < layers_.size(); ++i) {
    DecoderLayer& l = layers_[i];
    const std::string prefix = "model.layers." + std::to_string(i) + ".";
    if (base) out.emplace_back(prefix + "input_layernorm.weight", &l.input_layernorm);
    AddLinear(prefix + "self_attn.q_proj", l.q_proj, set, &out);
    AddLinear(prefix + "self_attn.k_proj", l.k_proj, set, &out);
    AddLinear(prefix + "self_attn.v_proj", l.v_proj, set, &out);
    AddLinear(prefix + "self_attn.o_proj", l.o_proj, set, &out);
    if (base && l.q_norm.defined()) out.emplace_back(prefix + "self_attn.q_norm.weight", &l.q_norm);
    if (base && l.k_norm.defined()) out.emplace_back(prefix + "self_attn.k_norm.weight", &l.k_norm);
    if (base) out.emplace_back(prefix + "post_attention_layernorm.weight", &l.post_attention_layernorm);
    AddLinear(prefix + "mlp.gate_proj", l.gate_proj, set, &out);
    AddLinear(prefix + "mlp.up_proj", l.up_proj, set, &out);
    AddLinear(prefix + "mlp.down_proj", l.down_proj, set, &out);
  }
  if (base) out.emplace_back("model.norm.weight", &norm_);
  if (base && lm_head_.defined()) out.emplace_back("lm_head.weight", &lm_head_);
  return out;
}

std::vector<std::pair<std::string, at::Tensor>> Transformer::NamedParameters(ParamSet set) const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& [name, slot] : const_cast<Transformer*>(this)->MutableParameters(set)) out.emplace_back(name, *slot);
  return out;
}

void Transformer::SetRequiresGrad(bool requires_grad) {
  for (const auto& [name, slot] : MutableParameters(ParamSet::kBase)) slot->requires_grad_(requires_grad);
}

}  // namespace deeper

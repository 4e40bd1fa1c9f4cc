// The decoder-only transformer of llama / qwen2 / qwen3 checkpoints, in plain ATen.
//
// Math follows HF transformers: RMSNorm computed in fp32 then cast back (weight * x.to(dtype)),
// rotate-half RoPE (with llama3 frequency scaling), GQA, SwiGLU MLP, optional q/k/v(/o) biases,
// qwen3 per-head q_norm/k_norm before RoPE, tied embeddings. Attention: softmax in fp32; on libtorch
// 2.x multi-token steps use at::scaled_dot_product_attention (fused kernels on CUDA), single-token
// decode and libtorch 1.x use a grouped matmul-softmax that never copies K/V per head.
// Logits are always returned as fp32.
//
// Padding: `attention_mask` [B,S] (1 = token, 0 = pad; left or right padding) masks pad keys, and
// position ids come from the mask as HF derives them (cumsum(mask) - 1). Pad queries attend only to
// themselves, so their outputs are finite garbage: ignore logits at pad positions.
//
// Autograd: without a KvCache the forward is differentiable in every parameter (see
// NamedParameters); call SetRequiresGrad / the LoRA helpers to choose what trains. Use a KvCache only
// for inference (under c10::NoGradGuard or c10::InferenceMode).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/hf_config.h"

namespace deeper {

class KvCache;

// Where the weights live and in which dtype.
struct ModelOptions {
  c10::Device device = c10::Device(c10::kCPU);
  // Weight dtype; unset = float32 on CPU, bfloat16 on CUDA. Norm math and logits are fp32 regardless.
  std::optional<c10::ScalarType> dtype;
};

// y = x W^T + b, plus an optional LoRA branch scaling * B(A(dropout(x))) (model/lora.h attaches it).
struct Linear {
  at::Tensor weight;  // [out, in]
  at::Tensor bias;    // [out]; undefined when the layer has none.
  at::Tensor lora_a;  // [r, in]; undefined without LoRA. Kept in fp32 (PEFT autocasts adapters).
  at::Tensor lora_b;  // [out, r]
  double lora_scaling = 0.0;  // alpha / r (or alpha / sqrt(r) with rslora).
  double lora_dropout = 0.0;  // Applied to the LoRA input in training mode only.

  bool has_lora() const { return lora_a.defined(); }
};

struct DecoderLayer {
  at::Tensor input_layernorm;           // [hidden]
  at::Tensor post_attention_layernorm;  // [hidden]
  Linear q_proj, k_proj, v_proj, o_proj;
  at::Tensor q_norm, k_norm;            // [head_dim]; qwen3 only, else undefined.
  Linear gate_proj, up_proj, down_proj;
};

// Which parameters NamedParameters lists.
enum class ParamSet { kBase, kLora, kAll };

class Transformer {
 public:
  // Loads config.json and the safetensors weights of an HF checkpoint directory (single file or
  // sharded), converting to options' dtype/device. Every expected tensor must be present with its
  // exact shape; unexpected tensors are an error (except rotary inv_freq buffers and lm_head.weight
  // of a tied model). Errors name the directory and tensor.
  static std::unique_ptr<Transformer> Load(const std::string& dir, const ModelOptions& options = {});

  // A randomly initialised model as HF initialises one: linear weights and embeddings ~ N(0, 0.02),
  // norms 1, biases 0. Deterministic for a seed (draws on CPU in fp32, then converts).
  static std::unique_ptr<Transformer> RandomInit(const ModelConfig& config, uint64_t seed,
                                                 const ModelOptions& options = {});

  Transformer(const Transformer&) = delete;
  Transformer& operator=(const Transformer&) = delete;
  ~Transformer();

  const ModelConfig& config() const { return config_; }
  c10::Device device() const { return device_; }
  c10::ScalarType dtype() const { return dtype_; }

  // ---- Forward -------------------------------------------------------------------------------
  // input_ids: int64 [B,S] on any device (moved to the model's). attention_mask: [B,S] of 0/1 (any
  // integer, bool or float dtype) or undefined = all ones. With `cache`, the S tokens are appended
  // after the cache's length() columns (see model/kv_cache.h) and attend to them.
  // Returns fp32 logits [B,S,V].
  at::Tensor Forward(const at::Tensor& input_ids, const at::Tensor& attention_mask = {},
                     KvCache* cache = nullptr) const;
  // Same, but stops before the LM head: final-norm hidden states [B,S,hidden] in the model dtype.
  // Use with Logits() to project only the positions you need (last token of a prefill, completion
  // tokens of a scored answer): full-vocabulary logits of long prompts are large.
  at::Tensor ForwardHidden(const at::Tensor& input_ids, const at::Tensor& attention_mask = {},
                           KvCache* cache = nullptr) const;
  // LM head: hidden [..., hidden] -> fp32 logits [..., V].
  at::Tensor Logits(const at::Tensor& hidden) const;
  // ForwardHidden with explicit RoPE positions (int64 [B,S]) and visibility (bool [B,S,S]: query s may
  // attend key t), no cache: for training on packed rows, e.g. several continuations of one prefix in a
  // row, each seeing the prefix and itself at the positions it would have right after the prefix.
  // Every query should see at least itself.
  at::Tensor ForwardHiddenPacked(const at::Tensor& input_ids, const at::Tensor& positions,
                                 const at::Tensor& visible) const;

  // A cache for `batch` rows of up to `capacity` tokens each, in this model's dtype and device.
  KvCache NewCache(int64_t batch, int64_t capacity) const;

  // ---- Parameters (HF names) ----------------------------------------------------------------
  // kBase: "model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", ...,
  //        "model.norm.weight", "lm_head.weight" (absent when tied).
  // kLora: "model.layers.0.self_attn.q_proj.lora_A.weight" / "...lora_B.weight" (no PEFT prefix).
  // The returned tensors share storage and autograd state with the model's own, so
  // `p.requires_grad_(true)` or an optimizer's in-place update acts on the model.
  std::vector<std::pair<std::string, at::Tensor>> NamedParameters(ParamSet set = ParamSet::kBase) const;
  // Sets requires_grad on every base parameter (LoRA parameters are controlled by model/lora.h).
  void SetRequiresGrad(bool requires_grad);
  // The parameter slots themselves, for code that replaces tensors (loaders, LoRA, optimizers that
  // swap storage). Pointers stay valid while the model lives and no LoRA is attached or removed.
  std::vector<std::pair<std::string, at::Tensor*>> MutableParameters(ParamSet set = ParamSet::kBase);
  // Linear layers by HF module name ("model.layers.3.mlp.down_proj"); lm_head is not included.
  std::vector<std::pair<std::string, Linear*>> NamedLinears();

  // Writes config.json + safetensors weights (HF names, `dtype` or the model dtype) to `dir` in hub
  // layout, sharded above 5 GB. Refuses while LoRA is attached (merge or save the adapter instead).
  void Save(const std::string& dir, std::optional<c10::ScalarType> dtype = std::nullopt) const;

  // ---- Modes ---------------------------------------------------------------------------------
  // Training mode enables LoRA dropout; off by default.
  void SetTraining(bool training) { training_ = training; }
  bool training() const { return training_; }
  // Activation checkpointing (HF's gradient_checkpointing): when autograd records a forward without a
  // cache, each decoder layer keeps only its input and recomputes its activations during backward
  // (with the same dropout draws). Costs about one more forward; saves all but one layer's activations.
  void SetActivationCheckpointing(bool on) { checkpoint_layers_ = on; }
  bool activation_checkpointing() const { return checkpoint_layers_; }
  // With LoRA attached, false computes the base model (the DPO reference pass). See LoraDisabledScope.
  void SetLoraEnabled(bool enabled) { lora_enabled_ = enabled; }
  bool lora_enabled() const { return lora_enabled_; }

  // ---- Structure (for model/lora.cc and tests) ------------------------------------------------
  at::Tensor& embed_tokens() { return embed_tokens_; }
  at::Tensor& final_norm() { return norm_; }
  at::Tensor& lm_head() { return lm_head_; }  // Undefined when tied to embed_tokens.
  std::vector<DecoderLayer>& layers() { return layers_; }
  const std::vector<DecoderLayer>& layers() const { return layers_; }

 private:
  Transformer(ModelConfig config, c10::Device device, c10::ScalarType dtype);
  at::Tensor Layer(const DecoderLayer& layer, int64_t index, const at::Tensor& x, const at::Tensor& cos,
                   const at::Tensor& sin, const at::Tensor& mask, KvCache* cache) const;
  // Layer() under activation checkpointing; defined in model/activation_checkpoint.cc.
  at::Tensor CheckpointedLayer(const DecoderLayer& layer, int64_t index, const at::Tensor& x, const at::Tensor& cos,
                               const at::Tensor& sin, const at::Tensor& mask) const;
  at::Tensor Attention(const DecoderLayer& layer, int64_t index, const at::Tensor& x, const at::Tensor& cos,
                       const at::Tensor& sin, const at::Tensor& mask, KvCache* cache) const;
  at::Tensor DecodeAttention(const DecoderLayer& layer, int64_t index, const at::Tensor& x, const at::Tensor& cos,
                             const at::Tensor& sin, const at::Tensor& mask, KvCache* cache) const;
  at::Tensor Mlp(const DecoderLayer& layer, const at::Tensor& x) const;
  at::Tensor Project(const Linear& linear, const at::Tensor& x) const;

  ModelConfig config_;
  c10::Device device_;
  c10::ScalarType dtype_;
  at::Tensor inv_freq_;  // [head_dim/2] fp32 RoPE frequencies (llama3 scaling applied).
  at::Tensor embed_tokens_;
  std::vector<DecoderLayer> layers_;
  at::Tensor norm_;
  at::Tensor lm_head_;
  bool training_ = false;
  bool lora_enabled_ = true;
  bool checkpoint_layers_ = false;
};

}  // namespace deeper

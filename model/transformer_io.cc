// Transformer construction: weight allocation, loading HF checkpoints, random init, saving.
#include <c10/core/GradMode.h>
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <set>

#include "common/error.h"
#include "common/files.h"
#include "model/checkpoint.h"
#include "model/ops.h"
#include "model/runtime.h"
#include "model/transformer.h"

namespace deeper {
namespace {

// Allocates a linear layer [out, in] (+ bias [out]) without initialising it.
Linear MakeLinear(int64_t out, int64_t in, bool bias, const at::TensorOptions& options) {
  Linear linear;
  linear.weight = at::empty({out, in}, options);
  if (bias) linear.bias = at::empty({out}, options);
  return linear;
}

// Tensors a checkpoint may carry that the model does not use.
bool Ignorable(const std::string& name, const ModelConfig& config) {
  const std::string inv_freq = "rotary_emb.inv_freq";
  if (name.size() >= inv_freq.size() && name.compare(name.size() - inv_freq.size(), inv_freq.size(), inv_freq) == 0) {
    return true;  // Older llama checkpoints saved this buffer; it is recomputed.
  }
  return config.tie_word_embeddings && name == "lm_head.weight";  // HF ties it and ignores the copy.
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Transformer::Transformer(ModelConfig config, c10::Device device, c10::ScalarType dtype)
    : config_(std::move(config)), device_(device), dtype_(dtype) {
  ValidateModelConfig(config_, "model config");
  const ModelConfig& c = config_;
  const auto options = at::TensorOptions().dtype(dtype).device(device);
  inv_freq_ = ops::RopeInvFreq(c, device);
  embed_tokens_ = at::empty({c.vocab_size, c.hidden_size}, options);
  layers_.resize(static_cast<size_t>(c.num_hidden_layers));
  for (DecoderLayer& l : layers_) {
    l.input_layernorm = at::empty({c.hidden_size}, options);
    l.post_attention_layernorm = at::empty({c.hidden_size}, options);
    l.q_proj = MakeLinear(c.q_size(), c.hidden_size, c.qkv_bias, options);
    l.k_proj = MakeLinear(c.kv_size(), c.hidden_size, c.qkv_bias, options);
    l.v_proj = MakeLinear(c.kv_size(), c.hidden_size, c.qkv_bias, options);
    l.o_proj = MakeLinear(c.hidden_size, c.q_size(), c.o_bias, options);
    if (c.qk_norm) {
      l.q_norm = at::empty({c.head_dim}, options);
      l.k_norm = at::empty({c.head_dim}, options);
    }
    l.gate_proj = MakeLinear(c.intermediate_size, c.hidden_size, c.mlp_bias, options);
    l.up_proj = MakeLinear(c.intermediate_size, c.hidden_size, c.mlp_bias, options);
    l.down_proj = MakeLinear(c.hidden_size, c.intermediate_size, c.mlp_bias, options);
  }
  norm_ = at::empty({c.hidden_size}, options);
  if (!c.tie_word_embeddings) lm_head_ = at::empty({c.vocab_size, c.hidden_size}, options);
}

std::unique_ptr<Transformer> Transformer::Load(const std::string& dir, const ModelOptions& options) {
  ModelConfig config = LoadModelConfig(dir);
  const c10::ScalarType dtype = options.dtype.value_or(DefaultDtypeFor(options.device));
  std::unique_ptr<Transformer> model(new Transformer(std::move(config), options.device, dtype));
  const CheckpointReader reader(dir);
  std::set<std::string> expected;
  for (auto& [name, slot] : model->MutableParameters(ParamSet::kBase)) {
    DEEPER_REQUIRE(reader.Has(name), dir, ": tensor '", name, "' is missing (config.json ", model->config_.model_type,
                   " with ", model->config_.num_hidden_layers, " layers expects it)");
    reader.CopyInto(name, *slot);
    expected.insert(name);
  }
  for (const std::string& name : reader.Names()) {
    DEEPER_REQUIRE(expected.count(name) || Ignorable(name, model->config_), dir, ": unexpected tensor '", name,
                   "' (not part of a ", model->config_.model_type, " model with this config.json)");
  }
  return model;
}

std::unique_ptr<Transformer> Transformer::RandomInit(const ModelConfig& config, uint64_t seed,
                                                     const ModelOptions& options) {
  const c10::ScalarType dtype = options.dtype.value_or(DefaultDtypeFor(options.device));
  std::unique_ptr<Transformer> model(new Transformer(config, options.device, dtype));
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  c10::NoGradGuard no_grad;
  for (auto& [name, slot] : model->MutableParameters(ParamSet::kBase)) {
    if (EndsWith(name, "norm.weight")) {
      slot->fill_(1.0);
    } else if (EndsWith(name, ".bias")) {
      slot->zero_();
    } else {  // HF's initializer_range.
      slot->copy_(at::empty(slot->sizes(), at::TensorOptions().dtype(at::kFloat)).normal_(0.0, 0.02, gen));
    }
  }
  return model;
}

void Transformer::Save(const std::string& dir, std::optional<c10::ScalarType> dtype) const {
  for (const DecoderLayer& l : layers_) {
    for (const Linear* linear : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj}) {
      DEEPER_REQUIRE(!linear->has_lora(), dir, ": cannot save a model with LoRA attached as a base checkpoint ",
                     "(merge it first, or save the adapter)");
    }
  }
  const c10::ScalarType out_dtype = dtype.value_or(dtype_);
  MakeDirs(dir);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& [name, tensor] : NamedParameters(ParamSet::kBase)) {
    tensors.emplace_back(name, tensor.detach().to(out_dtype));
  }
  SaveCheckpointWeights(dir, tensors);
  ModelConfig config = config_;
  config.torch_dtype = HfDtypeName(out_dtype);
  // Config last: a directory with config.json is complete.
  SaveModelConfig(config, (std::filesystem::path(dir) / "config.json").string());
}

}  // namespace deeper

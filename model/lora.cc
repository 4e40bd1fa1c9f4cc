#include "model/lora.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/files.h"
#include "model/checkpoint.h"

namespace deeper {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

const std::vector<std::string> kAllLinear = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
// PEFT prefixes saved names with the PeftModel / LoraModel wrappers.
const char kPeftPrefix[] = "base_model.model.";

// PEFT's rule: a target matches a module whose full name equals it or ends with "." + target.
bool Targeted(const std::string& module, const std::vector<std::string>& targets) {
  for (const std::string& t : targets) {
    if (module == t) return true;
    if (module.size() > t.size() && module.compare(module.size() - t.size(), t.size(), t) == 0 &&
        module[module.size() - t.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

// Keys whose non-default values change the adapter's math in ways this engine does not implement.
void RefuseUnsupported(const json& j, const std::string& source) {
  auto is_false = [&](const char* key) {
    auto it = j.find(key);
    DEEPER_REQUIRE(it == j.end() || it->is_null() || (it->is_boolean() && !it->get<bool>()), source, ": '", key,
                   "' = ", it->dump(), " is not supported");
  };
  auto is_empty = [&](const char* key) {
    auto it = j.find(key);
    DEEPER_REQUIRE(it == j.end() || it->is_null() || (it->is_object() && it->empty()) || (it->is_array() && it->empty()),
                   source, ": '", key, "' = ", it->dump(), " is not supported");
  };
  const std::string peft_type = j.value("peft_type", std::string("LORA"));
  DEEPER_REQUIRE(peft_type == "LORA", source, ": peft_type '", peft_type, "' is not supported (only LORA)");
  is_false("use_dora");
  is_false("fan_in_fan_out");
  is_false("lora_bias");
  is_false("use_qalora");
  for (const char* key : {"rank_pattern", "alpha_pattern", "layers_to_transform", "modules_to_save", "exclude_modules",
                          "layer_replication", "target_parameters", "trainable_token_indices"}) {
    is_empty(key);
  }
  auto bias = j.find("bias");
  DEEPER_REQUIRE(bias == j.end() || bias->is_null() || *bias == "none", source, ": bias ", bias->dump(),
                 " is not supported (only \"none\")");
}

std::vector<std::string> TargetModules(const json& j, const std::string& source) {
  auto it = j.find("target_modules");
  DEEPER_REQUIRE(it != j.end() && !it->is_null(), source, ": missing 'target_modules'");
  if (it->is_string()) {
    DEEPER_REQUIRE(*it == "all-linear", source, ": target_modules as a regex (", it->dump(),
                   ") is not supported; list the module names");
    return kAllLinear;
  }
  DEEPER_REQUIRE(it->is_array() && !it->empty(), source, ": 'target_modules' must be a non-empty list");
  std::vector<std::string> targets;
  for (const auto& t : *it) {
    DEEPER_REQUIRE(t.is_string(), source, ": 'target_modules' entries must be strings");
    targets.push_back(t.get<std::string>());
  }
  return targets;
}

// The targeted linears of `model`; every target must match at least one module (as PEFT insists).
std::vector<std::pair<std::string, Linear*>> TargetedLinears(Transformer& model, const LoraConfig& config,
                                                             const std::string& source) {
  std::vector<std::pair<std::string, Linear*>> out;
  std::set<std::string> matched;
  for (const auto& [name, linear] : model.NamedLinears()) {
    if (!Targeted(name, config.target_modules)) continue;
    out.emplace_back(name, linear);
    for (const std::string& t : config.target_modules) {
      if (Targeted(name, {t})) matched.insert(t);
    }
  }
  for (const std::string& t : config.target_modules) {
    DEEPER_REQUIRE(matched.count(t), source, ": target module '", t, "' matches no linear layer of the model");
  }
  return out;
}

}  // namespace

double LoraConfig::scaling() const {
  return use_rslora ? alpha / std::sqrt(static_cast<double>(r)) : alpha / static_cast<double>(r);
}

LoraConfig ParseLoraConfig(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    Fail(source, ": not valid JSON (", e.what(), ")");
  }
  DEEPER_REQUIRE(j.is_object(), source, ": expected a JSON object");
  RefuseUnsupported(j, source);
  LoraConfig c;
  DEEPER_REQUIRE(j.contains("r") && j["r"].is_number_integer() && j["r"].get<int64_t>() > 0, source,
                 ": 'r' must be a positive integer");
  c.r = j["r"].get<int64_t>();
  DEEPER_REQUIRE(j.contains("lora_alpha") && j["lora_alpha"].is_number(), source, ": 'lora_alpha' must be a number");
  c.alpha = j["lora_alpha"].get<double>();
  auto dropout = j.find("lora_dropout");
  if (dropout != j.end() && !dropout->is_null()) {
    DEEPER_REQUIRE(dropout->is_number() && *dropout >= 0.0 && *dropout < 1.0, source, ": 'lora_dropout' must be in [0, 1)");
    c.dropout = dropout->get<double>();
  }
  c.target_modules = TargetModules(j, source);
  auto rslora = j.find("use_rslora");
  c.use_rslora = rslora != j.end() && rslora->is_boolean() && rslora->get<bool>();
  auto base = j.find("base_model_name_or_path");
  if (base != j.end() && base->is_string()) c.base_model_name_or_path = base->get<std::string>();
  return c;
}

std::string LoraConfigToJson(const LoraConfig& c) {
  json alpha = c.alpha == std::floor(c.alpha) ? json(static_cast<int64_t>(c.alpha)) : json(c.alpha);
  json j = {{"alpha_pattern", json::object()},
            {"auto_mapping", nullptr},
            {"base_model_name_or_path", c.base_model_name_or_path.empty() ? json(nullptr) : json(c.base_model_name_or_path)},
            {"bias", "none"},
            {"fan_in_fan_out", false},
            {"inference_mode", true},
            {"init_lora_weights", true},
            {"layer_replication", nullptr},
            {"layers_pattern", nullptr},
            {"layers_to_transform", nullptr},
            {"loftq_config", json::object()},
            {"lora_alpha", alpha},
            {"lora_bias", false},
            {"lora_dropout", c.dropout},
            {"megatron_config", nullptr},
            {"megatron_core", "megatron.core"},
            {"modules_to_save", nullptr},
            {"peft_type", "LORA"},
            {"r", c.r},
            {"rank_pattern", json::object()},
            {"revision", nullptr},
            {"target_modules", c.target_modules},
            {"task_type", "CAUSAL_LM"},
            {"use_dora", false},
            {"use_rslora", c.use_rslora}};
  return j.dump(2) + "\n";
}

void AttachLora(Transformer& model, const LoraConfig& config, uint64_t seed) {
  DEEPER_REQUIRE(!HasLora(model), "AttachLora: the model already has LoRA adapters");
  DEEPER_REQUIRE(config.r > 0, "AttachLora: r must be positive");
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  for (auto& [name, linear] : TargetedLinears(model, config, "AttachLora")) {
    const int64_t out = linear->weight.size(0), in = linear->weight.size(1);
    // kaiming_uniform_(a=sqrt(5)) on [r, in]: bound = sqrt(6 / ((1 + 5) * in)) = 1 / sqrt(in).
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    linear->lora_a = at::empty({config.r, in}, f32).uniform_(-bound, bound, gen).to(model.device()).requires_grad_(true);
    linear->lora_b = at::zeros({out, config.r}, f32.device(model.device())).requires_grad_(true);
    linear->lora_scaling = config.scaling();
    linear->lora_dropout = config.dropout;
  }
}

LoraConfig LoadLoraAdapter(Transformer& model, const std::string& dir) {
  DEEPER_REQUIRE(!HasLora(model), dir, ": the model already has LoRA adapters");
  const fs::path root(dir);
  const std::string config_path = (root / "adapter_config.json").string();
  DEEPER_REQUIRE(FileExists(config_path), config_path, ": not found (not a PEFT adapter directory?)");
  const LoraConfig config = ParseLoraConfig(ReadFile(config_path), config_path);
  const std::string weights = (root / "adapter_model.safetensors").string();
  DEEPER_REQUIRE(FileExists(weights), weights, ": not found",
                 FileExists((root / "adapter_model.bin").string()) ? " (pickled adapter_model.bin is not supported)" : "");
  const CheckpointReader reader(weights);
  std::set<std::string> used;
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(model.device());
  try {
    for (auto& [name, linear] : TargetedLinears(model, config, config_path)) {
      const int64_t out = linear->weight.size(0), in = linear->weight.size(1);
      const std::string a = kPeftPrefix + name + ".lora_A.weight", b = kPeftPrefix + name + ".lora_B.weight";
      DEEPER_REQUIRE(reader.Has(a) && reader.Has(b), weights, ": tensor '", reader.Has(a) ? b : a, "' is missing (",
                     name, " is targeted by adapter_config.json)");
      linear->lora_a = at::empty({config.r, in}, f32);
      linear->lora_b = at::empty({out, config.r}, f32);
      reader.CopyInto(a, linear->lora_a);
      reader.CopyInto(b, linear->lora_b);
      linear->lora_scaling = config.scaling();
      linear->lora_dropout = config.dropout;
      used.insert(a);
      used.insert(b);
    }
    for (const std::string& name : reader.Names()) {
      DEEPER_REQUIRE(used.count(name), weights, ": unexpected tensor '", name,
                     "' (matches no module targeted by adapter_config.json)");
    }
  } catch (...) {
    RemoveLora(model);  // Never leave a half-loaded adapter behind.
    throw;
  }
  return config;
}

void SaveLoraAdapter(const Transformer& model, const LoraConfig& config, const std::string& dir) {
  DEEPER_REQUIRE(HasLora(model), dir, ": the model has no LoRA adapters to save");
  std::map<std::string, at::Tensor> tensors;
  for (const auto& [name, tensor] : model.NamedParameters(ParamSet::kLora)) {
    if (name.size() >= 13 && name.compare(name.size() - 13, 13, "lora_A.weight") == 0) {
      DEEPER_REQUIRE(tensor.size(0) == config.r, dir, ": adapter '", name, "' has rank ", tensor.size(0),
                     ", the config says r = ", config.r);
    }
    tensors[kPeftPrefix + name] = tensor.detach();
  }
  MakeDirs(dir);
  SaveSafetensors((fs::path(dir) / "adapter_model.safetensors").string(), tensors);
  WriteFileAtomic((fs::path(dir) / "adapter_config.json").string(), LoraConfigToJson(config));
}

void MergeLora(Transformer& model) {
  c10::NoGradGuard no_grad;
  for (auto& [name, linear] : model.NamedLinears()) {
    if (!linear->has_lora()) continue;
    // PEFT: delta = (B @ A) * scaling in the adapter dtype, cast to the weight's dtype, added in place.
    at::Tensor delta = at::matmul(linear->lora_b, linear->lora_a) * linear->lora_scaling;
    linear->weight.add_(delta.to(linear->weight.scalar_type()));
  }
  RemoveLora(model);
}

void RemoveLora(Transformer& model) {
  for (auto& [name, linear] : model.NamedLinears()) {
    linear->lora_a = at::Tensor();
    linear->lora_b = at::Tensor();
    linear->lora_scaling = 0.0;
    linear->lora_dropout = 0.0;
  }
}

bool HasLora(const Transformer& model) {
  for (const DecoderLayer& l : model.layers()) {
    for (const Linear* linear : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj}) {
      if (linear->has_lora()) return true;
    }
  }
  return false;
}

}  // namespace deeper

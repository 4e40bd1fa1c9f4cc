// LoRA adapters on a Transformer's linear layers, in PEFT's layout and semantics.
//
// y = W x + b + scaling * B A dropout(x), scaling = alpha / r (alpha / sqrt(r) with use_rslora);
// A [r, in], B [out, r], both kept in fp32. Files (PEFT 0.x "LORA", task CAUSAL_LM):
//   adapter_config.json: r, lora_alpha, lora_dropout, target_modules, base_model_name_or_path,
//                        peft_type "LORA", task_type "CAUSAL_LM", bias "none", fan_in_fan_out false, ...
//   adapter_model.safetensors: base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight [r, in],
//                              base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight [out, r].
// DPO with LoRA: train the LoRA parameters (NamedParameters(ParamSet::kLora)), run the reference pass
// inside a LoraDisabledScope.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/transformer.h"

namespace deeper {

struct LoraConfig {
  int64_t r = 8;
  double alpha = 16.0;
  double dropout = 0.0;
  // Module names (last component): any of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.
  std::vector<std::string> target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
  bool use_rslora = false;
  std::string base_model_name_or_path;

  double scaling() const;
};

// Parses adapter_config.json text. Refuses what would change the math silently: peft_type other than
// LORA, use_dora, fan_in_fan_out, bias other than "none", lora_bias, non-empty rank/alpha patterns,
// layers_to_transform, modules_to_save, regex target_modules. "all-linear" means the seven projections.
LoraConfig ParseLoraConfig(const std::string& json_text, const std::string& source);
std::string LoraConfigToJson(const LoraConfig& config);

// Adds fresh adapters to every targeted linear layer as PEFT initialises them: A ~ kaiming-uniform
// (a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in))), B = 0, so the model's output is unchanged.
// A and B require grad; the base weights are left as they are (call SetRequiresGrad(false) for LoRA
// training). Deterministic for a seed. Throws when adapters are already attached.
void AttachLora(Transformer& model, const LoraConfig& config, uint64_t seed);

// Loads a PEFT adapter directory (adapter_config.json + adapter_model.safetensors, or .bin refused)
// onto `model`. Every targeted module needs both tensors with shapes [r, in] / [out, r]; tensors that
// match no module are an error. Returns the adapter's config. Adapters do not require grad.
LoraConfig LoadLoraAdapter(Transformer& model, const std::string& dir);

// Writes `dir`/adapter_config.json and `dir`/adapter_model.safetensors (atomically) in PEFT layout.
void SaveLoraAdapter(const Transformer& model, const LoraConfig& config, const std::string& dir);

// Folds every adapter into its base weight (W += scaling * B A, computed in fp32) and detaches them.
void MergeLora(Transformer& model);
// Detaches all adapters without merging.
void RemoveLora(Transformer& model);
// True when any linear layer carries an adapter.
bool HasLora(const Transformer& model);

// Turns the adapters off for a scope (e.g. the DPO reference forward); restores the previous state.
class LoraDisabledScope {
 public:
  explicit LoraDisabledScope(Transformer& model) : model_(model), was_(model.lora_enabled()) {
    model_.SetLoraEnabled(false);
  }
  ~LoraDisabledScope() { model_.SetLoraEnabled(was_); }
  LoraDisabledScope(const LoraDisabledScope&) = delete;
  LoraDisabledScope& operator=(const LoraDisabledScope&) = delete;

 private:
  Transformer& model_;
  bool was_;
};

}  // namespace deeper

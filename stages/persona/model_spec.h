// A model entry of the config's `models` section: which HF checkpoint, how to talk to it (chat
// format), where to run it, and an optional PEFT LoRA adapter on top. Torch-free, so stages and
// tools can read and rewrite entries without compiling libtorch.
#pragma once

#include <string>

#include "pipeline/config.h"

namespace deeper {

struct ModelSpec {
  std::string name;         // The entry's key ("refiner", "predictor"); names the model in messages.
  std::string path;         // HF checkpoint directory: config.json + safetensors.
  std::string tokenizer;    // Directory with tokenizer.json (+ tokenizer_config.json); "" = path.
  std::string chat_format;  // "llama3" or "chatml" (model/tokenizer/chat_format.h).
  std::string device;       // "cpu", "cuda", "cuda:N" or "auto" (a CUDA device per local rank).
  std::string dtype;        // "f32", "bf16", "f16"; "" = the device's default (f32 CPU, bf16 CUDA).
  std::string adapter;      // PEFT LoRA adapter directory applied on top of `path`; "" = none.

  // The directory tokenizer.json is read from.
  const std::string& tokenizer_dir() const { return tokenizer.empty() ? path : tokenizer; }
};

// The dotted config key of entry `name`: "models.<name>".
std::string ModelConfigKey(const std::string& name);

// Reads entry `name` of the `models` section. Throws deeper::Error naming the key when the entry is
// missing or its path is empty (a model must be configured before a stage that needs it runs).
ModelSpec ModelSpecFromConfig(const Config& config, const std::string& name);

// The refiner after a DPO iteration: `base` with the weights that the dpo stage left in `dpo_dir`
// (dpo_dir/adapter/ for LoRA training, dpo_dir/model/ for full fine-tuning; see stages/refinement).
// The tokenizer and chat format stay those of `base`.
ModelSpec TrainedRefinerSpec(const ModelSpec& base, const std::string& dpo_dir);

}  // namespace deeper

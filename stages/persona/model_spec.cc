#include "stages/persona/model_spec.h"

#include <filesystem>

#include "common/error.h"

namespace deeper {

std::string ModelConfigKey(const std::string& name) { return "models." + name; }

ModelSpec ModelSpecFromConfig(const Config& config, const std::string& name) {
  const std::string key = ModelConfigKey(name);
  DEEPER_REQUIRE(config.Has(key), config.source(), ": no model '", name, "' in section models (known: refiner, predictor)");
  ModelSpec spec;
  spec.name = name;
  spec.path = config.Get<std::string>(key + ".path");
  spec.tokenizer = config.Get<std::string>(key + ".tokenizer");
  spec.chat_format = config.Get<std::string>(key + ".chat_format");
  spec.device = config.Get<std::string>(key + ".device");
  spec.dtype = config.Get<std::string>(key + ".dtype");
  spec.adapter = config.Get<std::string>(key + ".adapter");
  DEEPER_REQUIRE(!spec.path.empty(), config.source(), ": ", key,
                 ".path is empty; set it to an HF checkpoint directory (config.json, safetensors, tokenizer.json)");
  return spec;
}

ModelSpec TrainedRefinerSpec(const ModelSpec& base, const std::string& dpo_dir) {
  namespace fs = std::filesystem;
  ModelSpec spec = base;
  spec.name = base.name + " (trained in " + fs::path(dpo_dir).filename().string() + ")";
  const fs::path adapter = fs::path(dpo_dir) / "adapter";
  const fs::path model = fs::path(dpo_dir) / "model";
  if (fs::exists(adapter / "adapter_config.json")) {
    // LoRA training continued from base.adapter when there was one, so the new adapter replaces it.
    spec.adapter = adapter.string();
  } else {
    DEEPER_REQUIRE(fs::exists(model / "config.json"), dpo_dir, ": holds neither adapter/ nor model/ (did the dpo stage finish?)");
    spec.tokenizer = base.tokenizer_dir();
    spec.path = model.string();
    spec.adapter.clear();
  }
  return spec;
}

}  // namespace deeper

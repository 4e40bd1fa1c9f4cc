#include "stages/refinement/dpo_config.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>

#include "common/error.h"

namespace deeper {
namespace {

std::string IterKey(int iteration) { return "iter" + std::to_string(iteration); }
bool IsIterKey(const std::string& key) { return key == "iter1" || key == "iter2"; }

std::string FlowText(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

void Apply(TrainConfig* train, const std::string& key, const YAML::Node& value, const std::string& where) {
  try {
    ApplyTrainOverride(train, key + "=" + FlowText(value));
  } catch (const Error& e) {
    Fail(where, ": ", e.what());
  }
}

}  // namespace

const std::vector<std::string>& PipelineOwnedDpoKeys() {
  static const std::vector<std::string> keys = {"model_name_or_path", "ref_model", "pairs",   "dataset",
                                                "tokenizer",          "template",  "output_dir", "resume",
                                                "seed",               "pref_margin", "adapter_name_or_path", "threads"};
  return keys;
}

std::vector<std::string> DpoConfigKeys(const Config& config, int iteration) {
  std::vector<std::string> keys;
  for (const auto& entry : config.At("dpo")) {
    const std::string key = entry.first.as<std::string>();
    if (!IsIterKey(key)) keys.push_back("dpo." + key);
  }
  keys.push_back("dpo." + IterKey(iteration));
  keys.push_back(ModelConfigKey("refiner"));
  keys.push_back("run.seed");
  return keys;
}

TrainConfig DpoTrainConfig(const Config& config, int iteration, const ModelSpec& refiner, const DpoPaths& paths,
                           double loss_margin) {
  TrainConfig train;
  const auto& owned = PipelineOwnedDpoKeys();
  for (const auto& entry : config.At("dpo")) {
    const std::string key = entry.first.as<std::string>();
    if (!IsIterKey(key)) Apply(&train, key, entry.second, config.source() + ": dpo." + key);
  }
  const YAML::Node overrides = config.At("dpo." + IterKey(iteration));
  for (const auto& entry : overrides) {
    const std::string key = entry.first.as<std::string>();
    const std::string where = config.source() + ": dpo." + IterKey(iteration) + "." + key;
    DEEPER_REQUIRE(std::find(owned.begin(), owned.end(), key) == owned.end(), where,
                   ": the pipeline sets this key itself (the loss margin is pair_mining.iterN.loss_margin)");
    Apply(&train, key, entry.second, where);
  }
  const bool lora = train.finetuning_type == "lora";
  train.seed = config.Get<uint64_t>("run.seed");
  train.pairs = paths.pairs;
  train.output_dir = paths.output_dir;
  train.resume = true;  // a stage interrupted mid-training continues from its last checkpoint
  train.pref_margin = loss_margin;
  train.tokenizer = refiner.tokenizer_dir();
  train.template_name = refiner.chat_format;
  if (train.global_batch_size == 0) train.global_batch_size = train.per_device_train_batch_size * train.gradient_accumulation_steps;
  namespace fs = std::filesystem;
  if (iteration == 1) {
    train.model_name_or_path = refiner.path;
    DEEPER_REQUIRE(lora || refiner.adapter.empty(), config.source(),
                   ": full fine-tuning of a refiner with an adapter needs merged weights; merge models.refiner.adapter "
                   "into a checkpoint first or train with LoRA");
    if (lora) train.adapter_name_or_path = refiner.adapter;
  } else {
    const fs::path adapter = fs::path(paths.previous_dpo_dir) / "adapter";
    const fs::path model = fs::path(paths.previous_dpo_dir) / "model";
    if (lora) {
      DEEPER_REQUIRE(fs::exists(adapter / "adapter_config.json"), config.source(), ": dpo iteration ", iteration,
                     " trains LoRA but iteration ", iteration - 1, " left no adapter in ", paths.previous_dpo_dir,
                     " (use the same finetuning_type in both iterations)");
      train.model_name_or_path = refiner.path;
      train.adapter_name_or_path = adapter.string();
    } else {
      DEEPER_REQUIRE(fs::exists(model / "config.json"), config.source(), ": dpo iteration ", iteration,
                     " trains fully but iteration ", iteration - 1, " left no model in ", paths.previous_dpo_dir,
                     " (use the same finetuning_type in both iterations)");
      train.model_name_or_path = model.string();
    }
  }
  ValidateTrainConfig(train);
  return train;
}

}  // namespace deeper

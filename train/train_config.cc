#include "train/train_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <variant>

#include "common/error.h"

namespace deeper {
namespace {

using FieldPtr = std::variant<std::string TrainConfig::*, bool TrainConfig::*, int TrainConfig::*,
                              int64_t TrainConfig::*, uint64_t TrainConfig::*, double TrainConfig::*,
                              std::vector<std::string> TrainConfig::*>;

struct Field {
  const char* key;
  FieldPtr ptr;
};

// Every key of the YAML file, in documentation order.
const std::vector<Field>& Fields() {
  static const std::vector<Field> fields = {
      {"model_name_or_path", &TrainConfig::model_name_or_path},
      {"ref_model", &TrainConfig::ref_model},
      {"pairs", &TrainConfig::pairs},
      {"dataset", &TrainConfig::dataset},
      {"tokenizer", &TrainConfig::tokenizer},
      {"template", &TrainConfig::template_name},
      {"output_dir", &TrainConfig::output_dir},
      {"resume", &TrainConfig::resume},
      {"device", &TrainConfig::device},
      {"dtype", &TrainConfig::dtype},
      {"threads", &TrainConfig::threads},
      {"seed", &TrainConfig::seed},
      {"pref_loss", &TrainConfig::pref_loss},
      {"pref_beta", &TrainConfig::pref_beta},
      {"pref_ftx", &TrainConfig::pref_ftx},
      {"pref_margin", &TrainConfig::pref_margin},
      {"dpo_label_smoothing", &TrainConfig::dpo_label_smoothing},
      {"finetuning_type", &TrainConfig::finetuning_type},
      {"lora_rank", &TrainConfig::lora_rank},
      {"lora_alpha", &TrainConfig::lora_alpha},
      {"lora_dropout", &TrainConfig::lora_dropout},
      {"lora_target", &TrainConfig::lora_target},
      {"adapter_name_or_path", &TrainConfig::adapter_name_or_path},
      {"learning_rate", &TrainConfig::learning_rate},
      {"lr_scheduler_type", &TrainConfig::lr_scheduler_type},
      {"warmup_steps", &TrainConfig::warmup_steps},
      {"warmup_ratio", &TrainConfig::warmup_ratio},
      {"weight_decay", &TrainConfig::weight_decay},
      {"adam_beta1", &TrainConfig::adam_beta1},
      {"adam_beta2", &TrainConfig::adam_beta2},
      {"adam_epsilon", &TrainConfig::adam_epsilon},
      {"max_grad_norm", &TrainConfig::max_grad_norm},
      {"num_train_epochs", &TrainConfig::num_train_epochs},
      {"max_steps", &TrainConfig::max_steps},
      {"per_device_train_batch_size", &TrainConfig::per_device_train_batch_size},
      {"gradient_accumulation_steps", &TrainConfig::gradient_accumulation_steps},
      {"global_batch_size", &TrainConfig::global_batch_size},
      {"micro_batch_tokens", &TrainConfig::micro_batch_tokens},
      {"cutoff_len", &TrainConfig::cutoff_len},
      {"max_prompt_len", &TrainConfig::max_prompt_len},
      {"bucket_mb", &TrainConfig::bucket_mb},
      {"exact_gradient_sum", &TrainConfig::exact_gradient_sum},
      {"gradient_checkpointing", &TrainConfig::gradient_checkpointing},
      {"val_size", &TrainConfig::val_size},
      {"eval_steps", &TrainConfig::eval_steps},
      {"save_steps", &TrainConfig::save_steps},
      {"save_total_limit", &TrainConfig::save_total_limit},
      {"logging_steps", &TrainConfig::logging_steps},
  };
  return fields;
}

const Field* FindField(const std::string& key) {
  for (const Field& field : Fields()) {
    if (key == field.key) return &field;
  }
  return nullptr;
}

template <typename T>
T As(const YAML::Node& node, const std::string& where) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    Fail(where, ": wrong type of value '", YAML::Dump(node), "'");
  }
}

void SetField(TrainConfig* config, const Field& field, const YAML::Node& node, const std::string& where) {
  std::visit(
      [&](auto ptr) {
        using T = std::decay_t<decltype(config->*ptr)>;
        if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          // A list, or one comma-separated string as LLaMA-Factory writes lora_target.
          std::vector<std::string> values;
          if (node.IsSequence()) {
            for (const YAML::Node& item : node) values.push_back(As<std::string>(item, where));
          } else {
            std::string text = As<std::string>(node, where);
            size_t start = 0;
            while (start <= text.size()) {
              size_t comma = text.find(',', start);
              if (comma == std::string::npos) comma = text.size();
              std::string item = text.substr(start, comma - start);
              item.erase(0, item.find_first_not_of(' '));
              item.erase(item.find_last_not_of(' ') + 1);
              if (!item.empty()) values.push_back(item);
              start = comma + 1;
            }
          }
          config->*ptr = values;
        } else if constexpr (std::is_same_v<T, std::string>) {
          config->*ptr = node.IsNull() ? std::string() : As<std::string>(node, where);
        } else {
          config->*ptr = As<T>(node, where);
        }
      },
      field.ptr);
}

nlohmann::json FieldJson(const TrainConfig& config, const Field& field) {
  return std::visit([&](auto ptr) { return nlohmann::json(config.*ptr); }, field.ptr);
}

}  // namespace

TrainConfig ParseTrainConfig(const std::string& yaml_text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    Fail(source, ": invalid YAML: ", e.what());
  }
  TrainConfig config;
  if (root.IsNull()) return config;
  DEEPER_REQUIRE(root.IsMap(), source, ": expected a mapping of keys to values");
  for (const auto& item : root) {
    const std::string key = item.first.as<std::string>();
    const Field* field = FindField(key);
    DEEPER_REQUIRE(field != nullptr, source, ": unknown key '", key, "' (see train/README.md for the keys)");
    SetField(&config, *field, item.second, source + ": key '" + key + "'");
  }
  return config;
}

void ApplyTrainOverride(TrainConfig* config, const std::string& assignment) {
  const size_t eq = assignment.find('=');
  DEEPER_REQUIRE(eq != std::string::npos && eq > 0, "override '", assignment, "' is not key=value");
  const std::string key = assignment.substr(0, eq);
  const Field* field = FindField(key);
  DEEPER_REQUIRE(field != nullptr, "override '", assignment, "': unknown key '", key, "'");
  YAML::Node node;
  try {
    node = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    Fail("override '", assignment, "': invalid value: ", e.what());
  }
  SetField(config, *field, node, "override '" + assignment + "'");
}

void ValidateTrainConfig(const TrainConfig& c) {
  DEEPER_REQUIRE(!c.model_name_or_path.empty(), "model_name_or_path is required");
  DEEPER_REQUIRE(!c.pairs.empty(), "pairs is required");
  DEEPER_REQUIRE(!c.output_dir.empty(), "output_dir is required");
  DEEPER_REQUIRE(c.finetuning_type == "lora" || c.finetuning_type == "full", "finetuning_type '",
                 c.finetuning_type, "' is not supported (lora or full)");
  DEEPER_REQUIRE(c.finetuning_type == "full" || c.ref_model.empty(),
                 "ref_model applies to finetuning_type full (with LoRA the reference is the base model)");
  DEEPER_REQUIRE(c.lora_rank > 0, "lora_rank must be > 0");
  DEEPER_REQUIRE(c.lora_dropout >= 0 && c.lora_dropout < 1, "lora_dropout must be in [0, 1)");
  DEEPER_REQUIRE(c.learning_rate >= 0, "learning_rate must be >= 0");
  DEEPER_REQUIRE(c.warmup_steps >= 0 && c.warmup_ratio >= 0 && c.warmup_ratio < 1,
                 "warmup_steps must be >= 0 and warmup_ratio in [0, 1)");
  DEEPER_REQUIRE(c.max_grad_norm >= 0, "max_grad_norm must be >= 0");
  DEEPER_REQUIRE(c.num_train_epochs > 0 || c.max_steps > 0, "num_train_epochs or max_steps must be > 0");
  DEEPER_REQUIRE(c.per_device_train_batch_size > 0, "per_device_train_batch_size must be > 0");
  DEEPER_REQUIRE(c.gradient_accumulation_steps > 0, "gradient_accumulation_steps must be > 0");
  DEEPER_REQUIRE(c.global_batch_size >= 0 && c.micro_batch_tokens >= 0, "batch sizes must be >= 0");
  DEEPER_REQUIRE(c.cutoff_len >= 0, "cutoff_len must be >= 0");
  DEEPER_REQUIRE(c.bucket_mb > 0, "bucket_mb must be > 0");
  DEEPER_REQUIRE(c.val_size >= 0 && c.val_size < 1, "val_size must be a fraction in [0, 1)");
  DEEPER_REQUIRE(c.eval_steps >= 0 && c.save_steps >= 0 && c.save_total_limit >= 0 && c.logging_steps >= 0,
                 "eval_steps, save_steps, save_total_limit and logging_steps must be >= 0");
}

std::string TrainConfigToJson(const TrainConfig& config) {
  nlohmann::json j = nlohmann::json::object();
  for (const Field& field : Fields()) j[field.key] = FieldJson(config, field);
  return j.dump();
}

std::vector<std::string> TrajectoryKeys() {
  return {"model_name_or_path", "ref_model", "seed", "pref_loss", "pref_beta", "pref_ftx", "pref_margin",
          "dpo_label_smoothing", "finetuning_type", "lora_rank", "lora_alpha", "lora_dropout", "lora_target",
          "adapter_name_or_path", "learning_rate", "lr_scheduler_type", "warmup_steps", "warmup_ratio",
          "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon", "max_grad_norm", "num_train_epochs",
          "max_steps", "cutoff_len", "max_prompt_len", "val_size", "dtype"};
}

}  // namespace deeper

#include "stages/refinement/stage_support.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/error.h"
#include "model/runtime.h"
#include "pipeline/shard.h"
#include "stages/context_building/stage.h"
#include "stages/persona/prompts.h"

namespace deeper {

std::string DirectionSamplingStage(int iteration) { return "direction_sampling_" + std::to_string(iteration); }
std::string RewardAssignmentStage(int iteration) { return "reward_assignment_" + std::to_string(iteration); }
std::string PairMiningStage(int iteration) { return "pair_mining_" + std::to_string(iteration); }
std::string DpoStage(int iteration) { return "dpo_iter" + std::to_string(iteration); }

int UserShardCount(const Config& config) { return config.Get<int>("context_building.num_shards"); }

std::string InputShard(const StageContext& context, const std::string& stage, int shard) {
  const auto shards = context.InputShards(stage);
  DEEPER_REQUIRE(static_cast<int>(shards.size()) == context.num_shards, "stage '", stage, "' has ", shards.size(),
                 " shards, expected ", context.num_shards, " (one per context_building shard)");
  return shards[static_cast<size_t>(shard)];
}

std::vector<UserContext> ReadUsers(const StageContext& context, int shard) {
  return UsersFromShard(ShardReader(InputShard(context, kContextBuilding, shard)));
}

std::vector<std::string> PredictionConfigKeys(const Config& config) {
  return {"prediction", ModelConfigKey(config.Get<std::string>("prediction.model")), PromptConfigKey("predict_system"),
          PromptConfigKey("predict_item")};
}

std::vector<std::string> PersonaWritingConfigKeys(const std::string& prompt) {
  return {"persona",
          PromptConfigKey("persona_system"),
          PromptConfigKey(prompt),
          PromptConfigKey("rated_item"),
          PromptConfigKey("refinement_item"),
          "prediction.default_scale",
          "prediction.scales"};
}

std::vector<std::string> Join(std::vector<std::string> a, const std::vector<std::string>& b) {
  for (const auto& key : b) {
    if (std::find(a.begin(), a.end(), key) == a.end()) a.push_back(key);
  }
  return a;
}

std::vector<UserContext> TrainingUsers(const Config& config, std::vector<UserContext> users, int first_window,
                                       int last_window) {
  const auto splits = config.Get<std::vector<std::string>>("direction_sampling.splits");
  const auto limit = config.Get<int64_t>("direction_sampling.max_contexts_per_shard");
  std::vector<UserContext> selected;
  for (auto& user : users) {
    if (limit > 0 && static_cast<int64_t>(selected.size()) >= limit) break;
    if (std::find(splits.begin(), splits.end(), user.split) == splits.end()) continue;
    if (!HasWindows(user, first_window, last_window)) continue;
    selected.push_back(std::move(user));
  }
  return selected;
}

std::vector<std::string> TrainingUserConfigKeys() {
  return {"direction_sampling.splits", "direction_sampling.max_contexts_per_shard"};
}

std::vector<std::string> ModelInputFiles(const Config& config, const std::string& model_name) {
  namespace fs = std::filesystem;
  const ModelSpec spec = ModelSpecFromConfig(config, model_name);
  std::vector<std::string> files = {(fs::path(spec.path) / "config.json").string(),
                                    (fs::path(spec.tokenizer_dir()) / "tokenizer.json").string()};
  const fs::path tokenizer_config = fs::path(spec.tokenizer_dir()) / "tokenizer_config.json";
  if (fs::exists(tokenizer_config)) files.push_back(tokenizer_config.string());
  if (!spec.adapter.empty()) {
    files.push_back((fs::path(spec.adapter) / "adapter_config.json").string());
    files.push_back((fs::path(spec.adapter) / "adapter_model.safetensors").string());
  }
  return files;
}

void ConfigureTorchThreads(const Config& config) {
  int threads = config.Get<int>("run.threads");
  if (threads <= 0) {
    int local_ranks = 1;
    for (const char* name : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"}) {
      const char* value = std::getenv(name);
      if (value && std::atoi(value) > 0) {
        local_ranks = std::atoi(value);
        break;
      }
    }
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    threads = std::max(1, cores / local_ranks);
  }
  SetTorchThreads(threads);
}

bool SameModel(const ModelSpec& a, const ModelSpec& b) {
  return a.path == b.path && a.tokenizer_dir() == b.tokenizer_dir() && a.chat_format == b.chat_format &&
         a.device == b.device && a.dtype == b.dtype && a.adapter == b.adapter;
}

const ModelBundle& ModelHandle::Get() {
  if (same_as_ && SameModel(spec_, same_as_->spec_)) return same_as_->Get();
  if (!bundle_) bundle_ = ModelBundle::Load(spec_);
  return *bundle_;
}

}  // namespace deeper

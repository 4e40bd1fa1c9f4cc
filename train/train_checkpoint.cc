#include "train/train_checkpoint.h"

#include <ATen/ATen.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "model/checkpoint.h"
#include "model/lora.h"
#include "model/transformer.h"
#include "train/adamw.h"

namespace deeper {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kPrefix[] = "checkpoint-";

// The step of a "checkpoint-<step>" name, or -1.
int64_t StepOf(const std::string& name) {
  const std::string prefix = kPrefix;
  if (name.compare(0, prefix.size(), prefix) != 0 || name.size() == prefix.size()) return -1;
  int64_t step = 0;
  for (size_t i = prefix.size(); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    step = step * 10 + (name[i] - '0');
  }
  return step;
}

std::string StateToJson(const TrainState& state) {
  json j;
  j["global_step"] = state.global_step;
  j["total_steps"] = state.total_steps;
  j["steps_per_epoch"] = state.steps_per_epoch;
  j["data_cursor"] = {{"epoch", state.epoch}, {"batch_in_epoch", state.batch_in_epoch}};
  j["lr_scheduler"] = {{"step", state.global_step}};
  j["global_batch_size"] = state.global_batch_size;
  j["world_size"] = state.world_size;
  // Every random draw (LoRA dropout, shuffles) is re-keyed from (seed, step, rank, micro-batch) or
  // (seed, epoch), so the seed and the step are the complete RNG state.
  j["rng"] = {{"seed", state.seed}, {"scheme", "keyed: shuffle (seed, epoch); dropout (seed, step, rank, micro_batch)"}};
  j["data_fingerprint"] = state.data_fingerprint;
  j["config"] = json::parse(state.config_json.empty() ? "{}" : state.config_json);
  j["metrics"] = state.metrics_json.empty() ? json::object() : json::parse(state.metrics_json);
  return j.dump(2) + "\n";
}

void RemoveQuietly(const fs::path& path) {
  std::error_code ignored;
  TryRemoveTree(path);
}

}  // namespace

std::string SaveTrainCheckpoint(const std::string& output_dir, const TrainState& state, const Transformer& model,
                                const LoraConfig* lora, const AdamW& optimizer) {
  MakeDirs(output_dir);
  const std::string name = kPrefix + std::to_string(state.global_step);
  const fs::path final_path = fs::path(output_dir) / name;
  const fs::path tmp = fs::path(output_dir) / ("." + name + ".tmp-" + std::to_string(::getpid()));
  RemoveQuietly(tmp);
  fs::create_directories(tmp);
  try {
    if (lora != nullptr) {
      SaveLoraAdapter(model, *lora, (tmp / "adapter").string());
    } else {
      model.Save((tmp / "model").string());
    }
    SaveSafetensors((tmp / "optimizer.safetensors").string(), optimizer.StateTensors(),
                    {{"format", "pt"}, {"step", std::to_string(optimizer.step())}});
    // The state file last: its presence inside the renamed directory is what a reader relies on.
    WriteFileAtomic((tmp / "trainer_state.json").string(), StateToJson(state));
    SyncDirectory(tmp.string());
  } catch (...) {
    RemoveQuietly(tmp);
    throw;
  }
  // A directory cannot be renamed over a non-empty one: move an old copy of the same step aside first.
  const fs::path old = fs::path(output_dir) / ("." + name + ".old-" + std::to_string(::getpid()));
  if (fs::exists(final_path)) fs::rename(final_path, old);
  fs::rename(tmp, final_path);
  SyncDirectory(output_dir);
  RemoveQuietly(old);
  return final_path.string();
}

std::vector<std::string> ListCheckpoints(const std::string& output_dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code error;
  if (!fs::is_directory(output_dir, error)) return {};
  for (const auto& entry : fs::directory_iterator(output_dir)) {
    const int64_t step = StepOf(entry.path().filename().string());
    if (step >= 0 && fs::exists(entry.path() / "trainer_state.json")) found.emplace_back(step, entry.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  for (auto& [step, path] : found) paths.push_back(path);
  return paths;
}

std::optional<std::string> LatestCheckpoint(const std::string& output_dir) {
  std::vector<std::string> all = ListCheckpoints(output_dir);
  if (all.empty()) return std::nullopt;
  return all.back();
}

TrainState ReadTrainState(const std::string& checkpoint_dir) {
  const std::string path = (fs::path(checkpoint_dir) / "trainer_state.json").string();
  TrainState state;
  try {
    const json j = json::parse(ReadFile(path));
    state.global_step = j.at("global_step").get<int64_t>();
    state.total_steps = j.at("total_steps").get<int64_t>();
    state.steps_per_epoch = j.at("steps_per_epoch").get<int64_t>();
    state.epoch = j.at("data_cursor").at("epoch").get<int64_t>();
    state.batch_in_epoch = j.at("data_cursor").at("batch_in_epoch").get<int64_t>();
    state.global_batch_size = j.at("global_batch_size").get<int64_t>();
    state.world_size = j.at("world_size").get<int>();
    state.seed = j.at("rng").at("seed").get<uint64_t>();
    state.data_fingerprint = j.at("data_fingerprint").get<std::string>();
    state.config_json = j.at("config").dump();
    state.metrics_json = j.at("metrics").dump();
  } catch (const json::exception& e) {
    Fail(path, ": malformed trainer state: ", e.what());
  }
  return state;
}

void LoadOptimizerState(const std::string& checkpoint_dir, AdamW& optimizer, int64_t step) {
  const std::string path = (fs::path(checkpoint_dir) / "optimizer.safetensors").string();
  optimizer.LoadState(LoadSafetensors(path), step, path);
}

void PruneCheckpoints(const std::string& output_dir, int64_t keep) {
  if (keep <= 0) return;
  std::vector<std::string> all = ListCheckpoints(output_dir);
  for (size_t i = 0; i + static_cast<size_t>(keep) < all.size(); ++i) RemoveQuietly(all[i]);
}

}  // namespace deeper

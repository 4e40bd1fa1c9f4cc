// The only unit of the stage library that includes libtorch headers (the communicator); see dpo_stage.h.
#include "stages/refinement/dpo_stage.h"

#include <filesystem>

#include "common/error.h"
#include "common/files.h"
#include "distributed/collectives/communicator.h"
#include "pipeline/shard.h"
#include "stages/refinement/dpo_config.h"
#include "stages/refinement/pair_records.h"
#include "stages/refinement/stage_support.h"
#include "stages/refinement/stages.h"
#include "train/pairs.h"
#include "train/train_checkpoint.h"
#include "train/trainer.h"

namespace deeper {
namespace {
namespace fs = std::filesystem;

// Hard links where the file system allows them (no second copy of a large checkpoint), else copies.
void LinkOrCopyTree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& entry : fs::directory_iterator(from)) {
    const fs::path target = to / entry.path().filename();
    if (entry.is_directory()) {
      LinkOrCopyTree(entry.path(), target);
      continue;
    }
    std::error_code error;
    fs::create_hard_link(entry.path(), target, error);
    if (error) fs::copy_file(entry.path(), target, fs::copy_options::overwrite_existing);
  }
}

// Copies `from` to `to` via a temporary sibling and a rename, so `to` is complete whenever it exists.
void PublishTree(const fs::path& from, const fs::path& to) {
  const fs::path tmp = TemporarySibling(to.string());
  RemoveTree(tmp);
  LinkOrCopyTree(from, tmp);
  RemoveTree(to);
  fs::rename(tmp, to);
  SyncDirectory(to.parent_path().string());
}

class DpoTrainingStage : public Stage {
 public:
  DpoTrainingStage(const Config& config, int iteration)
      : iteration_(iteration), config_keys_(DpoConfigKeys(config, iteration)) {}

  std::string Name() const override { return DpoStage(iteration_); }
  std::string Description() const override {
    return "DPO training of the refiner on pair_mining_" + std::to_string(iteration_) + "'s pairs";
  }
  std::vector<std::string> Inputs() const override {
    if (iteration_ == 1) return {PairMiningStage(1)};
    return {DpoStage(iteration_ - 1), PairMiningStage(iteration_)};
  }
  std::vector<std::string> ConfigKeys() const override { return config_keys_; }
  std::vector<std::string> ExternalInputs(const Config& config) const override {
    return ModelInputFiles(config, "refiner");
  }

  void Run(StageContext& context) override {
    ConfigureTorchThreads(context.config);
    const fs::path dir = context.stage_dir;
    const std::string pairs_path = (dir / "pairs.h5").string();
    const double margin = MergePairs(context, pairs_path);
    DpoPaths paths;
    paths.pairs = pairs_path;
    paths.output_dir = (dir / "training").string();
    if (iteration_ > 1) paths.previous_dpo_dir = context.input_dirs.at(DpoStage(iteration_ - 1));
    const ModelSpec refiner = ModelSpecFromConfig(context.config, "refiner");
    const TrainConfig train = DpoTrainConfig(context.config, iteration_, refiner, paths, margin);
    auto comm = MakeCommunicator(ResolveTrainDevice(train.device));
    TrainDpo(train, *comm);
    if (context.world.is_root()) Publish(train, refiner, dir);
  }

 private:
  // Rank 0 concatenates the mined shards into one pair shard; every rank returns the loss margin.
  double MergePairs(StageContext& context, const std::string& pairs_path) {
    const auto shards = context.InputShards(PairMiningStage(iteration_));
    double margin = 0.0;
    PairSet set;
    for (size_t i = 0; i < shards.size(); ++i) {
      const ShardReader reader(shards[i]);
      const double m = PairShardLossMargin(reader);
      DEEPER_REQUIRE(i == 0 || m == margin, shards[i], ": loss_margin ", m, " differs from the other shards' ", margin);
      margin = m;
      if (!context.world.is_root()) continue;
      PairSet part = ReadPairShard(shards[i]);
      for (auto& pair : part.pairs) set.pairs.push_back(std::move(pair));
    }
    if (context.world.is_root()) {
      DEEPER_REQUIRE(!set.pairs.empty(), PairMiningStage(iteration_), " found no pairs (no context had candidates ",
                     "far enough apart in reward); lower pair_mining.iter", iteration_,
                     ".min_gap or sample more candidates");
      WritePairShard(pairs_path, set);
    }
    context.world.Barrier();
    return margin;
  }

  // Puts the final adapter or weights where later stages look for them.
  void Publish(const TrainConfig& train, const ModelSpec& refiner, const fs::path& dir) const {
    const auto last = LatestCheckpoint(train.output_dir);
    DEEPER_REQUIRE(last.has_value(), train.output_dir, ": training left no checkpoint");
    if (train.finetuning_type == "lora") {
      PublishTree(fs::path(*last) / "adapter", dir / "adapter");
      return;
    }
    // A servable HF checkpoint also needs the tokenizer.
    const fs::path staged = dir / ".model.staged";
    RemoveTree(staged);
    LinkOrCopyTree(fs::path(*last) / "model", staged);
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                             "generation_config.json"}) {
      const fs::path source = fs::path(refiner.tokenizer_dir()) / name;
      if (fs::exists(source)) fs::copy_file(source, staged / name, fs::copy_options::overwrite_existing);
    }
    PublishTree(staged, dir / "model");
    RemoveTree(staged);
  }

  int iteration_;
  std::vector<std::string> config_keys_;
};

}  // namespace

std::unique_ptr<Stage> MakeDpoStage(const Config& config, int iteration) {
  return std::make_unique<DpoTrainingStage>(config, iteration);
}

}  // namespace deeper

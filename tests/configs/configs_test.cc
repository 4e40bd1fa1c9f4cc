// configs/paper.yaml, configs/ci.yaml, configs/quickstart.yaml and configs/release_sample.yaml: valid
// configs
// (unknown keys are refused when they load),
// the released settings where the paper gives them, and `deeper run --dry-run` passing without model
// weights or data: empty placeholders stand in for the files whose contents enter the plan hashes
// (the data sources, each model's config.json and tokenizer.json).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/config.h"
#include "common/files.h"

namespace deeper {
namespace {
namespace fs = std::filesystem;

std::string SourcePath(const std::string& relative) { return std::string(DEEPER_SOURCE_DIR) + "/" + relative; }

// Runs `command` in `dir`; returns its exit status and output.
int RunIn(const std::string& dir, const std::string& command, std::string* output) {
  FILE* pipe = popen(("cd '" + dir + "' && " + command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) output->append(buffer, n);
  return pclose(pipe);
}

std::string TempDir(const std::string& tag) {
  const fs::path dir = fs::temp_directory_path() / ("deeper-" + tag + "-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  return dir.string();
}

TEST(PaperConfig, HasTheReleasedSettings) {
  const Config c = Config::Resolve(SourcePath("configs/paper.yaml"), {});
  EXPECT_EQ(c.Get<std::string>("dpo.finetuning_type"), "lora");
  EXPECT_EQ(c.Get<int>("dpo.lora_rank"), 16);
  EXPECT_DOUBLE_EQ(c.Get<double>("dpo.lora_alpha"), 32.0);
  EXPECT_DOUBLE_EQ(c.Get<double>("dpo.lora_dropout"), 0.2);
  EXPECT_EQ(c.Get<std::vector<std::string>>("dpo.lora_target"), std::vector<std::string>{"all"});
  EXPECT_EQ(c.Get<std::string>("dpo.pref_loss"), "sigmoid");
  EXPECT_DOUBLE_EQ(c.Get<double>("dpo.pref_beta"), 0.2);
  EXPECT_DOUBLE_EQ(c.Get<double>("dpo.pref_ftx"), 0.1);
  EXPECT_DOUBLE_EQ(c.Get<double>("dpo.learning_rate"), 5e-6);
  EXPECT_EQ(c.Get<std::string>("dpo.lr_scheduler_type"), "cosine");
  EXPECT_EQ(c.Get<int>("dpo.warmup_steps"), 250);
  EXPECT_DOUBLE_EQ(c.Get<double>("dpo.num_train_epochs"), 4.0);
  EXPECT_EQ(c.Get<int>("dpo.cutoff_len"), 2048);
  EXPECT_EQ(c.Get<int>("dpo.per_device_train_batch_size"), 4);
  EXPECT_EQ(c.Get<int>("dpo.gradient_accumulation_steps"), 8);
  EXPECT_DOUBLE_EQ(c.Get<double>("dpo.max_grad_norm"), 1.0);
  EXPECT_DOUBLE_EQ(c.Get<double>("dpo.val_size"), 0.1);
  EXPECT_EQ(c.Get<int>("dpo.eval_steps"), 100);
  EXPECT_EQ(c.Get<int>("dpo.save_steps"), 100);
  EXPECT_EQ(c.Get<std::string>("dpo.dtype"), "bf16");
  EXPECT_EQ(c.Get<int>("direction_sampling.num_candidates"), 8);
  EXPECT_EQ(c.Get<int>("evaluation.rounds"), 4);
  // The six training domains, each with its split CSV.
  int train_sources = 0;
  for (const auto& source : c.At("context_building.sources")) {
    train_sources += source["format"].as<std::string>() == "deeper_csv" ? 1 : 0;
  }
  EXPECT_EQ(train_sources, 6);
}

void Touch(const fs::path& path) {
  fs::create_directories(path.parent_path());
  std::ofstream(path.string()).put('\n');
}

// The data sources as empty placeholders (relative paths, under the run's working directory).
void MakeSourcePlaceholders(const Config& config, const std::string& root) {
  for (const auto& source : config.At("context_building.sources")) {
    const fs::path path = fs::path(root) / source["path"].as<std::string>();
    if (source["format"].as<std::string>() == "deeper_jsonl") {
      fs::create_directories(path);
    } else {
      Touch(path);
    }
  }
}

// The stages' plan hashes cover each model's config.json and tokenizer files (not the weights): a dry
// run needs those to exist, as empty placeholders at least. No weights, no real model.
void MakeModelPlaceholders(const Config& config, const std::string& root) {
  for (const char* model : {"refiner", "predictor"}) {
    const fs::path dir = fs::path(root) / config.Get<std::string>(std::string("models.") + model + ".path");
    Touch(dir / "config.json");
    Touch(dir / "tokenizer.json");
  }
}

TEST(PaperConfig, DryRunPassesWithoutModelWeights) {
  const std::string config = SourcePath("configs/paper.yaml");
  const std::string dir = TempDir("paper-dry-run");
  MakeSourcePlaceholders(Config::Resolve(config, {}), dir);
  MakeModelPlaceholders(Config::Resolve(config, {}), dir);
  std::string output;
  const int status = RunIn(dir, std::string(DEEPER_BIN_DIR) + "/deeper run --config " + config +
                                    " --run-dir runs/paper --dry-run", &output);
  EXPECT_EQ(status, 0) << output;
  for (const char* stage : {"context_building", "init_persona", "dpo_iter1", "dpo_iter2", "evaluation"}) {
    EXPECT_NE(output.find(std::string("  ") + stage + ": run"), std::string::npos) << stage << "\n" << output;
  }
  deeper::TryRemoveTree(dir);
}

TEST(CiConfig, DryRunPassesBeforeTheModelsAreMade) {
  const std::string dir = TempDir("ci-dry-run");
  for (const char* model : {"refiner", "predictor"}) Touch(fs::path(dir) / model / "config.json");
  std::string output;
  const int status = RunIn(DEEPER_SOURCE_DIR, std::string(DEEPER_BIN_DIR) + "/deeper run --config configs/ci.yaml" +
                                                  " --run-dir " + dir + "/run --dry-run" +
                                                  " --set models.refiner.path=" + dir + "/refiner" +
                                                  " --set models.predictor.path=" + dir + "/predictor",
                           &output);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("  evaluation: run"), std::string::npos) << output;
  deeper::TryRemoveTree(dir);
}

// The release sample builds contexts without models: the whole run is context building.
TEST(ReleaseSampleConfig, BuildsContextsFromTheBundledSample) {
  const std::string dir = TempDir("release-sample");
  std::string output;
  const int status = RunIn(DEEPER_SOURCE_DIR, std::string(DEEPER_BIN_DIR) + "/deeper run --config configs/release_sample.yaml" +
                                                  " --run-dir " + dir + "/run --only context_building",
                           &output);
  EXPECT_EQ(status, 0) << output;
  EXPECT_TRUE(fs::exists(fs::path(dir) / "run" / "context_building" / "manifest.json")) << output;
  EXPECT_NE(output.find("context_building: done"), std::string::npos) << output;
  deeper::TryRemoveTree(dir);
}

// The stage names of `deeper stages` output, in order.
std::vector<std::string> StageNames(const std::string& output) {
  std::vector<std::string> names;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != ' ') names.push_back(line.substr(0, line.find(' ')));
  }
  return names;
}

// The line of `deeper stages` output for `stage`.
std::string StageLine(const std::string& output, const std::string& stage) {
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(stage + "  ", 0) == 0) return line;
  }
  return "";
}

const std::vector<std::string> kModelStages = {"init_persona", "direction_sampling_1", "reward_assignment_1",
                                               "pair_mining_1", "dpo_iter1", "refine_1", "direction_sampling_2",
                                               "reward_assignment_2", "pair_mining_2", "dpo_iter2", "evaluation"};

TEST(CiConfig, GraphIsTheOneWithoutTheWorld) {
  std::string output;
  ASSERT_EQ(RunIn(DEEPER_SOURCE_DIR, std::string(DEEPER_BIN_DIR) + "/deeper stages --config configs/ci.yaml", &output), 0)
      << output;
  std::vector<std::string> expected = {"context_building"};
  expected.insert(expected.end(), kModelStages.begin(), kModelStages.end());
  EXPECT_EQ(StageNames(output), expected) << output;
  EXPECT_NE(StageLine(output, "init_persona").find("(reads: context_building)"), std::string::npos)
      << output;
}

TEST(QuickstartConfig, WorldQuickstartIsTheWorldGraph) {
  std::string output;
  ASSERT_EQ(RunIn(DEEPER_SOURCE_DIR, std::string(DEEPER_BIN_DIR) + "/deeper stages --config configs/quickstart.yaml",
                  &output), 0) << output;
  std::vector<std::string> expected = {"world", "context_building", "warm_start"};
  expected.insert(expected.end(), kModelStages.begin(), kModelStages.end());
  EXPECT_EQ(StageNames(output), expected) << output;
  // Dependencies from {run_dir} references: the data from the world, the models from warm_start.
  EXPECT_NE(StageLine(output, "context_building").find("(reads: world)"), std::string::npos) << output;
  for (const char* stage : {"init_persona", "direction_sampling_1", "reward_assignment_2", "dpo_iter1", "refine_1",
                            "evaluation"}) {
    EXPECT_NE(StageLine(output, stage).find("warm_start"), std::string::npos) << stage << "\n" << output;
  }
  EXPECT_EQ(StageLine(output, "pair_mining_1").find("warm_start"), std::string::npos) << output;
  EXPECT_NE(StageLine(output, "evaluation").find("world"), std::string::npos) << output;
}

TEST(QuickstartConfig, WorldDryRunPlansEveryStage) {
  const std::string dir = TempDir("quickstart-dry-run");
  std::string output;
  const int status = RunIn(dir, std::string(DEEPER_BIN_DIR) + "/deeper run --config " +
                                    SourcePath("configs/quickstart.yaml") + " --run-dir runs/q --dry-run", &output);
  EXPECT_EQ(status, 0) << output;
  for (const char* stage : {"world", "context_building", "warm_start", "init_persona", "dpo_iter2", "evaluation"}) {
    EXPECT_NE(output.find(std::string("  ") + stage + ": run (not run yet)"), std::string::npos) << stage << "\n" << output;
  }
  deeper::TryRemoveTree(dir);
}

}  // namespace
}  // namespace deeper

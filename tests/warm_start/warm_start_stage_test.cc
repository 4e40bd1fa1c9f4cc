#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>

#include "common/error.h"
#include "pipeline/runner.h"
#include "stages/warm_start/stage.h"
#include "stages/warm_start/warm_start_options.h"
#include "stages/world_stage/world_stage.h"
#include "test_support.h"

namespace deeper {
namespace {

std::vector<std::string> ReducedRun() {
  const std::string tiny = "hidden_size=32,intermediate_size=64,num_hidden_layers=1,num_attention_heads=2,"
                           "num_key_value_heads=2,max_position_embeddings=1024";
  return {"world.train_users=12", "world.eval_users=4", "warm_start.predictor.examples=300",
          "warm_start.predictor.architecture=" + tiny, "warm_start.refiner.architecture=" + tiny,
          "warm_start.predictor.max_steps=8", "warm_start.predictor.batch_tokens=512",
          "warm_start.refiner.max_steps=4", "warm_start.refiner.batch_tokens=1024", "warm_start.refiner.refine_samples=1",
          "warm_start.logging_steps=4", "warm_start.quality.contexts=2", "warm_start.quality.num_candidates=2",
          "warm_start.quality.max_new_tokens=24", "run.threads=1", "warm_start.refiner.checkpoint=\"\""};
}

// The quickstart's world (the built-in refiner's) with the reduced training of everything else.
std::vector<std::string> QuickstartWorldReducedTraining() {
  auto overrides = ReducedRun();
  overrides.erase(overrides.begin(), overrides.begin() + 2);  // the world's sizes
  overrides.push_back("warm_start.gate.enabled=false");
  for (const char* model : {"predictor", "refiner"}) {
    overrides.push_back(std::string("warm_start.") + model + ".architecture=" +
                        testing::QuickstartWorldConfig({}).Get<std::string>("warm_start.refiner.architecture"));
  }
  return overrides;
}

std::string ErrorOf(const std::function<void()>& run) {
  try {
    run();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::vector<StagePlan> RunStages(const Config& config, const std::string& run_dir) {
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(MakeWorldStage());
  stages.push_back(MakeWarmStartStage());
  Runner runner(config, std::move(stages));
  RunOptions options;
  options.run_dir = run_dir;
  return runner.Run(options);
}

TEST(WarmStartStage, ReducedWorldRunsThroughTheRunner) {
  auto overrides = ReducedRun();
  overrides.push_back("warm_start.gate.enabled=false");  // a dozen steps cannot pass it
  const Config config = testing::QuickstartWorldConfig(overrides);
  const std::string run_dir = testing::FreshTempDir("warm-start-stage");
  const auto started = std::chrono::steady_clock::now();
  const auto plans = RunStages(config, run_dir);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), 60.0);
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_EQ(plans[1].action, "run");
  for (const char* model : {"predictor", "refiner"}) {
    for (const char* file : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}) {
      EXPECT_TRUE(FileExists(run_dir + "/warm_start/" + model + "/" + file)) << model << "/" << file;
    }
  }
  EXPECT_TRUE(FileExists(run_dir + "/world/split_data/train_dataset.csv"));
  EXPECT_TRUE(FileExists(run_dir + "/world/test_iterations/test_iteration_4.jsonl"));
  const auto gate = nlohmann::json::parse(ReadFile(run_dir + "/warm_start/predictor_gate.json"));
  EXPECT_EQ(gate["users"].get<int>(), 4);
  EXPECT_GT(gate["noise_floor_mae"].get<double>(), 0.0);
  const auto quality = nlohmann::json::parse(ReadFile(run_dir + "/warm_start/refiner_quality.json"));
  EXPECT_EQ(quality["candidates"].get<int>(), 4);
  // Unchanged config: both stages are current.
  const auto again = RunStages(config, run_dir);
  EXPECT_EQ(again[0].action, "up to date");
  EXPECT_EQ(again[1].action, "up to date");
}

TEST(WarmStartStage, FailingGateStopsTheRunWithTheFigures) {
  auto overrides = ReducedRun();
  overrides.push_back("warm_start.gate.min_rule_agreement=1.01");  // impossible
  const Config config = testing::QuickstartWorldConfig(overrides);
  const std::string run_dir = testing::FreshTempDir("warm-start-gate");
  try {
    RunStages(config, run_dir);
    FAIL() << "the gate did not stop the run";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("failed its gate"), std::string::npos) << message;
    EXPECT_NE(message.find("rule agreement"), std::string::npos) << message;
  }
  EXPECT_TRUE(FileExists(run_dir + "/warm_start/predictor_gate.json"));
  EXPECT_FALSE(FileExists(run_dir + "/warm_start/refiner/config.json"));
  EXPECT_FALSE(FileExists(run_dir + "/warm_start/manifest.json"));
}

TEST(WarmStartStage, RefinerFromThePredictorNeedsItsArchitecture) {
  auto overrides = ReducedRun();
  overrides.push_back("warm_start.refiner.init_from_predictor=true");
  EXPECT_TRUE(WarmStartOptionsFromConfig(testing::QuickstartWorldConfig(overrides)).refiner_from_predictor);
  overrides.push_back("warm_start.refiner.architecture=hidden_size=16,num_attention_heads=2,num_key_value_heads=2");
  try {
    WarmStartOptionsFromConfig(testing::QuickstartWorldConfig(overrides));
    FAIL() << "different architectures were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("warm_start.refiner.init_from_predictor needs"), std::string::npos) << e.what();
  }
}

TEST(WarmStartStage, BuiltinRefinerIsInstalledInsteadOfTrained) {
  ASSERT_EQ(testing::QuickstartWorldConfig({}).Get<std::string>("warm_start.refiner.checkpoint"), "builtin");
  auto overrides = QuickstartWorldReducedTraining();
  overrides.push_back("warm_start.refiner.checkpoint=builtin");
  const std::string run_dir = testing::FreshTempDir("warm-start-builtin");
  const auto plans = RunStages(testing::QuickstartWorldConfig(overrides), run_dir);
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_EQ(plans[1].action, "run");
  const std::string shipped = std::string(DEEPER_SOURCE_DIR) + "/data/world/quickstart_refiner";
  for (const char* file : {"config.json", "model.safetensors", "tokenizer.json"}) {
    EXPECT_EQ(ReadFile(run_dir + "/warm_start/refiner/" + file), ReadFile(shipped + "/" + file)) << file;
  }
  const auto summary = nlohmann::json::parse(ReadFile(run_dir + "/warm_start/warm_start.json"));
  EXPECT_EQ(summary["refiner"]["checkpoint"].get<std::string>(), "the built-in quickstart refiner");
  EXPECT_FALSE(summary["refiner"].contains("steps"));
  // The quality check ran on it (a loadable model that writes personas).
  const auto quality = nlohmann::json::parse(ReadFile(run_dir + "/warm_start/refiner_quality.json"));
  EXPECT_EQ(quality["candidates"].get<int>(), 4);
  EXPECT_EQ(RunStages(testing::QuickstartWorldConfig(overrides), run_dir)[1].action, "up to date");
}

TEST(WarmStartStage, CheckpointDirectoryMustFitTheWorld) {
  // A refiner trained on the reduced world, then offered to other runs as a checkpoint directory.
  auto trained = ReducedRun();
  trained.push_back("warm_start.gate.enabled=false");
  const std::string source_run = testing::FreshTempDir("warm-start-ckpt-source");
  RunStages(testing::QuickstartWorldConfig(trained), source_run);
  const std::string checkpoint = source_run + "/warm_start/refiner";

  // The same world and architecture: installed, and a different checkpoint there reruns the stage.
  auto same = trained;
  same.push_back("warm_start.refiner.checkpoint=" + checkpoint);
  const std::string run_dir = testing::FreshTempDir("warm-start-ckpt");
  EXPECT_EQ(RunStages(testing::QuickstartWorldConfig(same), run_dir)[1].action, "run");
  EXPECT_EQ(ReadFile(run_dir + "/warm_start/refiner/model.safetensors"), ReadFile(checkpoint + "/model.safetensors"));
  EXPECT_EQ(RunStages(testing::QuickstartWorldConfig(same), run_dir)[1].action, "up to date");
  std::filesystem::copy_file(source_run + "/warm_start/predictor/model.safetensors", checkpoint + "/model.safetensors",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(RunStages(testing::QuickstartWorldConfig(same), run_dir)[1].action, "run");

  // Another world (another tokenizer) or another architecture: refused, saying why.
  auto other_world = same;
  other_world.push_back("world.genres=5");
  std::string error = ErrorOf([&] {
    RunStages(testing::QuickstartWorldConfig(other_world), testing::FreshTempDir("warm-start-ckpt-world"));
  });
  EXPECT_NE(error.find("warm_start.refiner.checkpoint: " + checkpoint + " was trained with another tokenizer"),
            std::string::npos) << error;
  auto other_architecture = same;
  other_architecture.push_back("warm_start.refiner.architecture=hidden_size=16,num_attention_heads=2,num_key_value_heads=2");
  error = ErrorOf([&] {
    RunStages(testing::QuickstartWorldConfig(other_architecture), testing::FreshTempDir("warm-start-ckpt-arch"));
  });
  EXPECT_NE(error.find("config.json differs from the one this run's architecture gives"), std::string::npos) << error;
  auto missing = trained;
  missing.push_back("warm_start.refiner.checkpoint=" + source_run + "/nowhere");
  error = ErrorOf([&] {
    RunStages(testing::QuickstartWorldConfig(missing), testing::FreshTempDir("warm-start-ckpt-missing"));
  });
  EXPECT_NE(error.find("nowhere"), std::string::npos) << error;
}

}  // namespace
}  // namespace deeper

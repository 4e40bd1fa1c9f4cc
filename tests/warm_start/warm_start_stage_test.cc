#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>

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
          "warm_start.quality.max_new_tokens=24", "run.threads=1"};
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

}  // namespace
}  // namespace deeper

#include "tests/refinement/refinement_fixture.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/error.h"
#include "common/files.h"
#include "model/hf_config.h"
#include "model/transformer.h"
#include "stages/context_building/stage.h"
#include "stages/refinement/stages.h"

namespace deeper::refinement_testing {
namespace fs = std::filesystem;

std::string MakeTempDir(const std::string& tag) {
  std::random_device random;
  const fs::path dir = fs::temp_directory_path() / ("deeper-" + tag + "-" + std::to_string(random()));
  fs::create_directories(dir);
  return dir.string();
}

std::string TokenizerDir() { return std::string(DEEPER_TEST_DATA_DIR) + "/tokenizer/llama3"; }

void MakeTinyLlama(const std::string& dir, uint64_t seed) {
  ModelConfig config = ConfigLike("llama");
  ApplyConfigOverrides(&config,
                       "vocab_size=128256,hidden_size=16,intermediate_size=32,num_hidden_layers=2,"
                       "num_attention_heads=2,num_key_value_heads=1,tie_word_embeddings=true");
  fs::create_directories(dir);
  Transformer::RandomInit(config, seed)->Save(dir);
}

void WriteSampleUsers(const std::string& sample_csv, int users, const std::string& out) {
  std::ifstream in(std::string(DEEPER_SOURCE_DIR) + "/data/sample/" + sample_csv);
  DEEPER_REQUIRE(in.good(), "cannot read data/sample/", sample_csv);
  std::string text, line;
  for (int i = 0; i <= users && std::getline(in, line); ++i) text += line + "\n";  // header + users
  WriteFileAtomic(out, text);
}

std::string MakeWorkspace(const std::string& dir) {
  MakeTinyLlama(dir + "/refiner", 11);
  MakeTinyLlama(dir + "/predictor", 12);
  WriteSampleUsers("food_com_test.csv", 3, dir + "/food.csv");
  WriteSampleUsers("movielens_20m_test.csv", 3, dir + "/movies.csv");
  const std::string tok = TokenizerDir();
  return "run: {seed: 7, threads: 1}\n"
         "context_building:\n"
         "  num_shards: 2\n"
         "  sources:\n"
         "    - {format: deeper_csv, path: " + dir + "/food.csv}\n"
         "    - {format: deeper_csv, path: " + dir + "/movies.csv}\n"
         "models:\n"
         "  refiner: {path: " + dir + "/refiner, tokenizer: " + tok + ", device: cpu}\n"
         "  predictor: {path: " + dir + "/predictor, tokenizer: " + tok + ", device: cpu}\n"
         "persona: {max_new_tokens: 8, max_batch: 4}\n"
         "init_persona: {splits: [eval]}\n"
         "direction_sampling: {splits: [eval], num_candidates: 4, top_p: 1.0}\n"
         "pair_mining:\n"
         "  iter1: {min_gap: 0.0, allow_flagged_chosen: true}\n"
         "  iter2: {min_gap: 0.0, allow_flagged_chosen: true}\n"
         "dpo: {device: cpu, max_steps: 1, per_device_train_batch_size: 2, gradient_accumulation_steps: 1,\n"
         "      warmup_steps: 0, val_size: 0.0, lora_rank: 4, lora_alpha: 8.0, lora_dropout: 0.0,\n"
         "      learning_rate: 1.0e-4, save_steps: 0, eval_steps: 0, cutoff_len: 1024, logging_steps: 0}\n";
}

Config WorkspaceConfig(const std::string& yaml, const std::vector<std::string>& overrides) {
  return Config::FromText(yaml, "refinement test config", overrides);
}

std::vector<StagePlan> RunChain(const Config& config, const std::string& run_dir) {
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(MakeContextBuildingStage());
  for (auto& stage : MakeRefinementStages(config)) stages.push_back(std::move(stage));
  Runner runner(config, std::move(stages));
  RunOptions options;
  options.run_dir = run_dir;
  return runner.Run(options);
}

std::vector<std::string> Actions(const std::vector<StagePlan>& plans) {
  std::vector<std::string> actions;
  for (const auto& plan : plans) actions.push_back(plan.stage + "=" + plan.action);
  return actions;
}

}  // namespace deeper::refinement_testing

#include "tests/train/train_fixtures.h"

#include <ATen/ATen.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "model/checkpoint.h"
#include "model/hf_config.h"
#include "model/transformer.h"
#include "common/files.h"

namespace deeper::train_testing {

namespace fs = std::filesystem;

std::string MakeTempDir(const std::string& tag) {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() /
                       ("deeper_train_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  deeper::TryRemoveTree(dir);
  fs::create_directories(dir);
  return dir.string();
}

void MakeTinyModel(const std::string& dir, uint64_t seed) {
  ModelConfig config = ConfigLike("llama");
  ApplyConfigOverrides(&config,
                       "vocab_size=64,hidden_size=32,intermediate_size=64,num_hidden_layers=2,num_attention_heads=4,"
                       "num_key_value_heads=2,max_position_embeddings=128");
  Transformer::RandomInit(config, seed)->Save(dir);
}

PairSet MarkerPairs(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto draw = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  PairSet set;
  for (int i = 0; i < n; ++i) {
    PreferencePair pair;
    const int64_t prompt_len = draw(3, 8);
    for (int64_t t = 0; t < prompt_len; ++t) pair.prompt_ids.push_back(draw(8, kToyVocab - 1));
    const int64_t answer_len = draw(3, 6);
    for (int64_t t = 0; t < answer_len; ++t) pair.chosen_ids.push_back(draw(8, kToyVocab - 1));
    pair.chosen_ids[static_cast<size_t>(draw(0, answer_len - 1))] = kMarker;
    const int64_t rejected_len = draw(3, 6);
    for (int64_t t = 0; t < rejected_len; ++t) pair.rejected_ids.push_back(draw(8, kToyVocab - 1));
    set.pairs.push_back(std::move(pair));
  }
  return set;
}

TrainConfig ToyConfig(const std::string& model_dir, const std::string& pairs_path, const std::string& output_dir) {
  TrainConfig c;
  c.model_name_or_path = model_dir;
  c.pairs = pairs_path;
  c.output_dir = output_dir;
  c.device = "cpu";
  c.threads = 1;
  c.seed = 3;
  c.finetuning_type = "lora";
  c.lora_rank = 8;
  c.lora_alpha = 16;
  c.learning_rate = 5e-3;
  c.lr_scheduler_type = "cosine";
  c.warmup_steps = 2;
  c.pref_beta = 0.1;
  c.per_device_train_batch_size = 4;
  c.gradient_accumulation_steps = 2;
  c.cutoff_len = 64;
  c.val_size = 0.125;
  c.num_train_epochs = 1;
  c.logging_steps = 0;
  return c;
}

std::map<std::string, at::Tensor> CheckpointTensors(const std::string& checkpoint_dir) {
  const fs::path adapter = fs::path(checkpoint_dir) / "adapter" / "adapter_model.safetensors";
  if (fs::exists(adapter)) return LoadSafetensors(adapter.string());
  return LoadSafetensors((fs::path(checkpoint_dir) / "model" / "model.safetensors").string());
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace deeper::train_testing

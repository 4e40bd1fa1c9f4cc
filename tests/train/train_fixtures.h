// Shared pieces of the training tests: temporary directories, a tiny random llama, a toy preference
// set and run configurations.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>

#include "train/pairs.h"
#include "train/train_config.h"

namespace deeper::train_testing {

constexpr int64_t kToyVocab = 64;
constexpr int64_t kMarker = 7;  // chosen completions contain it, rejected ones never do

// A fresh empty directory under the system temp dir (removed by the caller).
std::string MakeTempDir(const std::string& tag);

// A random-init llama (vocab 64, hidden 32, 2 layers, GQA 4/2) saved in hub layout to `dir`.
void MakeTinyModel(const std::string& dir, uint64_t seed);

// n pairs: random prompts and completions over ids [8, 64); the chosen completion has the marker token
// at a random position, the rejected one never. Deterministic for a seed.
PairSet MarkerPairs(int n, uint64_t seed);

// A small LoRA run on the toy model and pairs (CPU, fp32, one thread).
TrainConfig ToyConfig(const std::string& model_dir, const std::string& pairs_path, const std::string& output_dir);

// The trained tensors of a checkpoint directory (adapter or full weights), by name.
std::map<std::string, at::Tensor> CheckpointTensors(const std::string& checkpoint_dir);

// Lines of a text file.
std::vector<std::string> ReadLines(const std::string& path);

}  // namespace deeper::train_testing

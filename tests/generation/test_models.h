// Helpers of the generation tests: the tiny HF fixtures (tests/data/model/) and small prompt sets.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/checkpoint.h"
#include "model/transformer.h"

namespace deeper::test {

inline std::string ModelDir(const std::string& name) { return std::string(DEEPER_TEST_DATA_DIR) + "/model/" + name; }

inline std::unique_ptr<Transformer> LoadModel(const std::string& name) { return Transformer::Load(ModelDir(name)); }

inline std::map<std::string, at::Tensor> LoadGolden(const std::string& name) {
  return LoadSafetensors(ModelDir(name) + "/golden.safetensors");
}

// A 1-D int64 tensor as a vector.
inline std::vector<int64_t> ToVector(const at::Tensor& t) {
  const at::Tensor flat = t.to(at::kLong).contiguous().view(-1);
  return std::vector<int64_t>(flat.data_ptr<int64_t>(), flat.data_ptr<int64_t>() + flat.numel());
}

// Deterministic pseudo-random prompts: prompt i has lengths[i] tokens in [3, vocab).
inline std::vector<std::vector<int64_t>> MakePrompts(const std::vector<int64_t>& lengths, int64_t vocab,
                                                     uint64_t seed = 1) {
  std::vector<std::vector<int64_t>> prompts;
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 12345;
  for (int64_t length : lengths) {
    std::vector<int64_t> prompt;
    for (int64_t j = 0; j < length; ++j) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      prompt.push_back(3 + static_cast<int64_t>((state >> 33) % static_cast<uint64_t>(vocab - 3)));
    }
    prompts.push_back(prompt);
  }
  return prompts;
}

}  // namespace deeper::test

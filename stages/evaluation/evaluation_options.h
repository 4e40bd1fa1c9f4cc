// The `evaluation` config section. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config.h"
#include "stages/evaluation/methods.h"

namespace deeper {

struct EvaluationOptions {
  std::vector<MethodInfo> methods;   // evaluation.methods, in order, no repeats
  int rounds = 4;                    // R: rounds 0..R need windows W_0..W_{R+1}
  std::vector<std::string> splits;   // users of these splits are evaluated
  int64_t max_users_per_domain = 0;  // per domain in each shard; 0 = all
  std::string baseline_model;        // entry of `models` that writes the baselines' personas
  std::vector<std::string> seen_domains;  // empty = the domains that have training users
};

// Reads and checks section `evaluation`; errors name the key.
EvaluationOptions EvaluationOptionsFromConfig(const Config& config);

}  // namespace deeper

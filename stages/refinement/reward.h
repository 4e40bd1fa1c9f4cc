// The tri-objective reward of a candidate refinement (REFERENCE section 1; the exact formula is the
// project's, configurable in `reward_assignment.weights`):
//   e_g(S) = MAE(Predict(S, W_g), U_g) for g in {prev = W_{k-1}, curr = W_k, fut = W_{k+1}}
//   R(S_k^j) = sum_g w_g * (e_g(S_{k-1}) - e_g(S_k^j)) / rating_range
// Previous Preservation, Current Reflection and Future Advancement are the three terms. Torch-free.
#pragma once

#include "pipeline/config.h"

namespace deeper {

struct WindowErrors {
  double prev = 0.0;
  double curr = 0.0;
  double fut = 0.0;
};

struct RewardWeights {
  double prev = 1.0;
  double curr = 1.0;
  double fut = 1.0;
};

// The weighted, normalised terms and their sum.
struct Reward {
  double prev = 0.0;
  double curr = 0.0;
  double fut = 0.0;
  double total = 0.0;
};

// Reads reward_assignment.weights.
RewardWeights RewardWeightsFromConfig(const Config& config);

// `rating_range` (max - min of the domain's scale) must be positive.
Reward ComputeReward(const WindowErrors& old_persona, const WindowErrors& candidate, const RewardWeights& weights,
                     double rating_range);

}  // namespace deeper

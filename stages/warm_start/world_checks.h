// Checks of the warm-started models against the world's truth, through the pipeline's own code paths
// (RatingPredictor, GeneratePersonas, the persona prompts), so what they measure is what later
// stages will see. Torch-free header.
#pragma once

#include <string>
#include <vector>

#include "stages/persona/persona_generation.h"
#include "stages/persona/prediction.h"
#include "stages/warm_start/predictor_gate.h"
#include "world/world.h"

namespace deeper {

class ModelBundle;

// Gate samples of the first `max_users` eval users (0 = all): every window, rated from the window's
// true persona and from an empty persona.
std::vector<GateSample> CollectGateSamples(const RatingPredictor& predictor, const world::SimWorld& world, int max_users,
                                           int* users);

// How varied and how good the refiner's sampled refinements are, under the world's rule.
struct RefinerQuality {
  int contexts = 0;
  int candidates = 0;
  double better = 0.0;     // share of candidates whose rule reward over S0 is > 0
  double worse = 0.0;      // < 0
  double tied = 0.0;       // == 0 (well-formed)
  double malformed = 0.0;  // share of candidates the persona grammar rejects
  double mean_reward = 0.0;
  double best_mean_reward = 0.0;   // mean over contexts of the best candidate's reward
  double distinct = 0.0;           // mean share of distinct texts among a context's candidates
  double s0_malformed = 0.0;       // greedy S0 from W0
  double s0_recall = 0.0;          // taste recall / precision of S0 against W0's truth
  double s0_precision = 0.0;
};

struct RefinerQualityOptions {
  int contexts = 32;
  int num_candidates = 8;
  PersonaSampling sampling;  // temperature / top_p / top_k / seed of direction sampling
  PersonaGenerationOptions generation;
};

// S0 = greedy init from W0 for the first `contexts` train users, predictions of W1 from S0 by
// `predictor`, then num_candidates sampled refinements of S0 on W1. A candidate's reward is the
// tri-objective reward with the world's rule as predictor: sum over W0, W1, W2 of
// (MAE(S0) - MAE(candidate)) / 4; malformed candidates count as "fair rater .".
RefinerQuality MeasureRefinerQuality(const ModelBundle& refiner, const RatingPredictor& predictor, const PromptSet& prompts,
                                     const world::SimWorld& world, const RefinerQualityOptions& options);

std::string RefinerQualityJson(const RefinerQuality& quality);

}  // namespace deeper

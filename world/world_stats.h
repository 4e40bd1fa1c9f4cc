// Figures that say what a predictor or a refiner can hope for in a world: the noise floor (the rule
// with the true tastes), what a persona without tastes achieves, and how the ratings are spread.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "world/world.h"

namespace deeper::world {

struct WorldStats {
  int users = 0;
  int drifted_users = 0;
  double drift_fraction = 0.0;
  int ratings = 0;
  std::array<int, 5> rating_counts{};  // ratings 1..5
  double five_star_fraction = 0.0;
  double mean_rating = 0.0;
  // MAE over every rated item (all windows): the rule with the true tastes of the window...
  double noise_floor_mae = 0.0;
  // ...with the true bias but no tastes ("<bias> rater ." alone: a predictor that reads only the bias)...
  double bias_only_mae = 0.0;
  // ...and with no persona at all (3 for everything: "fair rater .").
  double empty_persona_mae = 0.0;
  double mean_tastes = 0.0;  // true tastes per user in window 0
  double mean_true_persona_words = 0.0;
  int max_true_persona_words = 0;
};

WorldStats ComputeWorldStats(const SimWorld& world, const std::vector<SimUser>& users);

// One JSON object with every field above.
std::string WorldStatsJson(const WorldStats& stats);

}  // namespace deeper::world

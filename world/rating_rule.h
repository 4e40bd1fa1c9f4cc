// The world's rating rule, and the world's own predictor (the same rule read from a persona):
//   rating = clip(round(3 + bias + sum of the affinities of the item's genres + noise), 1, 5)
// Rounding is half up (floor(x + 0.5)), the same on every platform.
#pragma once

#include <string>
#include <vector>

#include "world/lexicon.h"
#include "world/tastes.h"

namespace deeper::world {

constexpr int kMinRating = 1;
constexpr int kMaxRating = 5;
constexpr int kMidRating = 3;
constexpr double kRatingRange = kMaxRating - kMinRating;

// The rule for an item of `genres` (indices into tastes.affinity) with the given noise draw.
int RateItem(const Tastes& tastes, const std::vector<int>& genres, double noise = 0.0);

// The noise-free rule for each item, its genres read from its name.
std::vector<double> PredictRatings(const Tastes& tastes, const Lexicon& lexicon, const std::vector<std::string>& items);

// Mean of |predicted - truth|; the vectors must have the same, non-zero length.
double MeanAbsoluteError(const std::vector<double>& predicted, const std::vector<double>& truth);

}  // namespace deeper::world

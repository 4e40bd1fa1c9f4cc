// Estimating tastes from rated items by the rating rule: what a careful reader of a window would
// conclude. The teachers build on it.
#pragma once

#include <string>
#include <vector>

#include "world/lexicon.h"
#include "world/tastes.h"

namespace deeper::world {

// One rated item: its genres (from its name) and the rating.
struct Evidence {
  std::vector<int> genres;
  double rating = 0.0;
};

// Evidence of a window (items and ratings aligned).
std::vector<Evidence> WindowEvidence(const Lexicon& lexicon, const std::vector<std::string>& items,
                                     const std::vector<double>& ratings);

struct FitOptions {
  // What each change from the start tastes (the bias, or one genre's level) costs, in rating points
  // of total absolute error. Errors are whole points, so 1.5 means a change must explain 2 points:
  // one rating knocked off by noise does not create, drop or flip a taste.
  double change_cost = 1.5;
  // A bias change costs less: every user has a bias (tastes are sparse), and it shows on every item.
  double bias_change_cost = 0.5;
  // Sweeps over the genres; each sweep can only lower the objective, so few are needed.
  int max_passes = 4;
};

// Minimises total |rule - rating| + the costs of the changes from `start`: each bias -1..+1 is tried
// with its own coordinate descent over the genres that some item carries (levels -2..+2). Trying
// every bias matters: a window full of one loved genre would otherwise pass for a generous rater.
// Ties keep the start value, then prefer weaker levels. Genres without evidence keep their start value.
Tastes FitTastes(const std::vector<Evidence>& evidence, const Tastes& start, const FitOptions& options = {});

// Total |rule - rating| over `evidence`.
double TotalError(const std::vector<Evidence>& evidence, const Tastes& tastes);

}  // namespace deeper::world

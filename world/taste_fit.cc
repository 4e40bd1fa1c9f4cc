#include "world/taste_fit.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "world/rating_rule.h"

namespace deeper::world {
namespace {

// `first`, then the other values of lo..hi with weaker ones before stronger ones: the order ties are
// broken in.
std::vector<int> CandidateOrder(int first, int lo, int hi) {
  std::vector<int> order = {first};
  for (int magnitude = 0; magnitude <= std::max(-lo, hi); ++magnitude) {
    for (int v : {-magnitude, magnitude}) {
      if (v >= lo && v <= hi && std::find(order.begin(), order.end(), v) == order.end()) order.push_back(v);
    }
  }
  return order;
}

double ErrorOver(const std::vector<const Evidence*>& items, const Tastes& tastes) {
  double sum = 0.0;
  for (const Evidence* e : items) sum += std::fabs(RateItem(tastes, e->genres) - e->rating);
  return sum;
}

double ChangeCost(const Tastes& tastes, const Tastes& start, const FitOptions& options) {
  double cost = tastes.bias != start.bias ? options.bias_change_cost : 0.0;
  for (int g = 0; g < tastes.num_genres(); ++g) cost += tastes.affinity[g] != start.affinity[g] ? options.change_cost : 0.0;
  return cost;
}

// Moves genre g to the level with the least error over its items plus change cost; the current level
// stays on ties. Returns whether it moved.
bool ImproveGenre(const std::vector<const Evidence*>& items, int g, const Tastes& start, double cost, Tastes* tastes) {
  int& level = tastes->affinity[g];
  const int current = level;
  int best = current;
  double best_objective = 0.0;
  for (int candidate : CandidateOrder(current, kMinLevel, kMaxLevel)) {
    level = candidate;
    const double objective = ErrorOver(items, *tastes) + (candidate != start.affinity[g] ? cost : 0.0);
    if (candidate == current || objective < best_objective) {
      best = candidate;
      best_objective = objective;
    }
  }
  level = best;
  return best != current;
}

void FitGenres(const std::vector<std::vector<const Evidence*>>& by_genre, const Tastes& start,
               const FitOptions& options, Tastes* tastes) {
  for (int pass = 0; pass < options.max_passes; ++pass) {
    bool changed = false;
    for (int g = 0; g < tastes->num_genres(); ++g) {
      if (!by_genre[g].empty()) changed |= ImproveGenre(by_genre[g], g, start, options.change_cost, tastes);
    }
    if (!changed) break;
  }
}

}  // namespace

std::vector<Evidence> WindowEvidence(const Lexicon& lexicon, const std::vector<std::string>& items,
                                     const std::vector<double>& ratings) {
  DEEPER_REQUIRE(items.size() == ratings.size(), "window of ", items.size(), " items with ", ratings.size(),
                 " ratings");
  std::vector<Evidence> evidence;
  evidence.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) evidence.push_back({lexicon.ItemGenres(items[i]), ratings[i]});
  return evidence;
}

Tastes FitTastes(const std::vector<Evidence>& evidence, const Tastes& start, const FitOptions& options) {
  std::vector<const Evidence*> all;
  std::vector<std::vector<const Evidence*>> by_genre(start.num_genres());
  for (const Evidence& e : evidence) {
    all.push_back(&e);
    for (int g : e.genres) {
      DEEPER_REQUIRE(g >= 0 && g < start.num_genres(), "taste fit: genre ", g, " outside the tastes");
      by_genre[g].push_back(&e);
    }
  }
  if (all.empty()) return start;
  Tastes best;
  double best_objective = 0.0;
  for (int bias : CandidateOrder(start.bias, kMinBias, kMaxBias)) {
    Tastes tastes = start;
    tastes.bias = bias;
    FitGenres(by_genre, start, options, &tastes);
    const double objective = ErrorOver(all, tastes) + ChangeCost(tastes, start, options);
    if (best.affinity.empty() || objective < best_objective) {
      best = std::move(tastes);
      best_objective = objective;
    }
  }
  return best;
}

double TotalError(const std::vector<Evidence>& evidence, const Tastes& tastes) {
  double sum = 0.0;
  for (const Evidence& e : evidence) sum += std::fabs(RateItem(tastes, e.genres) - e.rating);
  return sum;
}

}  // namespace deeper::world

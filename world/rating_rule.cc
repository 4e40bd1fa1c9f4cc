#include "world/rating_rule.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace deeper::world {

int RateItem(const Tastes& tastes, const std::vector<int>& genres, double noise) {
  double score = kMidRating + tastes.bias + noise;
  for (int g : genres) {
    DEEPER_REQUIRE(g >= 0 && g < tastes.num_genres(), "rating rule: genre ", g, " outside the ", tastes.num_genres(),
                   " genres of the tastes");
    score += tastes.affinity[g];
  }
  const int rounded = static_cast<int>(std::floor(score + 0.5));
  return std::clamp(rounded, kMinRating, kMaxRating);
}

std::vector<double> PredictRatings(const Tastes& tastes, const Lexicon& lexicon, const std::vector<std::string>& items) {
  std::vector<double> ratings;
  ratings.reserve(items.size());
  for (const std::string& item : items) ratings.push_back(RateItem(tastes, lexicon.ItemGenres(item)));
  return ratings;
}

double MeanAbsoluteError(const std::vector<double>& predicted, const std::vector<double>& truth) {
  DEEPER_REQUIRE(!truth.empty() && predicted.size() == truth.size(), "MAE of ", predicted.size(),
                 " predictions against ", truth.size(), " ratings");
  double sum = 0.0;
  for (size_t i = 0; i < truth.size(); ++i) sum += std::fabs(predicted[i] - truth[i]);
  return sum / static_cast<double>(truth.size());
}

}  // namespace deeper::world

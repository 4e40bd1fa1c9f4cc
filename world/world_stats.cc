#include "world/world_stats.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "world/persona.h"
#include "world/rating_rule.h"

namespace deeper::world {

WorldStats ComputeWorldStats(const SimWorld& world, const std::vector<SimUser>& users) {
  WorldStats s;
  s.users = static_cast<int>(users.size());
  double floor_sum = 0.0, bias_sum = 0.0, empty_sum = 0.0, rating_sum = 0.0, words_sum = 0.0, tastes_sum = 0.0;
  int personas = 0;
  for (const SimUser& user : users) {
    if (user.drift.kind != DriftKind::kNone) ++s.drifted_users;
    if (!user.tastes.empty()) tastes_sum += user.tastes[0].CountTastes();
    for (int k = 0; k < user.num_windows(); ++k) {
      const Tastes& truth = user.tastes[k];
      Tastes bias_only(truth.num_genres());
      bias_only.bias = truth.bias;
      const std::string persona = RenderPersona(truth, world.lexicon(), world.config().persona_style);
      const int words = PersonaWordCount(persona);
      words_sum += words;
      ++personas;
      s.max_true_persona_words = std::max(s.max_true_persona_words, words);
      for (size_t i = 0; i < user.items[k].size(); ++i) {
        const std::vector<int>& genres = world.catalog().item(user.items[k][i]).genres;
        const int rating = user.ratings[k][i];
        ++s.ratings;
        ++s.rating_counts[rating - kMinRating];
        rating_sum += rating;
        floor_sum += std::abs(RateItem(truth, genres) - rating);
        bias_sum += std::abs(RateItem(bias_only, genres) - rating);
        empty_sum += std::abs(kMidRating - rating);
      }
    }
  }
  if (s.users > 0) {
    s.drift_fraction = static_cast<double>(s.drifted_users) / s.users;
    s.mean_tastes = tastes_sum / s.users;
  }
  if (s.ratings > 0) {
    s.five_star_fraction = static_cast<double>(s.rating_counts[4]) / s.ratings;
    s.mean_rating = rating_sum / s.ratings;
    s.noise_floor_mae = floor_sum / s.ratings;
    s.bias_only_mae = bias_sum / s.ratings;
    s.empty_persona_mae = empty_sum / s.ratings;
  }
  if (personas > 0) s.mean_true_persona_words = words_sum / personas;
  return s;
}

std::string WorldStatsJson(const WorldStats& s) {
  nlohmann::ordered_json j;
  j["users"] = s.users;
  j["drifted_users"] = s.drifted_users;
  j["drift_fraction"] = s.drift_fraction;
  j["ratings"] = s.ratings;
  j["rating_counts"] = s.rating_counts;
  j["five_star_fraction"] = s.five_star_fraction;
  j["mean_rating"] = s.mean_rating;
  j["noise_floor_mae"] = s.noise_floor_mae;
  j["bias_only_mae"] = s.bias_only_mae;
  j["empty_persona_mae"] = s.empty_persona_mae;
  j["mean_tastes"] = s.mean_tastes;
  j["mean_true_persona_words"] = s.mean_true_persona_words;
  j["max_true_persona_words"] = s.max_true_persona_words;
  return j.dump();
}

}  // namespace deeper::world

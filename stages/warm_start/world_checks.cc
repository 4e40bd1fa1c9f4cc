#include "stages/warm_start/world_checks.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "stages/persona/model_bundle.h"
#include "world/persona.h"
#include "world/persona_quality.h"
#include "world/rating_rule.h"

namespace deeper {
namespace {

Window WindowOf(const world::SimWorld& w, const world::SimUser& user, int k) {
  Window window;
  window.items = w.ItemNames(user, k);
  window.ratings = w.Ratings(user, k);
  return window;
}

// The tastes a persona states; malformed text states nothing ("fair rater .").
world::Tastes Stated(const std::string& persona, const world::SimWorld& w, bool* malformed) {
  const world::PersonaParse parse = world::ParsePersona(persona, w.lexicon(), w.config().persona_style);
  if (malformed) *malformed = !parse.ok;
  return parse.ok ? parse.tastes : world::Tastes(w.lexicon().num_genres());
}

double RuleMae(const world::Tastes& tastes, const world::SimWorld& w, const Window& window) {
  return world::MeanAbsoluteError(world::PredictRatings(tastes, w.lexicon(), window.items), window.ratings);
}

// The tri-objective reward of `candidate` over `old` on W0..W2 with the rule as predictor.
double RuleReward(const world::Tastes& old, const world::Tastes& candidate, const world::SimWorld& w,
                  const std::vector<Window>& windows) {
  double reward = 0.0;
  for (const Window& window : windows) reward += RuleMae(old, w, window) - RuleMae(candidate, w, window);
  return reward / world::kRatingRange;
}

}  // namespace

std::vector<GateSample> CollectGateSamples(const RatingPredictor& predictor, const world::SimWorld& w, int max_users,
                                           int* users) {
  const auto& eval = w.eval_users();
  const size_t n = max_users > 0 ? std::min(eval.size(), static_cast<size_t>(max_users)) : eval.size();
  const std::string& type = w.config().item_type;
  const std::string& dataset = w.config().dataset_name;
  std::vector<GateSample> samples;
  for (size_t u = 0; u < n; ++u) {
    const world::SimUser& user = eval[u];
    for (int k = 0; k < user.num_windows(); ++k) {
      const Window window = WindowOf(w, user, k);
      const world::Tastes& truth = user.tastes[static_cast<size_t>(k)];
      const std::string persona = world::RenderPersona(truth, w.lexicon(), w.config().persona_style);
      const std::vector<double> predicted = predictor.Predict(persona, window.items, type, dataset);
      const std::vector<double> empty = predictor.Predict("", window.items, type, dataset);
      const std::vector<double> rule = world::PredictRatings(truth, w.lexicon(), window.items);
      for (size_t i = 0; i < window.items.size(); ++i) {
        samples.push_back({predicted[i], empty[i], rule[i], window.ratings[i]});
      }
    }
  }
  if (users) *users = static_cast<int>(n);
  return samples;
}

RefinerQuality MeasureRefinerQuality(const ModelBundle& refiner, const RatingPredictor& predictor, const PromptSet& prompts,
                                     const world::SimWorld& w, const RefinerQualityOptions& options) {
  RefinerQuality q;
  std::vector<const world::SimUser*> users;
  for (const auto& user : w.train_users()) {
    if (user.num_windows() >= 3 && static_cast<int>(users.size()) < options.contexts) users.push_back(&user);
  }
  if (users.empty() || options.num_candidates < 1) return q;
  const std::string& type = w.config().item_type;
  const std::string& dataset = w.config().dataset_name;
  const std::string scale = predictor.ScaleFor(dataset).Text();

  // S0, greedily, as init_persona writes it.
  std::vector<PersonaRequest> init;
  for (const auto* user : users) {
    const Window w0 = WindowOf(w, *user, 0);
    init.push_back({InitPromptIds(refiner, prompts, type, scale, w0.items, w0.ratings), 0});
  }
  PersonaSampling greedy;
  const auto s0 = GeneratePersonas(refiner, init, greedy, options.generation);

  std::vector<PersonaRequest> refine;
  for (size_t i = 0; i < users.size(); ++i) {
    const Window w1 = WindowOf(w, *users[i], 1);
    const auto predicted = predictor.Predict(s0[i].text, w1.items, type, dataset);
    const auto prompt = RefinePromptIds(refiner, prompts, type, scale, s0[i].text, w1.items, w1.ratings, predicted);
    for (int c = 0; c < options.num_candidates; ++c) {
      refine.push_back({prompt, PersonaKey(1, dataset, users[i]->id, static_cast<uint64_t>(c))});
    }
  }
  const auto candidates = GeneratePersonas(refiner, refine, options.sampling, options.generation);

  world::PersonaQualitySummary s0_quality;
  int better = 0, worse = 0, tied = 0, malformed = 0;
  double reward_sum = 0.0, best_sum = 0.0, distinct_sum = 0.0;
  for (size_t i = 0; i < users.size(); ++i) {
    const world::SimUser& user = *users[i];
    s0_quality.Add(world::MeasurePersona(s0[i].text, user.tastes[0], w.lexicon(), w.config().persona_style));
    const std::vector<Window> windows = {WindowOf(w, user, 0), WindowOf(w, user, 1), WindowOf(w, user, 2)};
    const world::Tastes old = Stated(s0[i].text, w, nullptr);
    double best = -1e9;
    std::set<std::string> texts;
    for (int c = 0; c < options.num_candidates; ++c) {
      const auto& candidate = candidates[i * static_cast<size_t>(options.num_candidates) + static_cast<size_t>(c)];
      bool bad = false;
      const double reward = RuleReward(old, Stated(candidate.text, w, &bad), w, windows);
      texts.insert(candidate.text);
      malformed += bad ? 1 : 0;
      if (!bad) tied += reward == 0.0 ? 1 : 0;
      better += reward > 0.0 ? 1 : 0;
      worse += reward < 0.0 ? 1 : 0;
      reward_sum += reward;
      best = std::max(best, reward);
    }
    best_sum += best;
    distinct_sum += static_cast<double>(texts.size()) / options.num_candidates;
  }
  q.contexts = static_cast<int>(users.size());
  q.candidates = q.contexts * options.num_candidates;
  const double n = q.candidates;
  q.better = better / n;
  q.worse = worse / n;
  q.tied = tied / n;
  q.malformed = malformed / n;
  q.mean_reward = reward_sum / n;
  q.best_mean_reward = best_sum / q.contexts;
  q.distinct = distinct_sum / q.contexts;
  q.s0_malformed = s0_quality.malformed_rate();
  q.s0_recall = s0_quality.mean_recall();
  q.s0_precision = s0_quality.mean_precision();
  return q;
}

std::string RefinerQualityJson(const RefinerQuality& q) {
  nlohmann::ordered_json j;
  j["contexts"] = q.contexts;
  j["candidates"] = q.candidates;
  j["better"] = q.better;
  j["worse"] = q.worse;
  j["tied"] = q.tied;
  j["malformed"] = q.malformed;
  j["mean_reward"] = q.mean_reward;
  j["best_mean_reward"] = q.best_mean_reward;
  j["distinct"] = q.distinct;
  j["s0_malformed"] = q.s0_malformed;
  j["s0_recall"] = q.s0_recall;
  j["s0_precision"] = q.s0_precision;
  return j.dump(2) + "\n";
}

}  // namespace deeper

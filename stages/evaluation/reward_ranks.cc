#include "stages/evaluation/reward_ranks.h"

#include <algorithm>
#include <map>
#include <utility>

#include "common/error.h"
#include "world/persona.h"
#include "world/persona_quality.h"
#include "world/rating_rule.h"

namespace deeper {
namespace {

// Running sums of one rank.
struct RankSums {
  int candidates = 0;
  int malformed = 0;
  double reward = 0.0, predictor_error = 0.0, rule_error = 0.0;
  double recall = 0.0, precision = 0.0, bias = 0.0, stated = 0.0, exact = 0.0, spurious = 0.0;

  void Add(const RewardRecord& record, double rule, const world::PersonaQuality& q) {
    ++candidates;
    reward += record.reward.total;
    predictor_error += (record.errors.prev + record.errors.curr + record.errors.fut) / 3.0;
    rule_error += rule;
    recall += q.taste_recall;
    precision += q.taste_precision;
    bias += q.bias_correct ? 1.0 : 0.0;
    malformed += q.malformed ? 1 : 0;
    if (!q.malformed) stated += q.stated - 1;
    exact += q.exact;
    spurious += q.spurious;
  }

  RewardRankRow Row(int iteration, int rank) const {
    const double n = candidates;
    RewardRankRow row;
    row.iteration = iteration;
    row.rank = rank;
    row.candidates = candidates;
    row.mean_reward = reward / n;
    row.predictor_error = predictor_error / n;
    row.rule_error = rule_error / n;
    row.taste_recall = recall / n;
    row.taste_precision = precision / n;
    row.bias_accuracy = bias / n;
    row.stated = stated / n;
    row.exact = exact / n;
    row.spurious = spurious / n;
    row.malformed_rate = malformed / n;
    return row;
  }
};

// The world's users by id.
std::map<std::string, const world::SimUser*> UsersById(const world::SimWorld& world) {
  std::map<std::string, const world::SimUser*> users;
  for (const auto* split : {&world.train_users(), &world.eval_users()}) {
    for (const auto& user : *split) users[user.id] = &user;
  }
  return users;
}

// Mean over windows k-1, k, k+1 of the rule's MAE with `tastes`.
double RuleError(const world::SimWorld& world, const world::SimUser& user, int k, const world::Tastes& tastes) {
  double sum = 0.0;
  for (int g = k - 1; g <= k + 1; ++g) {
    sum += world::MeanAbsoluteError(world::PredictRatings(tastes, world.lexicon(), world.ItemNames(user, g)),
                                    world.Ratings(user, g));
  }
  return sum / 3.0;
}

}  // namespace

std::vector<RewardRankRow> RewardRankRows(int iteration, const std::vector<RewardRecord>& records,
                                          const world::SimWorld& world, const std::string& source) {
  const auto users = UsersById(world);
  const world::PersonaStyle style = world.config().persona_style;
  std::map<std::pair<std::string, int64_t>, std::vector<const RewardRecord*>> contexts;
  for (const auto& record : records) contexts[{record.id, record.window}].push_back(&record);
  std::vector<RankSums> ranks;
  for (auto& [key, candidates] : contexts) {
    const auto found = users.find(key.first);
    DEEPER_REQUIRE(found != users.end(), source, ": user ", key.first, " is not in the world");
    const world::SimUser& user = *found->second;
    const auto windows = static_cast<int64_t>(user.tastes.size());
    DEEPER_REQUIRE(key.second >= 1 && key.second + 1 < windows, source, ": user ", key.first, " window ", key.second,
                   " needs windows ", key.second - 1, "..", key.second + 1, " of the world's 0..", windows - 1);
    const int k = static_cast<int>(key.second);
    std::stable_sort(candidates.begin(), candidates.end(), [](const RewardRecord* a, const RewardRecord* b) {
      if (a->reward.total != b->reward.total) return a->reward.total > b->reward.total;
      return a->candidate < b->candidate;
    });
    if (ranks.size() < candidates.size()) ranks.resize(candidates.size());
    const world::Tastes& truth = user.tastes[static_cast<size_t>(k)];
    for (size_t r = 0; r < candidates.size(); ++r) {
      const std::string& persona = candidates[r]->persona;
      const world::PersonaParse parse = world::ParsePersona(persona, world.lexicon(), style);
      const world::Tastes stated = parse.ok ? parse.tastes : world::Tastes(world.lexicon().num_genres());
      ranks[r].Add(*candidates[r], RuleError(world, user, k, stated),
                   world::MeasurePersona(persona, truth, world.lexicon(), style));
    }
  }
  std::vector<RewardRankRow> rows;
  for (size_t r = 0; r < ranks.size(); ++r) rows.push_back(ranks[r].Row(iteration, static_cast<int>(r)));
  return rows;
}

}  // namespace deeper

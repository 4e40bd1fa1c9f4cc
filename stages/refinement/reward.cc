#include "stages/refinement/reward.h"

#include "common/error.h"

namespace deeper {

RewardWeights RewardWeightsFromConfig(const Config& config) {
  RewardWeights w;
  w.prev = config.Get<double>("reward_assignment.weights.prev");
  w.curr = config.Get<double>("reward_assignment.weights.curr");
  w.fut = config.Get<double>("reward_assignment.weights.fut");
  return w;
}

Reward ComputeReward(const WindowErrors& old_persona, const WindowErrors& candidate, const RewardWeights& weights,
                     double rating_range) {
  DEEPER_REQUIRE(rating_range > 0, "reward: the rating range must be positive, not ", rating_range);
  Reward r;
  r.prev = weights.prev * (old_persona.prev - candidate.prev) / rating_range;
  r.curr = weights.curr * (old_persona.curr - candidate.curr) / rating_range;
  r.fut = weights.fut * (old_persona.fut - candidate.fut) / rating_range;
  r.total = r.prev + r.curr + r.fut;
  return r;
}

}  // namespace deeper

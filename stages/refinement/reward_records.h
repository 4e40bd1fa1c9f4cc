// Reward shards (reward_assignment_1/_2): one row per candidate, aligned row for row with the
// direction_sampling shard of the same index.
//
// Columns: id, dataset_name (strings); iteration, window, candidate, flags (int64, the candidate's
// PersonaFlag bits); persona (string, the candidate); rating_range (float64); e_prev_old, e_curr_old,
// e_fut_old (float64: the old persona's MAE on W_{k-1}, W_k, W_{k+1}); e_prev, e_curr, e_fut (the
// candidate's); reward_prev, reward_curr, reward_fut (weighted normalised terms) and reward (their
// sum); old_pred_prev, old_pred_curr, old_pred_fut, pred_prev, pred_curr, pred_fut (ragged float64:
// the predictions behind each error). Attributes weight_prev, weight_curr, weight_fut (as text).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/shard.h"
#include "stages/refinement/reward.h"

namespace deeper {

struct WindowPredictions {
  std::vector<double> prev, curr, fut;
};

struct RewardRecord {
  std::string id;
  std::string dataset_name;
  int64_t iteration = 0;
  int64_t window = 0;
  int64_t candidate = 0;
  int64_t flags = 0;
  std::string persona;
  double rating_range = 0.0;
  WindowErrors old_errors;
  WindowErrors errors;
  Reward reward;
  WindowPredictions old_predictions;
  WindowPredictions predictions;
};

ShardWriter RewardRecordsToShard(const std::vector<RewardRecord>& records, const RewardWeights& weights);
std::vector<RewardRecord> RewardRecordsFromShard(const ShardReader& shard);

}  // namespace deeper

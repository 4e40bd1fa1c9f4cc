#include "stages/refinement/reward_records.h"

#include <cstdio>

namespace deeper {
namespace {

std::string ExactText(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

}  // namespace

ShardWriter RewardRecordsToShard(const std::vector<RewardRecord>& records, const RewardWeights& weights) {
  StringColumn id, dataset_name, persona;
  Int64Column iteration, window, candidate, flags;
  Float64Column range, e_prev_old, e_curr_old, e_fut_old, e_prev, e_curr, e_fut, r_prev, r_curr, r_fut, reward;
  RaggedFloat64Column old_prev, old_curr, old_fut, p_prev, p_curr, p_fut;
  for (const auto& r : records) {
    id.push_back(r.id);
    dataset_name.push_back(r.dataset_name);
    persona.push_back(r.persona);
    iteration.push_back(r.iteration);
    window.push_back(r.window);
    candidate.push_back(r.candidate);
    flags.push_back(r.flags);
    range.push_back(r.rating_range);
    e_prev_old.push_back(r.old_errors.prev);
    e_curr_old.push_back(r.old_errors.curr);
    e_fut_old.push_back(r.old_errors.fut);
    e_prev.push_back(r.errors.prev);
    e_curr.push_back(r.errors.curr);
    e_fut.push_back(r.errors.fut);
    r_prev.push_back(r.reward.prev);
    r_curr.push_back(r.reward.curr);
    r_fut.push_back(r.reward.fut);
    reward.push_back(r.reward.total);
    old_prev.push_back(r.old_predictions.prev);
    old_curr.push_back(r.old_predictions.curr);
    old_fut.push_back(r.old_predictions.fut);
    p_prev.push_back(r.predictions.prev);
    p_curr.push_back(r.predictions.curr);
    p_fut.push_back(r.predictions.fut);
  }
  ShardWriter w;
  w.Add("id", std::move(id));
  w.Add("dataset_name", std::move(dataset_name));
  w.Add("persona", std::move(persona));
  w.Add("iteration", std::move(iteration));
  w.Add("window", std::move(window));
  w.Add("candidate", std::move(candidate));
  w.Add("flags", std::move(flags));
  w.Add("rating_range", std::move(range));
  w.Add("e_prev_old", std::move(e_prev_old));
  w.Add("e_curr_old", std::move(e_curr_old));
  w.Add("e_fut_old", std::move(e_fut_old));
  w.Add("e_prev", std::move(e_prev));
  w.Add("e_curr", std::move(e_curr));
  w.Add("e_fut", std::move(e_fut));
  w.Add("reward_prev", std::move(r_prev));
  w.Add("reward_curr", std::move(r_curr));
  w.Add("reward_fut", std::move(r_fut));
  w.Add("reward", std::move(reward));
  w.Add("old_pred_prev", std::move(old_prev));
  w.Add("old_pred_curr", std::move(old_curr));
  w.Add("old_pred_fut", std::move(old_fut));
  w.Add("pred_prev", std::move(p_prev));
  w.Add("pred_curr", std::move(p_curr));
  w.Add("pred_fut", std::move(p_fut));
  w.SetAttribute("weight_prev", ExactText(weights.prev));
  w.SetAttribute("weight_curr", ExactText(weights.curr));
  w.SetAttribute("weight_fut", ExactText(weights.fut));
  return w;
}

std::vector<RewardRecord> RewardRecordsFromShard(const ShardReader& shard) {
  const auto id = shard.Strings("id");
  const auto dataset_name = shard.Strings("dataset_name");
  const auto persona = shard.Strings("persona");
  const auto iteration = shard.Int64("iteration");
  const auto window = shard.Int64("window");
  const auto candidate = shard.Int64("candidate");
  const auto flags = shard.Int64("flags");
  const auto range = shard.Float64("rating_range");
  const auto e_prev_old = shard.Float64("e_prev_old");
  const auto e_curr_old = shard.Float64("e_curr_old");
  const auto e_fut_old = shard.Float64("e_fut_old");
  const auto e_prev = shard.Float64("e_prev");
  const auto e_curr = shard.Float64("e_curr");
  const auto e_fut = shard.Float64("e_fut");
  const auto r_prev = shard.Float64("reward_prev");
  const auto r_curr = shard.Float64("reward_curr");
  const auto r_fut = shard.Float64("reward_fut");
  const auto reward = shard.Float64("reward");
  const auto old_prev = shard.RaggedFloat64("old_pred_prev");
  const auto old_curr = shard.RaggedFloat64("old_pred_curr");
  const auto old_fut = shard.RaggedFloat64("old_pred_fut");
  const auto p_prev = shard.RaggedFloat64("pred_prev");
  const auto p_curr = shard.RaggedFloat64("pred_curr");
  const auto p_fut = shard.RaggedFloat64("pred_fut");
  std::vector<RewardRecord> records(id.size());
  for (size_t i = 0; i < records.size(); ++i) {
    RewardRecord& r = records[i];
    r.id = id[i];
    r.dataset_name = dataset_name[i];
    r.persona = persona[i];
    r.iteration = iteration[i];
    r.window = window[i];
    r.candidate = candidate[i];
    r.flags = flags[i];
    r.rating_range = range[i];
    r.old_errors = {e_prev_old[i], e_curr_old[i], e_fut_old[i]};
    r.errors = {e_prev[i], e_curr[i], e_fut[i]};
    r.reward = {r_prev[i], r_curr[i], r_fut[i], reward[i]};
    r.old_predictions = {old_prev[i], old_curr[i], old_fut[i]};
    r.predictions = {p_prev[i], p_curr[i], p_fut[i]};
  }
  return records;
}

}  // namespace deeper

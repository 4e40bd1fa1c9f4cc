#include "stages/refinement/pair_records.h"

#include <cstdio>
#include <cstdlib>

#include "common/error.h"

namespace deeper {

ShardWriter PairRecordsToShard(const std::vector<PairRecord>& records, double loss_margin, const std::string& strategy) {
  StringColumn id, dataset_name, chosen, rejected;
  Int64Column iteration, window, chosen_candidate, rejected_candidate, chosen_flags, rejected_flags;
  Float64Column chosen_reward, rejected_reward, gap;
  RaggedInt64Column prompt_ids, chosen_ids, rejected_ids;
  for (const auto& r : records) {
    id.push_back(r.id);
    dataset_name.push_back(r.dataset_name);
    chosen.push_back(r.chosen);
    rejected.push_back(r.rejected);
    iteration.push_back(r.iteration);
    window.push_back(r.window);
    chosen_candidate.push_back(r.chosen_candidate);
    rejected_candidate.push_back(r.rejected_candidate);
    chosen_flags.push_back(r.chosen_flags);
    rejected_flags.push_back(r.rejected_flags);
    chosen_reward.push_back(r.chosen_reward);
    rejected_reward.push_back(r.rejected_reward);
    gap.push_back(r.chosen_reward - r.rejected_reward);
    prompt_ids.push_back(r.prompt_ids);
    chosen_ids.push_back(r.chosen_ids);
    rejected_ids.push_back(r.rejected_ids);
  }
  ShardWriter w;
  w.Add("prompt_ids", std::move(prompt_ids));
  w.Add("chosen_ids", std::move(chosen_ids));
  w.Add("rejected_ids", std::move(rejected_ids));
  w.Add("id", std::move(id));
  w.Add("dataset_name", std::move(dataset_name));
  w.Add("iteration", std::move(iteration));
  w.Add("window", std::move(window));
  w.Add("chosen_candidate", std::move(chosen_candidate));
  w.Add("rejected_candidate", std::move(rejected_candidate));
  w.Add("chosen_flags", std::move(chosen_flags));
  w.Add("rejected_flags", std::move(rejected_flags));
  w.Add("chosen_reward", std::move(chosen_reward));
  w.Add("rejected_reward", std::move(rejected_reward));
  w.Add("reward_gap", std::move(gap));
  w.Add("chosen", std::move(chosen));
  w.Add("rejected", std::move(rejected));
  char margin[32];
  std::snprintf(margin, sizeof(margin), "%.17g", loss_margin);
  w.SetAttribute("kind", "preference_pairs");
  w.SetAttribute("loss_margin", margin);
  w.SetAttribute("strategy", strategy);
  return w;
}

std::vector<PairRecord> PairRecordsFromShard(const ShardReader& shard) {
  const auto prompt_ids = shard.RaggedInt64("prompt_ids");
  const auto chosen_ids = shard.RaggedInt64("chosen_ids");
  const auto rejected_ids = shard.RaggedInt64("rejected_ids");
  const auto id = shard.Strings("id");
  const auto dataset_name = shard.Strings("dataset_name");
  const auto iteration = shard.Int64("iteration");
  const auto window = shard.Int64("window");
  const auto chosen_candidate = shard.Int64("chosen_candidate");
  const auto rejected_candidate = shard.Int64("rejected_candidate");
  const auto chosen_flags = shard.Int64("chosen_flags");
  const auto rejected_flags = shard.Int64("rejected_flags");
  const auto chosen_reward = shard.Float64("chosen_reward");
  const auto rejected_reward = shard.Float64("rejected_reward");
  const auto chosen = shard.Strings("chosen");
  const auto rejected = shard.Strings("rejected");
  std::vector<PairRecord> records(id.size());
  for (size_t i = 0; i < records.size(); ++i) {
    PairRecord& r = records[i];
    r.id = id[i];
    r.dataset_name = dataset_name[i];
    r.iteration = iteration[i];
    r.window = window[i];
    r.prompt_ids = prompt_ids[i];
    r.chosen_ids = chosen_ids[i];
    r.rejected_ids = rejected_ids[i];
    r.chosen_candidate = chosen_candidate[i];
    r.rejected_candidate = rejected_candidate[i];
    r.chosen_flags = chosen_flags[i];
    r.rejected_flags = rejected_flags[i];
    r.chosen_reward = chosen_reward[i];
    r.rejected_reward = rejected_reward[i];
    r.chosen = chosen[i];
    r.rejected = rejected[i];
  }
  return records;
}

double PairShardLossMargin(const ShardReader& shard) {
  DEEPER_REQUIRE(shard.HasAttribute("loss_margin"), shard.path(), ": no loss_margin attribute (not a mined pair shard)");
  const std::string text = shard.StringAttribute("loss_margin");
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  DEEPER_REQUIRE(end && *end == '\0' && !text.empty(), shard.path(), ": loss_margin '", text, "' is not a number");
  return value;
}

}  // namespace deeper

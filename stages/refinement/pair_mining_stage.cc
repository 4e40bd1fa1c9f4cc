// pair_mining_<k>: (chosen, rejected) pairs from each context's rewarded candidates, by the rules of
// pair_mining.iter<k> (pair_rules.h). Output: mined pair shards (pair_records.h), contexts in shard
// order, a context's pairs best chosen first.
#include <glog/logging.h>

#include <cstdint>

#include "common/error.h"
#include "pipeline/shard.h"
#include "stages/refinement/candidate_records.h"
#include "stages/refinement/pair_records.h"
#include "stages/refinement/pair_rules.h"
#include "stages/refinement/reward_records.h"
#include "stages/refinement/stage_support.h"
#include "stages/refinement/stages.h"

namespace deeper {
namespace {

class MiningStage : public Stage {
 public:
  explicit MiningStage(int iteration) : iteration_(iteration) {}

  std::string Name() const override { return PairMiningStage(iteration_); }
  std::string Description() const override {
    return "preference pairs from rewarded candidates (iteration " + std::to_string(iteration_) + " rules)";
  }
  std::vector<std::string> Inputs() const override {
    return {DirectionSamplingStage(iteration_), RewardAssignmentStage(iteration_)};
  }
  std::vector<std::string> ConfigKeys() const override { return {"pair_mining.iter" + std::to_string(iteration_)}; }
  int NumShards(const Config& config) const override { return UserShardCount(config); }

 protected:
  void Prepare(StageContext& context) override { rules_ = MiningRulesFromConfig(context.config, iteration_); }

  void RunShard(StageContext& context, int shard) override {
    const auto candidates =
        CandidateRecordsFromShard(ShardReader(InputShard(context, DirectionSamplingStage(iteration_), shard)));
    const auto rewards =
        RewardRecordsFromShard(ShardReader(InputShard(context, RewardAssignmentStage(iteration_), shard)));
    DEEPER_REQUIRE(candidates.size() == rewards.size(), "pair_mining: shard ", shard, " has ", candidates.size(),
                   " candidates but ", rewards.size(), " rewards");
    std::vector<PairRecord> pairs;
    PairSummary summary;
    for (const RowRange& range : ContextRanges(candidates)) {
      std::vector<ScoredCandidate> scored;
      std::vector<int64_t> tokens;
      for (size_t i = range.begin; i < range.end; ++i) {
        DEEPER_REQUIRE(rewards[i].id == candidates[i].id && rewards[i].dataset_name == candidates[i].dataset_name &&
                           rewards[i].candidate == candidates[i].candidate,
                       "pair_mining: row ", i, " of shard ", shard, " differs between candidates and rewards");
        scored.push_back({static_cast<int64_t>(i - range.begin), rewards[i].reward.total, candidates[i].persona.flags});
        tokens.push_back(static_cast<int64_t>(candidates[i].persona.token_ids.size()));
      }
      const std::vector<MinedPair> mined_pairs = MinePairs(scored, rules_);
      summary.AddContext(mined_pairs, tokens);
      for (const MinedPair& mined : mined_pairs) {
        const CandidateRecord& c = candidates[range.begin + static_cast<size_t>(mined.chosen)];
        const CandidateRecord& r = candidates[range.begin + static_cast<size_t>(mined.rejected)];
        PairRecord pair;
        pair.id = c.id;
        pair.dataset_name = c.dataset_name;
        pair.iteration = c.iteration;
        pair.window = c.window;
        pair.prompt_ids = c.prompt_ids;
        pair.chosen_ids = c.persona.token_ids;
        pair.rejected_ids = r.persona.token_ids;
        pair.chosen_candidate = c.candidate;
        pair.rejected_candidate = r.candidate;
        pair.chosen_flags = c.persona.flags;
        pair.rejected_flags = r.persona.flags;
        pair.chosen_reward = rewards[range.begin + static_cast<size_t>(mined.chosen)].reward.total;
        pair.rejected_reward = rewards[range.begin + static_cast<size_t>(mined.rejected)].reward.total;
        pair.chosen = c.persona.text;
        pair.rejected = r.persona.text;
        pairs.push_back(std::move(pair));
      }
    }
    PairRecordsToShard(pairs, rules_.loss_margin, rules_.strategy).Commit(context.ShardPath(shard));
    LOG(INFO) << Name() << " shard " << shard << ": " << summary.Line();
  }

 private:
  int iteration_;
  MiningRules rules_;
};

}  // namespace

std::unique_ptr<Stage> MakePairMiningStage(const Config&, int iteration) { return std::make_unique<MiningStage>(iteration); }

}  // namespace deeper

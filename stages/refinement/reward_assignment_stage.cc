// reward_assignment_<k>: the tri-objective reward of every candidate of direction_sampling_<k>. The
// frozen predictor rates W_{k-1}, W_k and W_{k+1} from the old persona (once per context) and from
// each candidate (one shared-prefix call per persona for all three windows). Output: reward shards
// (reward_records.h), row i of shard s belonging to row i of direction_sampling_<k>'s shard s.
#include <map>

#include "common/error.h"
#include "pipeline/shard.h"
#include "stages/persona/persona_records.h"
#include "stages/persona/prediction.h"
#include "stages/refinement/candidate_records.h"
#include "stages/refinement/reward_records.h"
#include "stages/refinement/stage_support.h"
#include "stages/refinement/stages.h"

namespace deeper {
namespace {

// The predictions of one persona on the three windows, and their errors.
struct Scored {
  WindowPredictions predictions;
  WindowErrors errors;
};

class RewardStage : public Stage {
 public:
  RewardStage(const Config& config, int iteration) : iteration_(iteration), prediction_keys_(PredictionConfigKeys(config)) {}

  std::string Name() const override { return RewardAssignmentStage(iteration_); }
  std::string Description() const override {
    return "tri-objective reward of every candidate (iteration " + std::to_string(iteration_) + ")";
  }
  std::vector<std::string> Inputs() const override { return {kContextBuilding, DirectionSamplingStage(iteration_)}; }
  std::vector<std::string> ConfigKeys() const override { return Join({"reward_assignment"}, prediction_keys_); }
  int NumShards(const Config& config) const override { return UserShardCount(config); }
  std::vector<std::string> ExternalInputs(const Config& config) const override {
    return ModelInputFiles(config, config.Get<std::string>("prediction.model"));
  }

 protected:
  void Prepare(StageContext& context) override {
    ConfigureTorchThreads(context.config);
    prediction_ = PredictionOptionsFromConfig(context.config);
    predictor_ = std::make_unique<ModelHandle>(ModelSpecFromConfig(context.config, prediction_.model));
    prompts_ = PromptSetFromConfig(context.config);
    weights_ = RewardWeightsFromConfig(context.config);
  }

  void RunShard(StageContext& context, int shard) override {
    std::map<std::string, UserContext> users;
    for (auto& user : ReadUsers(context, shard)) users.emplace(UserKey(user.dataset_name, user.id), std::move(user));
    const auto candidates = CandidateRecordsFromShard(ShardReader(InputShard(context, DirectionSamplingStage(iteration_), shard)));
    const RatingPredictor predictor(predictor_->Get(), prompts_, prediction_);
    std::vector<RewardRecord> records;
    for (const RowRange& range : ContextRanges(candidates)) {
      const CandidateRecord& first = candidates[range.begin];
      auto it = users.find(UserKey(first.dataset_name, first.id));
      DEEPER_REQUIRE(it != users.end(), "reward_assignment: user ", UserKey(first.dataset_name, first.id),
                     " of the candidates is not in context_building's shard ", shard);
      const UserContext& user = it->second;
      const int k = static_cast<int>(first.window);
      DEEPER_REQUIRE(HasWindows(user, k - 1, k + 1), "reward_assignment: user ", user.id, " lacks windows ", k - 1,
                     "..", k + 1);
      const double range_width = prediction_.ScaleFor(user.dataset_name).range();
      const Scored old_scored = Score(predictor, first.old_persona, user, k);
      for (size_t i = range.begin; i < range.end; ++i) {
        const CandidateRecord& c = candidates[i];
        const Scored scored = Score(predictor, c.persona.text, user, k);
        RewardRecord r;
        r.id = c.id;
        r.dataset_name = c.dataset_name;
        r.iteration = c.iteration;
        r.window = c.window;
        r.candidate = c.candidate;
        r.flags = c.persona.flags;
        r.persona = c.persona.text;
        r.rating_range = range_width;
        r.old_errors = old_scored.errors;
        r.errors = scored.errors;
        r.reward = ComputeReward(r.old_errors, r.errors, weights_, range_width);
        r.old_predictions = old_scored.predictions;
        r.predictions = scored.predictions;
        records.push_back(std::move(r));
      }
    }
    RewardRecordsToShard(records, weights_).Commit(context.ShardPath(shard));
  }

 private:
  // Predicts W_{k-1}, W_k, W_{k+1} in one call (one persona prefix) and splits the result.
  static Scored Score(const RatingPredictor& predictor, const std::string& persona, const UserContext& user, int k) {
    const Window& prev = user.windows[static_cast<size_t>(k - 1)];
    const Window& curr = user.windows[static_cast<size_t>(k)];
    const Window& fut = user.windows[static_cast<size_t>(k + 1)];
    std::vector<std::string> items = prev.items;
    items.insert(items.end(), curr.items.begin(), curr.items.end());
    items.insert(items.end(), fut.items.begin(), fut.items.end());
    const auto all = predictor.Predict(persona, items, user.item_type, user.dataset_name);
    const auto a = all.begin();
    const auto b = a + static_cast<std::ptrdiff_t>(prev.items.size());
    const auto c = b + static_cast<std::ptrdiff_t>(curr.items.size());
    Scored s;
    s.predictions.prev.assign(a, b);
    s.predictions.curr.assign(b, c);
    s.predictions.fut.assign(c, all.end());
    s.errors.prev = MeanAbsoluteError(s.predictions.prev, prev.ratings);
    s.errors.curr = MeanAbsoluteError(s.predictions.curr, curr.ratings);
    s.errors.fut = MeanAbsoluteError(s.predictions.fut, fut.ratings);
    return s;
  }

  int iteration_;
  std::vector<std::string> prediction_keys_;
  std::unique_ptr<ModelHandle> predictor_;
  PredictionOptions prediction_;
  PromptSet prompts_;
  RewardWeights weights_;
};

}  // namespace

std::unique_ptr<Stage> MakeRewardAssignmentStage(const Config& config, int iteration) {
  return std::make_unique<RewardStage>(config, iteration);
}

}  // namespace deeper

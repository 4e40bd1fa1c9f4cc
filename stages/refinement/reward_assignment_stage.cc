// reward_assignment_<k>: the tri-objective reward of every candidate of direction_sampling_<k>. The
// frozen predictor rates W_{k-1}, W_k and W_{k+1} from the old persona (once per context) and from
// each candidate (one shared prefix per persona for all three windows; the personas of several contexts
// scored together). Output: reward shards
// (reward_records.h), row i of shard s belonging to row i of direction_sampling_<k>'s shard s.
#include <algorithm>
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
    const std::vector<RowRange> ranges = ContextRanges(candidates);
    std::vector<RewardRecord> records;
    // Contexts are scored a batch at a time: the old persona and every candidate of each context of the
    // batch go to the predictor together (RatingPredictor::PredictMany).
    for (size_t first = 0; first < ranges.size(); first += kContextsPerBatch) {
      const size_t last = std::min(ranges.size(), first + kContextsPerBatch);
      std::vector<const UserContext*> batch_users;
      std::vector<PredictionQuery> queries;
      for (size_t r = first; r < last; ++r) {
        const CandidateRecord& head = candidates[ranges[r].begin];
        const UserContext& user = UserOf(users, head, shard);
        batch_users.push_back(&user);
        queries.push_back(Query(head.old_persona, user, static_cast<int>(head.window)));
        for (size_t i = ranges[r].begin; i < ranges[r].end; ++i) {
          queries.push_back(Query(candidates[i].persona.text, user, static_cast<int>(head.window)));
        }
      }
      const auto predictions = predictor.PredictMany(queries);
      size_t q = 0;
      for (size_t r = first; r < last; ++r) {
        const UserContext& user = *batch_users[r - first];
        const int k = static_cast<int>(candidates[ranges[r].begin].window);
        const double range_width = prediction_.ScaleFor(user.dataset_name).range();
        const Scored old_scored = Split(predictions[q++], user, k);
        for (size_t i = ranges[r].begin; i < ranges[r].end; ++i) {
          records.push_back(Record(candidates[i], old_scored, Split(predictions[q++], user, k), range_width));
        }
      }
    }
    RewardRecordsToShard(records, weights_).Commit(context.ShardPath(shard));
  }

 private:
  // Contexts per PredictMany call: 9 personas each with the paper's 8 candidates.
  static constexpr size_t kContextsPerBatch = 16;

  static const UserContext& UserOf(const std::map<std::string, UserContext>& users, const CandidateRecord& c,
                                   int shard) {
    auto it = users.find(UserKey(c.dataset_name, c.id));
    DEEPER_REQUIRE(it != users.end(), "reward_assignment: user ", UserKey(c.dataset_name, c.id),
                   " of the candidates is not in context_building's shard ", shard);
    const int k = static_cast<int>(c.window);
    DEEPER_REQUIRE(HasWindows(it->second, k - 1, k + 1), "reward_assignment: user ", c.id, " lacks windows ", k - 1,
                   "..", k + 1);
    return it->second;
  }

  // W_{k-1}, W_k, W_{k+1} rated from one persona: one query, one shared prefix for all three windows.
  static PredictionQuery Query(const std::string& persona, const UserContext& user, int k) {
    PredictionQuery query{persona, {}, user.item_type, user.dataset_name};
    for (int w = k - 1; w <= k + 1; ++w) {
      const Window& window = user.windows[static_cast<size_t>(w)];
      query.items.insert(query.items.end(), window.items.begin(), window.items.end());
    }
    return query;
  }

  // A query's predictions split back into the three windows, with their errors.
  static Scored Split(const std::vector<ItemPrediction>& all, const UserContext& user, int k) {
    const Window& prev = user.windows[static_cast<size_t>(k - 1)];
    const Window& curr = user.windows[static_cast<size_t>(k)];
    const Window& fut = user.windows[static_cast<size_t>(k + 1)];
    const std::vector<double> ratings = RatingsOf(all);
    const auto a = ratings.begin();
    const auto b = a + static_cast<std::ptrdiff_t>(prev.items.size());
    const auto c = b + static_cast<std::ptrdiff_t>(curr.items.size());
    Scored s;
    s.predictions.prev.assign(a, b);
    s.predictions.curr.assign(b, c);
    s.predictions.fut.assign(c, ratings.end());
    s.errors.prev = MeanAbsoluteError(s.predictions.prev, prev.ratings);
    s.errors.curr = MeanAbsoluteError(s.predictions.curr, curr.ratings);
    s.errors.fut = MeanAbsoluteError(s.predictions.fut, fut.ratings);
    return s;
  }

  RewardRecord Record(const CandidateRecord& c, const Scored& old_scored, const Scored& scored, double range_width) const {
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
    return r;
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

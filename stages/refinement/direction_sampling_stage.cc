// direction_sampling_<k>: for every training context of iteration k (the user's persona S_{k-1},
// window W_k), the predictions P_k = Predict(S_{k-1}, W_k), the refinement prompt, and N sampled
// candidate refinements. Iteration 1 refines init_persona's S0 with the base refiner; iteration 2
// refines refine_1's S1 with the iteration-1 model. Output: candidate shards (candidate_records.h).
#include <cstdint>
#include <map>

#include "common/error.h"

#include "pipeline/shard.h"
#include "stages/persona/persona_records.h"
#include "stages/persona/prediction.h"
#include "stages/persona/prompts.h"
#include "stages/refinement/candidate_records.h"
#include "stages/refinement/stage_support.h"
#include "stages/refinement/stages.h"

namespace deeper {
namespace {

class SamplingStage : public Stage {
 public:
  SamplingStage(const Config& config, int iteration)
      : iteration_(iteration), prediction_keys_(PredictionConfigKeys(config)) {}

  std::string Name() const override { return DirectionSamplingStage(iteration_); }
  std::string Description() const override {
    return "N candidate refinements per training context (iteration " + std::to_string(iteration_) + ")";
  }
  // The old personas come from init_persona (iteration 1) or refine_1 (iteration 2, which also
  // samples with dpo_iter1's model).
  std::vector<std::string> Inputs() const override {
    if (iteration_ == 1) return {kContextBuilding, kInitPersona};
    return {kContextBuilding, DpoStage(1), kRefine1};
  }
  std::vector<std::string> ConfigKeys() const override {
    return Join(Join({"direction_sampling", ModelConfigKey("refiner"), "run.seed"}, PersonaWritingConfigKeys("refine")),
                prediction_keys_);
  }
  int NumShards(const Config& config) const override { return UserShardCount(config); }
  std::vector<std::string> ExternalInputs(const Config& config) const override {
    return Join(ModelInputFiles(config, "refiner"), ModelInputFiles(config, config.Get<std::string>("prediction.model")));
  }

 protected:
  void Prepare(StageContext& context) override {
    ConfigureTorchThreads(context.config);
    const Config& config = context.config;
    ModelSpec refiner = ModelSpecFromConfig(config, "refiner");
    if (iteration_ > 1) refiner = TrainedRefinerSpec(refiner, context.input_dirs.at(DpoStage(iteration_ - 1)));
    prediction_ = PredictionOptionsFromConfig(config);
    refiner_ = std::make_unique<ModelHandle>(refiner);
    predictor_ = std::make_unique<ModelHandle>(ModelSpecFromConfig(config, prediction_.model), refiner_.get());
    prompts_ = PromptSetFromConfig(config);
    options_ = PersonaGenerationOptionsFromConfig(config);
    num_candidates_ = config.Get<int64_t>("direction_sampling.num_candidates");
    DEEPER_REQUIRE(num_candidates_ >= 2, config.source(), ": direction_sampling.num_candidates must be at least 2");
    sampling_.temperature = config.Get<double>("direction_sampling.temperature");
    sampling_.top_p = config.Get<double>("direction_sampling.top_p");
    sampling_.top_k = config.Get<int64_t>("direction_sampling.top_k");
    sampling_.seed = config.Get<uint64_t>("run.seed");
    DEEPER_REQUIRE(sampling_.temperature > 0, config.source(),
                   ": direction_sampling.temperature must be > 0 (greedy candidates would all be equal)");
  }

  void RunShard(StageContext& context, int shard) override {
    const std::string persona_stage = iteration_ == 1 ? kInitPersona : kRefine1;
    const auto personas = ReadPersonaRecords({InputShard(context, persona_stage, shard)});
    const auto users = TrainingUsers(context.config, ReadUsers(context, shard), iteration_ - 1, iteration_ + 1);
    const RatingPredictor predictor(predictor_->Get(), prompts_, prediction_);
    std::vector<CandidateRecord> records;
    std::vector<PersonaRequest> requests;
    for (const auto& user : users) {
      auto it = personas.find(UserKey(user.dataset_name, user.id));
      if (it == personas.end()) continue;  // e.g. refine_1 kept fewer users
      const Window& window = user.windows[static_cast<size_t>(iteration_)];
      CandidateRecord base;
      base.id = user.id;
      base.dataset_name = user.dataset_name;
      base.item_type = user.item_type;
      base.split = user.split;
      base.iteration = iteration_;
      base.window = iteration_;
      base.old_persona = it->second.persona.text;
      base.predicted = predictor.Predict(base.old_persona, window.items, user.item_type, user.dataset_name);
      base.prompt_ids = RefinePromptIds(refiner_->Get(), prompts_, user.item_type,
                                        prediction_.ScaleFor(user.dataset_name).Text(), base.old_persona, window.items,
                                        window.ratings, base.predicted);
      for (int64_t j = 0; j < num_candidates_; ++j) {
        CandidateRecord record = base;
        record.candidate = j;
        record.sampling_key = PersonaKey(static_cast<uint64_t>(iteration_), user.dataset_name, user.id,
                                         static_cast<uint64_t>(j));
        requests.push_back({record.prompt_ids, record.sampling_key});
        records.push_back(std::move(record));
      }
    }
    if (!requests.empty()) {
      auto candidates = GeneratePersonas(refiner_->Get(), requests, sampling_, options_);
      for (size_t i = 0; i < records.size(); ++i) records[i].persona = std::move(candidates[i]);
    }
    CandidateRecordsToShard(records).Commit(context.ShardPath(shard));
  }

 private:
  int iteration_;
  std::vector<std::string> prediction_keys_;
  std::unique_ptr<ModelHandle> refiner_;
  std::unique_ptr<ModelHandle> predictor_;
  PredictionOptions prediction_;
  PromptSet prompts_;
  PersonaGenerationOptions options_;
  int64_t num_candidates_ = 0;
  PersonaSampling sampling_;
};

}  // namespace

std::unique_ptr<Stage> MakeDirectionSamplingStage(const Config& config, int iteration) {
  return std::make_unique<SamplingStage>(config, iteration);
}

}  // namespace deeper

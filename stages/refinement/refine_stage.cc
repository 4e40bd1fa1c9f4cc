// refine_1: the personas iteration 2 starts from. For every training user with windows W0..W3:
// P1 = Predict(S0, W1) and S1 = Refine_{M1}(S0, W1, U1, P1), greedy, with the iteration-1 model, i.e.
// the contexts of iteration 2 are "built from personas refined by the iteration-1 model one window
// later". Output: persona shards (stages/persona/persona_records.h) with window 1.
#include "pipeline/shard.h"
#include "stages/persona/persona_records.h"
#include "stages/persona/prediction.h"
#include "stages/persona/prompts.h"
#include "stages/refinement/stage_support.h"
#include "stages/refinement/stages.h"

namespace deeper {
namespace {

class RefineStage : public Stage {
 public:
  explicit RefineStage(const Config& config) : prediction_keys_(PredictionConfigKeys(config)) {}

  std::string Name() const override { return kRefine1; }
  std::string Description() const override { return "S1 of the training users, refined by the iteration-1 model"; }
  std::vector<std::string> Inputs() const override { return {kContextBuilding, kInitPersona, DpoStage(1)}; }
  std::vector<std::string> ConfigKeys() const override {
    return Join(Join(Join({ModelConfigKey("refiner")}, PersonaWritingConfigKeys("refine")), prediction_keys_),
                TrainingUserConfigKeys());
  }
  int NumShards(const Config& config) const override { return UserShardCount(config); }
  std::vector<std::string> ExternalInputs(const Config& config) const override {
    return Join(ModelInputFiles(config, "refiner"), ModelInputFiles(config, config.Get<std::string>("prediction.model")));
  }

 protected:
  void Prepare(StageContext& context) override {
    ConfigureTorchThreads(context.config);
    const Config& config = context.config;
    prediction_ = PredictionOptionsFromConfig(config);
    refiner_ = std::make_unique<ModelHandle>(
        TrainedRefinerSpec(ModelSpecFromConfig(config, "refiner"), context.input_dirs.at(DpoStage(1))));
    predictor_ = std::make_unique<ModelHandle>(ModelSpecFromConfig(config, prediction_.model), refiner_.get());
    prompts_ = PromptSetFromConfig(config);
    options_ = PersonaGenerationOptionsFromConfig(config);
  }

  void RunShard(StageContext& context, int shard) override {
    const auto personas = ReadPersonaRecords({InputShard(context, kInitPersona, shard)});
    // Iteration 2 needs W1 (previous), W2 (current) and W3 (future) besides W0 of S0.
    const auto users = TrainingUsers(context.config, ReadUsers(context, shard), 0, 3);
    const RatingPredictor predictor(predictor_->Get(), prompts_, prediction_);
    std::vector<PersonaRecord> records;
    std::vector<PersonaRequest> requests;
    for (const auto& user : users) {
      auto it = personas.find(UserKey(user.dataset_name, user.id));
      if (it == personas.end()) continue;
      const Window& w1 = user.windows[1];
      PersonaRecord record;
      record.id = user.id;
      record.dataset_name = user.dataset_name;
      record.item_type = user.item_type;
      record.split = user.split;
      record.window = 1;
      record.old_persona = it->second.persona.text;
      record.predicted = predictor.Predict(record.old_persona, w1.items, user.item_type, user.dataset_name);
      record.prompt_ids = RefinePromptIds(refiner_->Get(), prompts_, user.item_type,
                                          prediction_.ScaleFor(user.dataset_name).Text(), record.old_persona, w1.items,
                                          w1.ratings, record.predicted);
      requests.push_back({record.prompt_ids, 0});
      records.push_back(std::move(record));
    }
    if (!requests.empty()) {
      auto refined = GeneratePersonas(refiner_->Get(), requests, PersonaSampling{}, options_);  // greedy
      for (size_t i = 0; i < records.size(); ++i) records[i].persona = std::move(refined[i]);
    }
    PersonaRecordsToShard(records).Commit(context.ShardPath(shard));
  }

 private:
  std::vector<std::string> prediction_keys_;
  std::unique_ptr<ModelHandle> refiner_;
  std::unique_ptr<ModelHandle> predictor_;
  PredictionOptions prediction_;
  PromptSet prompts_;
  PersonaGenerationOptions options_;
};

}  // namespace

std::unique_ptr<Stage> MakeRefineStage(const Config& config) { return std::make_unique<RefineStage>(config); }

bool RefinementConfigured(const Config& config) { return !config.Get<std::string>("models.refiner.path").empty(); }

std::vector<std::unique_ptr<Stage>> MakeRefinementStages(const Config& config) {
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(MakeInitPersonaStage(config));
  for (int iteration = 1; iteration <= 2; ++iteration) {
    if (iteration == 2) stages.push_back(MakeRefineStage(config));
    stages.push_back(MakeDirectionSamplingStage(config, iteration));
    stages.push_back(MakeRewardAssignmentStage(config, iteration));
    stages.push_back(MakePairMiningStage(config, iteration));
    stages.push_back(MakeDpoStage(config, iteration));
  }
  return stages;
}

}  // namespace deeper

// init_persona: the round-0 persona S0 of every user of init_persona.splits, written from window 0's
// items and true ratings. Output: persona shards (stages/persona/persona_records.h), window 0.
#include <algorithm>
#include <cstdint>

#include "pipeline/shard.h"
#include "stages/persona/persona_records.h"
#include "stages/persona/prompts.h"
#include "stages/persona/rating_scale.h"
#include "stages/refinement/stage_support.h"
#include "stages/refinement/stages.h"

namespace deeper {
namespace {

class InitPersonaStage : public Stage {
 public:
  explicit InitPersonaStage(const Config& config) : model_name_(config.Get<std::string>("init_persona.model")) {}

  std::string Name() const override { return kInitPersona; }
  std::string Description() const override { return "round-0 persona S0 of every user from window 0"; }
  std::vector<std::string> Inputs() const override { return {kContextBuilding}; }
  std::vector<std::string> ConfigKeys() const override {
    return Join({kInitPersona, ModelConfigKey(model_name_), "run.seed"}, PersonaWritingConfigKeys("init"));
  }
  int NumShards(const Config& config) const override { return UserShardCount(config); }
  std::vector<std::string> ExternalInputs(const Config& config) const override {
    return ModelInputFiles(config, model_name_);
  }

 protected:
  void Prepare(StageContext& context) override {
    ConfigureTorchThreads(context.config);
    const Config& config = context.config;
    model_ = std::make_unique<ModelHandle>(ModelSpecFromConfig(config, model_name_));
    prompts_ = PromptSetFromConfig(config);
    scales_ = PredictionOptionsFromConfig(config);
    options_ = PersonaGenerationOptionsFromConfig(config);
    splits_ = config.Get<std::vector<std::string>>("init_persona.splits");
    sampling_.temperature = config.Get<double>("init_persona.temperature");
    sampling_.top_p = config.Get<double>("init_persona.top_p");
    sampling_.seed = config.Get<uint64_t>("run.seed");
  }

  void RunShard(StageContext& context, int shard) override {
    std::vector<PersonaRecord> records;
    std::vector<PersonaRequest> requests;
    for (const auto& user : ReadUsers(context, shard)) {
      if (std::find(splits_.begin(), splits_.end(), user.split) == splits_.end()) continue;
      if (!HasWindows(user, 0, 0)) continue;
      PersonaRecord record;
      record.id = user.id;
      record.dataset_name = user.dataset_name;
      record.item_type = user.item_type;
      record.split = user.split;
      record.window = 0;
      const Window& w0 = user.windows[0];
      record.prompt_ids = InitPromptIds(model_->Get(), prompts_, user.item_type,
                                        scales_.ScaleFor(user.dataset_name).Text(), w0.items, w0.ratings);
      requests.push_back({record.prompt_ids, PersonaKey(0, user.dataset_name, user.id, 0)});
      records.push_back(std::move(record));
    }
    if (!requests.empty()) {
      auto personas = GeneratePersonas(model_->Get(), requests, sampling_, options_);
      for (size_t i = 0; i < records.size(); ++i) records[i].persona = std::move(personas[i]);
    }
    PersonaRecordsToShard(records).Commit(context.ShardPath(shard));
  }

 private:
  std::string model_name_;
  std::unique_ptr<ModelHandle> model_;
  PromptSet prompts_;
  PredictionOptions scales_;
  PersonaGenerationOptions options_;
  std::vector<std::string> splits_;
  PersonaSampling sampling_;
};

}  // namespace

std::unique_ptr<Stage> MakeInitPersonaStage(const Config& config) { return std::make_unique<InitPersonaStage>(config); }

}  // namespace deeper

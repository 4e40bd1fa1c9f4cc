#include "stages/warm_start/stage.h"

#include <cstdint>

#include <glog/logging.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "stages/persona/model_bundle.h"
#include "stages/persona/prediction.h"
#include "stages/warm_start/prompt_renderer.h"
#include "stages/warm_start/warm_checkpoint.h"
#include "stages/warm_start/warm_model.h"
#include "stages/warm_start/warm_start_options.h"
#include "stages/warm_start/world_checks.h"
#include "stages/world_stage/world_stage.h"
#include "world/world.h"
#include "world/world_files.h"

namespace deeper {
namespace {

using json = nlohmann::ordered_json;

constexpr char kRefinerCheckpointKey[] = "warm_start.refiner.checkpoint";

std::string DecodeAll(const Tokenizer& tokenizer, const std::vector<int64_t>& ids) {
  return tokenizer.Decode(std::vector<int32_t>(ids.begin(), ids.end()), /*skip_special_tokens=*/false);
}

// The example as text, completions marked; a packed example's branches each on their own.
std::string FirstExample(const Tokenizer& tokenizer, const SftExample& e) {
  std::string text = DecodeAll(tokenizer, e.prompt);
  if (!e.packed()) return text + "[completion]" + DecodeAll(tokenizer, e.completion);
  for (const SftBranch& b : e.branches) {
    text += "\n[branch]" + DecodeAll(tokenizer, b.prompt) + "[completion]" + DecodeAll(tokenizer, b.completion);
  }
  return text;
}

json LogJson(const SftStepLog& log) {
  return json{{"step", log.step}, {"loss", log.loss}, {"accuracy", log.accuracy}, {"learning_rate", log.learning_rate},
              {"grad_norm", log.grad_norm}, {"tokens", log.tokens}};
}

json SummaryJson(const SftSummary& s, size_t examples) {
  return json{{"examples", examples}, {"steps", s.steps}, {"reached_stop_loss", s.reached_stop_loss},
              {"tokens", s.tokens}, {"first_loss", s.first_loss},
              {"final_loss", s.final_loss}, {"final_accuracy", s.final_accuracy}};
}

class WarmStartStage : public Stage {
 public:
  std::string Name() const override { return kWarmStartStage; }
  std::string Description() const override {
    return "tiny predictor and refiner trained from scratch on the world's tasks (SFT), predictor gate";
  }
  std::vector<std::string> Inputs() const override { return {kWorldStage}; }
  std::vector<std::string> ConfigKeys() const override {
    return {kWarmStartSection, "run.seed", "prompts", "prediction", "models.predictor.chat_format",
            "models.refiner.chat_format"};
  }
  int NumShards(const Config&) const override { return 1; }
  std::vector<std::string> ExternalInputs(const Config& config) const override {
    const std::string checkpoint = config.Get<std::string>(kRefinerCheckpointKey);
    if (checkpoint.empty() || checkpoint == kBuiltinCheckpoint) return {};
    return {checkpoint};
  }
  std::string BuiltinInputsDigest(const Config& config) const override {
    if (config.Get<std::string>(kRefinerCheckpointKey) != kBuiltinCheckpoint) return "";
    return ResolveWarmCheckpoint(kBuiltinCheckpoint).Digest();
  }

  void Run(StageContext& context) override {
    const WarmStartOptions options = WarmStartOptionsFromConfig(context.config);
    if (!context.world.is_root()) return;
    const int threads = context.config.Get<int>("run.threads");
    SetWarmStartThreads(threads);
    Train(context, options);
  }

 private:
  void Train(const StageContext& context, const WarmStartOptions& options) {
    const Config& config = context.config;
    const world::WorldFiles files = world::WorldFilePaths(context.input_dirs.at(kWorldStage), world::WorldConfig{});
    const world::SimWorld sim(world::ReadWorldConfig(files.world_json));
    const Tokenizer tokenizer = Tokenizer::FromDirectory(files.tokenizer_dir);
    const PromptSet prompts = PromptSetFromConfig(config);
    const PredictionOptions prediction = PredictionOptionsFromConfig(config);
    const std::string scale = prediction.ScaleFor(sim.config().dataset_name).Text();
    const world::PersonaTeachers teachers(sim.lexicon(), sim.config().persona_style);
    const uint64_t seed = config.Get<uint64_t>("run.seed");
    json summary;

    // The predictor first: when it fails the gate, nothing else is worth training.
    const PromptRenderer predictor_prompts(tokenizer, config.Get<std::string>("models.predictor.chat_format"), prompts);
    const WorldTaskContext predictor_task{&sim, &teachers, &predictor_prompts, scale, seed};
    const auto predictor_examples = PredictorExamples(predictor_task, options.predictor_data);
    const WarmModelJob predictor_job{"predictor", options.predictor_architecture, files.tokenizer_dir,
                                     context.stage_dir + "/predictor", seed, "", options.predictor_sft};
    summary["predictor"] = SummaryJson(TrainLogged(context, predictor_job, tokenizer, predictor_examples), predictor_examples.size());
    const ModelSpec predictor_spec = Spec("predictor", predictor_job.out_dir, config);
    const auto predictor_bundle = ModelBundle::Load(predictor_spec);
    const RatingPredictor predictor(*predictor_bundle, prompts, prediction);
    RunGate(context, options, predictor, sim);

    const WarmModelJob refiner_job{"refiner", options.refiner_architecture, files.tokenizer_dir,
                                   context.stage_dir + "/refiner", seed + 1,
                                   options.refiner_from_predictor ? predictor_job.out_dir : "", options.refiner_sft};
    if (options.refiner_checkpoint.empty()) {
      summary["refiner"] = TrainRefiner(context, options, refiner_job, {&sim, &teachers, nullptr, scale, seed}, tokenizer);
    } else {
      const WarmCheckpoint checkpoint = ResolveWarmCheckpoint(options.refiner_checkpoint);
      InstallWarmCheckpoint(checkpoint, kRefinerCheckpointKey, WarmModelConfigJson(refiner_job, tokenizer),
                            files.tokenizer_dir, refiner_job.out_dir);
      LOG(INFO) << "warm_start: the refiner is " << checkpoint.source << " (" << kRefinerCheckpointKey
                << "), not trained here";
      summary["refiner"] = json{{"checkpoint", checkpoint.source}, {"sha256", checkpoint.Digest()}};
    }

    if (options.quality_contexts > 0) {
      const auto refiner_bundle = ModelBundle::Load(Spec("refiner", refiner_job.out_dir, config));
      RefinerQualityOptions quality;
      quality.contexts = options.quality_contexts;
      quality.num_candidates = options.quality_candidates;
      quality.sampling.temperature = config.Get<double>("warm_start.quality.temperature");
      quality.sampling.top_p = config.Get<double>("warm_start.quality.top_p");
      quality.sampling.seed = seed;
      quality.generation.max_new_tokens = config.Get<int64_t>("warm_start.quality.max_new_tokens");
      const RefinerQuality q = MeasureRefinerQuality(*refiner_bundle, predictor, prompts, sim, quality);
      WriteFileAtomic(context.stage_dir + "/refiner_quality.json", RefinerQualityJson(q));
      LOG(INFO) << "warm_start: refiner candidates vs S0 under the world's rule: better " << q.better << ", worse "
                << q.worse << ", tied " << q.tied << ", malformed " << q.malformed << ", distinct " << q.distinct
                << "; S0 malformed " << q.s0_malformed << ", recall " << q.s0_recall << ", precision " << q.s0_precision;
    }
    WriteFileAtomic(context.stage_dir + "/warm_start.json", summary.dump(2) + "\n");
  }

  // The refiner's SFT on the teachers' examples (`task` without its renderer: made here).
  json TrainRefiner(const StageContext& context, const WarmStartOptions& options, const WarmModelJob& job,
                    WorldTaskContext task, const Tokenizer& tokenizer) {
    const PromptRenderer renderer(tokenizer, context.config.Get<std::string>("models.refiner.chat_format"),
                                  PromptSetFromConfig(context.config));
    task.renderer = &renderer;
    RefinerDataCounts counts;
    const auto examples = RefinerExamples(task, options.refiner_data, &counts);
    LOG(INFO) << "warm_start: refiner data: " << examples.size() << " examples (init " << counts.init << ", refine "
              << counts.refine << ", full " << counts.full_regeneration << ", sliding " << counts.sliding_regeneration
              << ", incremental " << counts.incremental_update << ", summary " << counts.hierarchical_summary
              << ", merge " << counts.hierarchical_merge << ")";
    return SummaryJson(TrainLogged(context, job, tokenizer, examples), examples.size());
  }

  SftSummary TrainLogged(const StageContext& context, const WarmModelJob& job, const Tokenizer& tokenizer,
                         const std::vector<SftExample>& examples) {
    LOG(INFO) << "warm_start: training the " << job.name << " on " << examples.size() << " examples ("
              << SftTotalSteps(examples, job.sft) << " steps); the first one:\n"
              << FirstExample(tokenizer, examples.front());
    std::string curve;
    const SftSummary summary = TrainWarmModel(job, tokenizer, examples, [&](const SftStepLog& log) {
      curve += LogJson(log).dump() + "\n";
      LOG(INFO) << "warm_start: " << job.name << " step " << log.step << "/" << log.total_steps << " loss " << log.loss
                << " accuracy " << log.accuracy << " lr " << log.learning_rate << " (" << log.tokens << " tokens, "
                << log.seconds << " s)";
    });
    WriteFileAtomic(context.stage_dir + "/sft_" + job.name + ".jsonl", curve);
    LOG(INFO) << "warm_start: " << job.name << " trained in " << summary.seconds << " s, " << summary.steps
              << " steps, loss " << summary.first_loss << " -> " << summary.final_loss
              << (summary.reached_stop_loss ? " (reached stop_loss)" : "");
    return summary;
  }

  void RunGate(const StageContext& context, const WarmStartOptions& options, const RatingPredictor& predictor,
               const world::SimWorld& sim) {
    int users = 0;
    const auto samples = CollectGateSamples(predictor, sim, options.gate_max_users, &users);
    const PredictorGate gate = ComputePredictorGate(samples, users, options.gate);
    WriteFileAtomic(context.stage_dir + "/predictor_gate.json", PredictorGateJson(gate));
    LOG(INFO) << "warm_start: predictor gate " << (gate.passed ? "passed" : "FAILED") << ": " << gate.verdict;
    DEEPER_REQUIRE(gate.passed || !options.gate_enabled, "warm_start: the predictor failed its gate, so rewards ",
                   "would not measure persona quality and DPO results would mean nothing: ", gate.verdict,
                   ". Train it longer or larger (warm_start.predictor.*), or set warm_start.gate.enabled=false to ",
                   "continue anyway (see ", context.stage_dir, "/predictor_gate.json)");
  }

  static ModelSpec Spec(const std::string& name, const std::string& dir, const Config& config) {
    ModelSpec spec;
    spec.name = name;
    spec.path = dir;
    spec.chat_format = config.Get<std::string>("models." + name + ".chat_format");
    spec.device = "cpu";
    return spec;
  }
};

}  // namespace

std::unique_ptr<Stage> MakeWarmStartStage() { return std::make_unique<WarmStartStage>(); }

}  // namespace deeper

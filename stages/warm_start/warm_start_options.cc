#include "stages/warm_start/warm_start_options.h"

#include <cstdint>

#include "common/error.h"

namespace deeper {
namespace {

std::string Key(const std::string& suffix) { return std::string(kWarmStartSection) + "." + suffix; }

// The optimisation keys shared by both models, then each model's own.
SftOptions SftFromConfig(const Config& config, const std::string& model, uint64_t seed) {
  SftOptions o;
  o.weight_decay = config.Get<double>(Key("weight_decay"));
  o.adam_beta1 = config.Get<double>(Key("adam_beta1"));
  o.adam_beta2 = config.Get<double>(Key("adam_beta2"));
  o.adam_epsilon = config.Get<double>(Key("adam_epsilon"));
  o.max_grad_norm = config.Get<double>(Key("max_grad_norm"));
  o.log_every = config.Get<int64_t>(Key("logging_steps"));
  o.learning_rate = config.Get<double>(Key(model + ".learning_rate"));
  o.lr_scheduler_type = config.Get<std::string>(Key(model + ".lr_scheduler_type"));
  o.min_lr_ratio = config.Get<double>(Key(model + ".min_lr_ratio"));
  o.warmup_steps = config.Get<int64_t>(Key(model + ".warmup_steps"));
  o.max_steps = config.Get<int64_t>(Key(model + ".max_steps"));
  o.stop_loss = config.Get<double>(Key(model + ".stop_loss"));
  o.epochs = config.Get<double>(Key(model + ".epochs"));
  o.batches.batch_tokens = config.Get<int64_t>(Key(model + ".batch_tokens"));
  o.batches.keep_order = model == "predictor" && config.Get<double>(Key("predictor.curriculum_share")) > 0;
  o.seed = seed;
  DEEPER_REQUIRE(o.stop_loss >= 0 && (o.stop_loss == 0 || o.log_every > 0), config.source(), ": ",
                 Key(model + ".stop_loss"), " must be >= 0, and needs ", Key("logging_steps"),
                 " > 0 (the loss is checked on each logging window)");
  DEEPER_REQUIRE(o.learning_rate > 0 && o.batches.batch_tokens > 0 && (o.max_steps > 0 || o.epochs > 0),
                 config.source(), ": ", Key(model), ": learning_rate and batch_tokens must be positive, and max_steps or epochs");
  return o;
}

}  // namespace

WarmStartOptions WarmStartOptionsFromConfig(const Config& config) {
  WarmStartOptions o;
  const auto seed = config.Get<uint64_t>("run.seed");
  o.predictor_architecture = config.Get<std::string>(Key("predictor.architecture"));
  o.refiner_architecture = config.Get<std::string>(Key("refiner.architecture"));
  o.predictor_sft = SftFromConfig(config, "predictor", seed ^ 0x70726564ull);
  o.refiner_sft = SftFromConfig(config, "refiner", seed ^ 0x72656669ull);

  PredictorDataOptions& p = o.predictor_data;
  p.examples = config.Get<int64_t>(Key("predictor.examples"));
  p.true_persona_share = config.Get<double>(Key("predictor.true_persona_share"));
  p.teacher_persona_share = config.Get<double>(Key("predictor.teacher_persona_share"));
  p.malformed_share = config.Get<double>(Key("predictor.malformed_share"));
  p.taste_item_share = config.Get<double>(Key("predictor.taste_item_share"));
  p.curriculum_share = config.Get<double>(Key("predictor.curriculum_share"));
  p.items_per_persona = config.Get<int>(Key("predictor.items_per_persona"));
  p.anchored_share = config.Get<double>(Key("predictor.anchored_share"));
  DEEPER_REQUIRE(p.anchored_share >= 0 && p.anchored_share <= p.curriculum_share, config.source(), ": ",
                 Key("predictor.anchored_share"), " must be in [0, curriculum_share]");
  DEEPER_REQUIRE(p.items_per_persona >= 1, config.source(), ": ", Key("predictor.items_per_persona"), " must be >= 1");
  DEEPER_REQUIRE(p.curriculum_share >= 0 && p.curriculum_share <= 1, config.source(), ": ",
                 Key("predictor.curriculum_share"), " must be in [0, 1]");
  DEEPER_REQUIRE(p.examples >= 1 && p.true_persona_share >= 0 && p.teacher_persona_share >= 0 && p.malformed_share >= 0 &&
                     p.true_persona_share + p.teacher_persona_share + p.malformed_share <= 1.0,
                 config.source(), ": ", Key("predictor"), ": examples >= 1 and persona shares in [0, 1] summing to at most 1");

  RefinerDataOptions& r = o.refiner_data;
  r.init_samples = config.Get<int>(Key("refiner.init_samples"));
  r.refine_samples = config.Get<int>(Key("refiner.refine_samples"));
  r.baseline_share = config.Get<double>(Key("refiner.baseline_share"));
  r.last_refine_window = config.Get<int>(Key("refiner.last_refine_window"));
  r.prediction_jitter = config.Get<double>(Key("refiner.prediction_jitter"));
  r.extra_users = config.Get<int>(Key("refiner.extra_users"));
  o.refiner_checkpoint = config.Get<std::string>(Key("refiner.checkpoint"));
  // Training keys do not apply to a refiner taken from a checkpoint.
  o.refiner_from_predictor = config.Get<bool>(Key("refiner.init_from_predictor")) && o.refiner_checkpoint.empty();
  DEEPER_REQUIRE(!o.refiner_from_predictor || o.refiner_architecture == o.predictor_architecture, config.source(), ": ",
                 Key("refiner.init_from_predictor"), " needs ", Key("refiner.architecture"), " equal to ",
                 Key("predictor.architecture"));
  DEEPER_REQUIRE(r.init_samples >= 0 && r.refine_samples >= 0 && r.baseline_share >= 0 && r.baseline_share <= 1 &&
                     r.last_refine_window >= 1 && r.extra_users >= 0,
                 config.source(), ": ", Key("refiner"),
                 ": sample counts >= 0, baseline_share in [0, 1], last_refine_window >= 1, extra_users >= 0");

  o.gate_enabled = config.Get<bool>(Key("gate.enabled"));
  o.gate_max_users = config.Get<int>(Key("gate.max_users"));
  o.gate.min_rule_agreement = config.Get<double>(Key("gate.min_rule_agreement"));
  o.gate.max_mae_above_noise_floor = config.Get<double>(Key("gate.max_mae_above_noise_floor"));
  o.quality_contexts = config.Get<int>(Key("quality.contexts"));
  o.quality_candidates = config.Get<int>(Key("quality.num_candidates"));
  return o;
}

}  // namespace deeper

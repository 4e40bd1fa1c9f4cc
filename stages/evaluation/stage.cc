#include "stages/evaluation/stage.h"

#include <glog/logging.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <map>
#include <set>

#include "common/error.h"
#include "common/files.h"
#include "pipeline/progress.h"
#include "pipeline/shard.h"
#include "stages/context_building/stage.h"
#include "stages/evaluation/eval_records.h"
#include "stages/evaluation/evaluation_options.h"
#include "stages/evaluation/mae_table.h"
#include "stages/evaluation/method_runner.h"
#include "stages/evaluation/report_html.h"
#include "stages/evaluation/report_markdown.h"
#include "stages/evaluation/reward_ranks.h"
#include "stages/persona/model_bundle.h"
#include "stages/persona/persona_records.h"
#include "stages/refinement/stage_support.h"
#include "stages/warm_start/predictor_gate.h"
#include "stages/warm_start/world_checks.h"
#include "stages/world_stage/world_section.h"
#include "stages/world_stage/world_stage.h"
#include "world/persona.h"
#include "world/persona_quality.h"
#include "world/truth_file.h"
#include "world/world.h"
#include "world/world_files.h"

namespace deeper {
namespace fs = std::filesystem;

namespace {

std::string MethodShardPath(const StageContext& context, const std::string& method, int shard) {
  return (fs::path(context.stage_dir) / method / ShardFileName(shard, context.num_shards)).string();
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Loaded models, kept while consecutive methods use them: one refiner variant at a time next to the
// predictor, so an 8B refiner and its two trained variants never sit in memory together.
class BundleCache {
 public:
  const ModelBundle& Get(const ModelSpec& spec) {
    for (auto& [cached, bundle] : bundles_) {
      if (SameModel(cached, spec)) return *bundle;
    }
    bundles_.emplace_back(spec, ModelBundle::Load(spec));
    return *bundles_.back().second;
  }
  // Frees every bundle but those of `keep`.
  void KeepOnly(const std::vector<ModelSpec>& keep) {
    bundles_.erase(std::remove_if(bundles_.begin(), bundles_.end(),
                                  [&](const auto& entry) {
                                    return std::none_of(keep.begin(), keep.end(),
                                                        [&](const ModelSpec& k) { return SameModel(k, entry.first); });
                                  }),
                   bundles_.end());
  }

 private:
  std::vector<std::pair<ModelSpec, std::unique_ptr<ModelBundle>>> bundles_;
};

// The users of one shard that are evaluated, with what every method shares.
struct ShardUsers {
  std::vector<UserContext> users;
  std::vector<EvalUser> eval;
  bool predicted = false;  // eval[i].s0_predicted filled
};

class EvaluationStage : public Stage {
 public:
  // Reads the options here too, so a bad `evaluation` section fails before anything runs (--dry-run).
  explicit EvaluationStage(const Config& config)
      : prediction_keys_(PredictionConfigKeys(config)),
        options_(EvaluationOptionsFromConfig(config)),
        world_(WorldEnabled(config)) {}

  std::string Name() const override { return kEvaluation; }
  std::string Description() const override {
    return "MAE over rounds of DEEPER (base, iter1, iter2), four persona baselines and two trivial ones";
  }
  std::vector<std::string> Inputs() const override {
    std::vector<std::string> inputs = {kContextBuilding, kInitPersona, DpoStage(1), DpoStage(2)};
    if (world_) {
      // The truth, for the gate and persona quality; the rewarded candidates, ranked against it.
      inputs.push_back(kWorldStage);
      for (int iteration : {1, 2}) inputs.push_back(RewardAssignmentStage(iteration));
    }
    return inputs;
  }
  std::vector<std::string> ConfigKeys() const override {
    // The refiner and baseline model entries, the prompts of every method, persona limits and the
    // predictor; direction_sampling.splits decides which domains count as seen. With the world, the
    // gate's thresholds too (its figures depend on the predictor and the world, both inputs).
    auto keys = Join({kEvaluation, "models", "prompts", "persona", "direction_sampling.splits"}, prediction_keys_);
    if (world_) keys.push_back("warm_start.gate");
    return keys;
  }
  int NumShards(const Config& config) const override { return UserShardCount(config); }
  std::vector<std::string> ExternalInputs(const Config& config) const override {
    const auto& methods = options_.methods;
    if (std::none_of(methods.begin(), methods.end(), NeedsPersona)) return {};
    return Join(Join(ModelInputFiles(config, "refiner"), ModelInputFiles(config, options_.baseline_model)),
                ModelInputFiles(config, config.Get<std::string>("prediction.model")));
  }

  void Run(StageContext& context) override {
    const Config& config = context.config;
    ConfigureTorchThreads(config);
    options_ = EvaluationOptionsFromConfig(config);
    prompts_ = PromptSetFromConfig(config);
    prediction_ = PredictionOptionsFromConfig(config);
    generation_ = PersonaGenerationOptionsFromConfig(config);
    seed_ = config.Get<uint64_t>("run.seed");
    shards_.clear();
    const auto mine = ShardsOfRank(context.num_shards, context.world.rank(), context.world.size());
    Progress progress(Name(), static_cast<int64_t>(mine.size() * options_.methods.size()), "method shards",
                      context.world.is_root());
    BundleCache models;
    for (const auto& [method, writer] : ProcessingOrder(context)) {
      // Frees the previous method's refiner variant before this one's is loaded.
      if (NeedsPersona(method)) models.KeepOnly({ModelSpecFromConfig(config, prediction_.model), writer});
      for (int shard : mine) {
        const std::string path = MethodShardPath(context, method.name, shard);
        if (!FileExists(path)) {  // A shard on disk is complete (written under a temporary name).
          const auto records = EvaluateShard(context, shard, method, writer, models);
          MakeDirs(fs::path(path).parent_path().string());
          EvalRecordsToShard(records, options_.rounds).Commit(path);
        }
        progress.Advance();
      }
    }
    progress.Finish();
    context.world.Barrier();
    if (!context.world.is_root()) return;
    if (world_) {
      const WorldReport world = WorldFigures(context, models);
      WriteReports(context, &world);
    } else {
      WriteReports(context, nullptr);
    }
  }

 private:
  // The methods with the model that writes their personas, those of one model together (the base
  // refiner writes deeper_base and, by default, the baselines), so each model is loaded once.
  std::vector<std::pair<MethodInfo, ModelSpec>> ProcessingOrder(const StageContext& context) const {
    std::vector<std::pair<MethodInfo, ModelSpec>> order;
    for (const auto& method : options_.methods) {
      const ModelSpec writer = NeedsPersona(method) ? WriterSpec(context, method) : ModelSpec{};
      auto same = std::find_if(order.rbegin(), order.rend(), [&](const auto& entry) {
        return NeedsPersona(entry.first) == NeedsPersona(method) && SameModel(entry.second, writer);
      });
      // After the last method of the same model, or at the end for a model not seen yet.
      order.insert(same == order.rend() ? order.end() : same.base(), {method, writer});
    }
    return order;
  }

  // The model that writes a method's personas (unused for trivial methods).
  ModelSpec WriterSpec(const StageContext& context, const MethodInfo& method) const {
    const Config& config = context.config;
    if (method.kind == MethodKind::kBaseline) return ModelSpecFromConfig(config, options_.baseline_model);
    ModelSpec refiner = ModelSpecFromConfig(config, "refiner");
    if (method.kind == MethodKind::kDeeper && method.dpo_iteration > 0) {
      refiner = TrainedRefinerSpec(refiner, context.input_dirs.at(DpoStage(method.dpo_iteration)));
    }
    return refiner;
  }

  std::vector<EvalRecord> EvaluateShard(const StageContext& context, int shard, const MethodInfo& method,
                                        const ModelSpec& writer, BundleCache& models) {
    ShardUsers& users = UsersOfShard(context, shard);
    if (!NeedsPersona(method)) return RunTrivialMethod(method, users.eval, options_.rounds, prediction_);
    if (users.eval.empty()) return {};
    const ModelBundle& predictor_bundle = models.Get(ModelSpecFromConfig(context.config, prediction_.model));
    const RatingPredictor predictor(predictor_bundle, prompts_, prediction_);
    if (!users.predicted) {  // S_0's predictions of W_1 are the same for every persona method.
      for (auto& u : users.eval) {
        u.s0_predicted = predictor.Predict(u.s0, u.user->windows[1].items, u.user->item_type, u.user->dataset_name);
      }
      users.predicted = true;
    }
    PersonaMethodContext c;
    c.writer = &models.Get(writer);
    c.predictor = &predictor;
    c.prompts = &prompts_;
    c.generation = generation_;
    c.seed = seed_;
    return RunPersonaMethod(method, users.eval, options_.rounds, c);
  }

  // The evaluated users of a shard: split in evaluation.splits, windows W_0..W_{R+1} present, at most
  // max_users_per_domain of each domain, each with its S_0 from init_persona. Read once per shard.
  ShardUsers& UsersOfShard(const StageContext& context, int shard) {
    auto it = shards_.find(shard);
    if (it != shards_.end()) return it->second;
    ShardUsers& entry = shards_[shard];
    std::map<std::string, int64_t> per_domain;
    const int64_t limit = options_.max_users_per_domain;
    for (auto& user : ReadUsers(context, shard)) {
      if (!Contains(options_.splits, user.split) || !HasWindows(user, 0, options_.rounds + 1)) continue;
      if (limit > 0 && per_domain[user.dataset_name]++ >= limit) continue;
      entry.users.push_back(std::move(user));
    }
    const auto s0 = ReadPersonaRecords({InputShard(context, kInitPersona, shard)});
    for (const auto& user : entry.users) {
      EvalUser u;
      u.user = &user;
      auto found = s0.find(UserKey(user.dataset_name, user.id));
      DEEPER_REQUIRE(found != s0.end(), "evaluation: user ", user.dataset_name, "/", user.id, " (split ", user.split,
                     ") has no initial persona in init_persona; add the split to init_persona.splits");
      u.s0 = found->second.persona.text;
      u.s0_flags = found->second.persona.flags;
      entry.eval.push_back(std::move(u));
    }
    return entry;
  }

  // mae.csv and the reports, from every method's shards (rank 0, after all ranks finished).
  void WriteReports(const StageContext& context, const WorldReport* world) const {
    std::vector<std::string> methods;
    for (const auto& m : options_.methods) methods.push_back(m.name);
    std::vector<std::string> seen = options_.seen_domains;
    if (seen.empty()) seen = TrainingDomains(context);
    WriteEvaluationReports(context.stage_dir, methods, seen, world);
  }

  // With the world (rank 0): predictor_gate.json, recomputed with the evaluation's predictor on the
  // world's eval users, and persona_quality.csv, every persona method's S_k against the truth of
  // window k. Returns the figures for the reports.
  WorldReport WorldFigures(const StageContext& context, BundleCache& models) const {
    const Config& config = context.config;
    const world::WorldFiles files = world::WorldFilePaths(context.input_dirs.at(kWorldStage), world::WorldConfig{});
    const world::SimWorld sim(world::ReadWorldConfig(files.world_json));
    const world::WorldConfig& wc = sim.config();
    WorldReport report;
    report.train_users = static_cast<int>(sim.train_users().size());
    report.eval_users = static_cast<int>(sim.eval_users().size());
    report.genres = wc.genres;
    report.window_length = wc.window_length;
    report.min_tastes = wc.min_tastes;
    report.max_tastes = wc.max_tastes;
    report.noise = wc.noise;
    report.drift_fraction = wc.drift_fraction;
    report.persona_style = world::PersonaStyleName(wc.persona_style);
    if (!sim.eval_users().empty()) {
      report.example_persona = world::RenderPersona(sim.eval_users().front().tastes.front(), sim.lexicon(), wc.persona_style);
    }

    GateThresholds thresholds;
    thresholds.min_rule_agreement = config.Get<double>("warm_start.gate.min_rule_agreement");
    thresholds.max_mae_above_noise_floor = config.Get<double>("warm_start.gate.max_mae_above_noise_floor");
    const RatingPredictor predictor(models.Get(ModelSpecFromConfig(config, prediction_.model)), prompts_, prediction_);
    int users = 0;
    const auto samples = CollectGateSamples(predictor, sim, config.Get<int>("warm_start.gate.max_users"), &users);
    const PredictorGate gate = ComputePredictorGate(samples, users, thresholds);
    WriteFileAtomic((fs::path(context.stage_dir) / "predictor_gate.json").string(), PredictorGateJson(gate));
    LOG(INFO) << "evaluation: predictor gate " << (gate.passed ? "passed" : "FAILED") << ": " << gate.verdict;
    report.gate_users = gate.users;
    report.gate_items = gate.items;
    report.true_persona_mae = gate.true_persona_mae;
    report.noise_floor_mae = gate.noise_floor_mae;
    report.empty_persona_mae = gate.empty_persona_mae;
    report.rule_agreement = gate.rule_agreement;
    report.min_rule_agreement = thresholds.min_rule_agreement;
    report.max_mae_above_noise_floor = thresholds.max_mae_above_noise_floor;
    report.gate_passed = gate.passed;

    report.quality = PersonaQualityRows(context, sim, files.truth);
    WriteFileAtomic((fs::path(context.stage_dir) / "persona_quality.csv").string(), PersonaQualityCsv(report.quality));
    WriteFileAtomic((fs::path(context.stage_dir) / "persona_statements.csv").string(),
                    PersonaStatementsCsv(report.quality));
    report.reward_ranks = RewardRanks(context, sim);
    WriteFileAtomic((fs::path(context.stage_dir) / "reward_ranks.csv").string(), RewardRanksCsv(report.reward_ranks));
    return report;
  }

  // Persona quality per persona method and round over the world's evaluated users.
  std::vector<PersonaQualityRow> PersonaQualityRows(const StageContext& context, const world::SimWorld& sim,
                                                    const std::string& truth_path) const {
    std::map<std::string, world::UserTruth> truth;
    for (auto& user : world::ReadTruthJsonl(truth_path, sim.lexicon())) truth[user.id] = std::move(user);
    std::vector<PersonaQualityRow> rows;
    for (const auto& method : options_.methods) {
      if (!NeedsPersona(method)) continue;
      std::vector<world::PersonaQualitySummary> per_round(static_cast<size_t>(options_.rounds) + 1);
      for (int shard = 0; shard < context.num_shards; ++shard) {
        const std::string path = MethodShardPath(context, method.name, shard);
        for (const auto& record : EvalRecordsFromShard(ShardReader(path))) {
          if (record.dataset_name != sim.config().dataset_name) continue;
          auto found = truth.find(record.id);
          DEEPER_REQUIRE(found != truth.end(), path, ": user ", record.id, " is not in the world's truth (", truth_path, ")");
          const auto& tastes = found->second.tastes;
          for (size_t k = 0; k < per_round.size() && k < record.personas.size() && k < tastes.size(); ++k) {
            per_round[k].Add(world::MeasurePersona(record.personas[k], tastes[k], sim.lexicon(), sim.config().persona_style));
          }
        }
      }
      for (size_t k = 0; k < per_round.size(); ++k) {
        const auto& q = per_round[k];
        rows.push_back({method.name, static_cast<int>(k), q.count, q.mean_recall(), q.mean_precision(),
                        q.malformed_rate(), q.mean_words(), q.PerPersona(q.exact_sum), q.PerPersona(q.other_level_sum),
                        q.PerPersona(q.wrong_sign_sum), q.PerPersona(q.spurious_sum), q.PerPersona(q.not_stated_sum)});
      }
    }
    return rows;
  }

  // Both DPO iterations' rewarded candidates by reward rank, against the world (reward_ranks.h).
  std::vector<RewardRankRow> RewardRanks(const StageContext& context, const world::SimWorld& sim) const {
    std::vector<RewardRankRow> ranks;
    for (int iteration : {1, 2}) {
      std::vector<RewardRecord> records;
      for (const auto& path : context.InputShards(RewardAssignmentStage(iteration))) {
        auto shard = RewardRecordsFromShard(ShardReader(path));
        records.insert(records.end(), std::make_move_iterator(shard.begin()), std::make_move_iterator(shard.end()));
      }
      const auto rows = RewardRankRows(iteration, records, sim, RewardAssignmentStage(iteration));
      ranks.insert(ranks.end(), rows.begin(), rows.end());
    }
    return ranks;
  }

  // Domains with users of direction_sampling.splits: the domains the refiner was trained on.
  std::vector<std::string> TrainingDomains(const StageContext& context) const {
    const auto splits = context.config.Get<std::vector<std::string>>("direction_sampling.splits");
    std::set<std::string> domains;
    for (const auto& path : context.InputShards(kContextBuilding)) {
      ShardReader shard(path);
      const auto split = shard.Strings("split");
      const auto dataset = shard.Strings("dataset_name");
      for (size_t i = 0; i < split.size(); ++i) {
        if (Contains(splits, split[i])) domains.insert(dataset[i]);
      }
    }
    return {domains.begin(), domains.end()};
  }

  std::vector<std::string> prediction_keys_;
  EvaluationOptions options_;
  bool world_ = false;  // world.enabled: the truth and the rewarded candidates are inputs (gate, quality, ranks)
  PromptSet prompts_;
  PredictionOptions prediction_;
  PersonaGenerationOptions generation_;
  uint64_t seed_ = 0;
  std::map<int, ShardUsers> shards_;
};

}  // namespace

void WriteEvaluationReports(const std::string& stage_dir, const std::vector<std::string>& methods,
                            const std::vector<std::string>& seen_domains, const WorldReport* world) {
  std::vector<UserErrors> errors;
  for (const auto& method : methods) {
    const fs::path dir = fs::path(stage_dir) / method;
    if (!fs::is_directory(dir)) continue;
    std::vector<std::string> paths;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("shard-", 0) == 0 && entry.path().extension() == ".h5") paths.push_back(entry.path().string());
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& path : paths) {
      for (auto& r : EvalRecordsFromShard(ShardReader(path))) {
        errors.push_back({r.method, r.dataset_name, r.id, std::move(r.mae)});
      }
    }
  }
  const auto rows = AggregateMae(errors, methods);
  SummaryOptions summary;
  summary.seen_domains = seen_domains;
  WriteFileAtomic((fs::path(stage_dir) / "mae.csv").string(), MaeCsv(rows));
  WriteFileAtomic((fs::path(stage_dir) / "report.md").string(), RenderReportMarkdown(rows, summary, world));
  WriteFileAtomic((fs::path(stage_dir) / "report.html").string(), RenderReportHtml(rows, summary, world));
  LOG(INFO) << "evaluation: " << errors.size() << " user x method results -> " << stage_dir << "/mae.csv, report.md, report.html";
}

std::unique_ptr<Stage> MakeEvaluationStage(const Config& config) { return std::make_unique<EvaluationStage>(config); }

}  // namespace deeper

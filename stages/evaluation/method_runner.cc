#include "stages/evaluation/method_runner.h"

#include <cstdint>

#include "common/error.h"
#include "stages/evaluation/trivial_baselines.h"
#include "stages/persona/model_bundle.h"

namespace deeper {
namespace {

// Keys of evaluation personas: iteration 100 + round keeps them apart from the training iterations
// (greedy decoding ignores keys; they matter only if sampling is ever enabled here).
constexpr uint64_t kEvaluationKeyBase = 100;

EvalRecord StartRecord(const MethodInfo& method, const EvalUser& u, int rounds) {
  EvalRecord r;
  r.id = u.user->id;
  r.dataset_name = u.user->dataset_name;
  r.item_type = u.user->item_type;
  r.split = u.user->split;
  r.method = method.name;
  r.personas.reserve(static_cast<size_t>(rounds) + 1);
  return r;
}

const Window& WindowOf(const EvalUser& u, int k) { return u.user->windows.at(static_cast<size_t>(k)); }

// W_0..W_k's items and ratings, oldest first (Full Regeneration's whole history).
std::string HistoryItems(const PromptSet& prompts, const EvalUser& u, int k) {
  std::vector<std::string> items;
  std::vector<double> ratings;
  for (int w = 0; w <= k; ++w) {
    items.insert(items.end(), WindowOf(u, w).items.begin(), WindowOf(u, w).items.end());
    ratings.insert(ratings.end(), WindowOf(u, w).ratings.begin(), WindowOf(u, w).ratings.end());
  }
  return FormatRatedItems(prompts, items, ratings);
}

std::string WindowItems(const PromptSet& prompts, const EvalUser& u, int k) {
  return FormatRatedItems(prompts, WindowOf(u, k).items, WindowOf(u, k).ratings);
}

// The round-k update prompt of one user (for hier_merge: the merge step, given the short-term persona).
std::vector<int64_t> UpdatePrompt(const MethodInfo& method, const PersonaMethodContext& c, const EvalUser& u, int k,
                                  const EvalRecord& record, const std::string& short_term) {
  const ModelBundle& bundle = *c.writer;
  const PromptSet& prompts = *c.prompts;
  const std::string scale = c.predictor->ScaleFor(u.user->dataset_name).Text();
  const std::string& old = record.personas.back();
  const std::string& type = u.user->item_type;
  switch (method.update) {
    case PersonaUpdate::kRefine: {
      // The refiner sees S_{k-1}'s predictions of W_k: round k-1's predictions.
      const size_t n = WindowOf(u, k).items.size();
      const std::vector<double> predicted(record.predicted.end() - static_cast<std::ptrdiff_t>(n), record.predicted.end());
      return RefinePromptIds(bundle, prompts, type, scale, old, WindowOf(u, k).items, WindowOf(u, k).ratings, predicted);
    }
    case PersonaUpdate::kFullRegeneration:
      return PersonaPromptIds(bundle, prompts, prompts.full_regeneration, PromptConfigKey("full_regeneration"), type,
                              scale, {{"items", HistoryItems(prompts, u, k)}});
    case PersonaUpdate::kSlidingRegeneration:
      return PersonaPromptIds(bundle, prompts, prompts.sliding_regeneration, PromptConfigKey("sliding_regeneration"),
                              type, scale, {{"items", WindowItems(prompts, u, k)}});
    case PersonaUpdate::kIncrementalUpdate:
      return PersonaPromptIds(bundle, prompts, prompts.incremental_update, PromptConfigKey("incremental_update"), type,
                              scale, {{"persona", old}, {"items", WindowItems(prompts, u, k)}});
    case PersonaUpdate::kHierarchicalMerge:
      return PersonaPromptIds(bundle, prompts, prompts.hierarchical_merge, PromptConfigKey("hierarchical_merge"), type,
                              scale, {{"persona", old}, {"short_term_persona", short_term}});
    case PersonaUpdate::kNone:
      break;
  }
  Fail("evaluation: method ", method.name, " writes no persona");
}

std::vector<PersonaCandidate> Generate(const PersonaMethodContext& c, std::vector<std::vector<int64_t>> prompts,
                                       const std::vector<EvalUser>& users, int k, uint64_t step) {
  std::vector<PersonaRequest> requests;
  requests.reserve(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    requests.push_back({std::move(prompts[i]),
                        PersonaKey(kEvaluationKeyBase + static_cast<uint64_t>(k), users[i].user->dataset_name,
                                   users[i].user->id, step)});
  }
  PersonaSampling greedy;
  greedy.temperature = 0.0;
  greedy.seed = c.seed;
  return GeneratePersonas(*c.writer, requests, greedy, c.generation);
}

// hier_merge's first step: a short-term persona from W_k alone.
std::vector<PersonaCandidate> ShortTermPersonas(const PersonaMethodContext& c, const std::vector<EvalUser>& users, int k) {
  std::vector<std::vector<int64_t>> prompts;
  for (const auto& u : users) {
    const std::string scale = c.predictor->ScaleFor(u.user->dataset_name).Text();
    prompts.push_back(PersonaPromptIds(*c.writer, *c.prompts, c.prompts->hierarchical_summary,
                                       PromptConfigKey("hierarchical_summary"), u.user->item_type, scale,
                                       {{"items", WindowItems(*c.prompts, u, k)}}));
  }
  return Generate(c, std::move(prompts), users, k, /*step=*/1);
}

}  // namespace

std::vector<EvalRecord> RunPersonaMethod(const MethodInfo& method, const std::vector<EvalUser>& users, int rounds,
                                         const PersonaMethodContext& c) {
  DEEPER_REQUIRE(c.writer && c.predictor && c.prompts, "evaluation: method ", method.name, " needs its models");
  std::vector<EvalRecord> records;
  for (const auto& u : users) {
    EvalRecord r = StartRecord(method, u, rounds);
    r.personas.push_back(u.s0);
    r.short_term.emplace_back();
    r.persona_flags.push_back(u.s0_flags);
    r.AddRound(u.s0_predicted, WindowOf(u, 1).ratings);
    records.push_back(std::move(r));
  }
  for (int k = 1; k <= rounds; ++k) {
    std::vector<PersonaCandidate> short_term;
    if (method.update == PersonaUpdate::kHierarchicalMerge) short_term = ShortTermPersonas(c, users, k);
    std::vector<std::vector<int64_t>> prompts;
    for (size_t i = 0; i < users.size(); ++i) {
      prompts.push_back(UpdatePrompt(method, c, users[i], k, records[i], short_term.empty() ? "" : short_term[i].text));
    }
    const auto personas = Generate(c, std::move(prompts), users, k, /*step=*/0);
    // Every user's new persona rates the next window; all users' personas go to the predictor together.
    std::vector<PredictionQuery> queries;
    for (size_t i = 0; i < users.size(); ++i) {
      const EvalUser& u = users[i];
      queries.push_back({personas[i].text, WindowOf(u, k + 1).items, u.user->item_type, u.user->dataset_name});
    }
    const auto predictions = c.predictor->PredictMany(queries);
    for (size_t i = 0; i < users.size(); ++i) {
      EvalRecord& r = records[i];
      r.personas.push_back(personas[i].text);
      r.short_term.push_back(short_term.empty() ? "" : short_term[i].text);
      r.persona_flags.push_back(personas[i].flags);
      r.AddRound(RatingsOf(predictions[i]), WindowOf(users[i], k + 1).ratings);
    }
  }
  return records;
}

std::vector<EvalRecord> RunTrivialMethod(const MethodInfo& method, const std::vector<EvalUser>& users, int rounds,
                                         const PredictionOptions& prediction) {
  std::vector<EvalRecord> records;
  for (const auto& u : users) {
    EvalRecord r = StartRecord(method, u, rounds);
    const double scale_max = prediction.ScaleFor(u.user->dataset_name).max;
    for (int k = 0; k <= rounds; ++k) {
      r.personas.emplace_back();
      r.short_term.emplace_back();
      r.persona_flags.push_back(0);
      r.AddRound(TrivialPredictions(method, *u.user, k, scale_max), WindowOf(u, k + 1).ratings);
    }
    records.push_back(std::move(r));
  }
  return records;
}

}  // namespace deeper

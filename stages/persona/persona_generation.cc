// The second unit of the persona library that includes libtorch headers (generation and keys).
#include "stages/persona/persona_generation.h"

#include <cstdint>

#include "common/error.h"
#include "model/generation.h"
#include "model/sampling.h"
#include "stages/persona/model_bundle.h"
#include "stages/persona/prompt_template.h"

namespace deeper {
namespace {

// FNV-1a of a string: user ids enter the key as a 64-bit number.
uint64_t HashText(const std::string& text) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

SamplingOptions ToSamplingOptions(const PersonaSampling& sampling) {
  SamplingOptions options;
  options.greedy = sampling.temperature <= 0.0;
  options.temperature = options.greedy ? 1.0 : sampling.temperature;
  options.top_p = sampling.top_p;
  options.top_k = sampling.top_k;
  options.seed = sampling.seed;
  ValidateSamplingOptions(options);
  return options;
}

}  // namespace

PersonaGenerationOptions PersonaGenerationOptionsFromConfig(const Config& config) {
  PersonaGenerationOptions options;
  options.max_new_tokens = config.Get<int64_t>("persona.max_new_tokens");
  options.max_batch = config.Get<int64_t>("persona.max_batch");
  options.text.max_chars = config.Get<int64_t>("persona.max_chars");
  options.text.min_chars = config.Get<int64_t>("persona.min_chars");
  options.text.min_distinct_word_ratio = config.Get<double>("persona.min_distinct_word_ratio");
  DEEPER_REQUIRE(options.max_new_tokens >= 1 && options.max_batch >= 1 && options.text.max_chars >= 1, config.source(),
                 ": persona.max_new_tokens, max_batch and max_chars must be at least 1");
  return options;
}

std::vector<PersonaCandidate> GeneratePersonas(const ModelBundle& bundle, const std::vector<PersonaRequest>& requests,
                                               const PersonaSampling& sampling, const PersonaGenerationOptions& options) {
  if (requests.empty()) return {};
  GenerationOptions generation;
  generation.max_batch = options.max_batch;
  generation.max_new_tokens = options.max_new_tokens;
  generation.stop_tokens = bundle.stop_tokens();
  generation.sampling = ToSamplingOptions(sampling);
  std::vector<GenerationRequest> batch;
  batch.reserve(requests.size());
  for (const auto& request : requests) {
    GenerationRequest r;
    r.prompt = request.prompt_ids;
    r.key = request.key;
    batch.push_back(std::move(r));
  }
  const std::vector<GenerationResult> results = Generate(bundle.model(), batch, generation);
  std::vector<PersonaCandidate> candidates;
  candidates.reserve(results.size());
  for (const auto& result : results) {
    PersonaCandidate candidate;
    candidate.token_ids = result.tokens;
    candidate.stopped = result.finish_reason == FinishReason::kStop;
    std::vector<int64_t> text_ids = result.tokens;
    if (candidate.stopped && !text_ids.empty()) text_ids.pop_back();  // the end-of-turn token
    const CleanPersona clean = CleanPersonaText(bundle.Decode(text_ids), candidate.stopped, options.text);
    candidate.text = clean.text;
    candidate.flags = clean.flags;
    candidates.push_back(std::move(candidate));
  }
  return candidates;
}

uint64_t PersonaKey(uint64_t iteration, const std::string& dataset_name, const std::string& user_id, uint64_t candidate) {
  return SamplingKey({iteration, HashText(dataset_name + "/" + user_id), candidate});
}

std::vector<int64_t> PersonaPromptIds(const ModelBundle& bundle, const PromptSet& prompts, const std::string& user_template,
                                      const std::string& where, const std::string& item_type,
                                      const std::string& scale_text, const std::map<std::string, std::string>& values) {
  std::map<std::string, std::string> all = BaseValues(item_type, scale_text);
  for (const auto& [name, value] : values) all[name] = value;
  const std::string system = RenderTemplate(prompts.persona_system, all, PromptConfigKey("persona_system"));
  return bundle.ChatPromptIds(system, RenderTemplate(user_template, all, where));
}

std::vector<int64_t> InitPromptIds(const ModelBundle& bundle, const PromptSet& prompts, const std::string& item_type,
                                   const std::string& scale_text, const std::vector<std::string>& items,
                                   const std::vector<double>& ratings) {
  return PersonaPromptIds(bundle, prompts, prompts.init, PromptConfigKey("init"), item_type, scale_text,
                          {{"items", FormatRatedItems(prompts, items, ratings)}});
}

std::vector<int64_t> RefinePromptIds(const ModelBundle& bundle, const PromptSet& prompts, const std::string& item_type,
                                     const std::string& scale_text, const std::string& old_persona,
                                     const std::vector<std::string>& items, const std::vector<double>& ratings,
                                     const std::vector<double>& predicted) {
  return PersonaPromptIds(bundle, prompts, prompts.refine, PromptConfigKey("refine"), item_type, scale_text,
                          {{"persona", old_persona}, {"items", FormatRefinementItems(prompts, items, ratings, predicted)}});
}

}  // namespace deeper

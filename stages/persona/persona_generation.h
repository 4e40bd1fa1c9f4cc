// Persona generation: Init (S0 from window 0) and Refine (S_k from S_{k-1}, W_k's items with true and
// predicted ratings), and the generic batch generator the evaluation baselines reuse with their own
// prompts. Candidates are cut at the end of the assistant turn (the bundle's stop tokens), decoded,
// stripped and length-bounded (persona_text.h); empty or degenerate ones are kept and flagged.
//
// Randomness is keyed: a candidate's sampling key is PersonaKey(iteration, dataset, user, candidate)
// and the run seed enters through PersonaSampling::seed, so a candidate's text depends only on (model,
// prompt, seed, key, options), never on batch size, shard count or world size. Greedy decoding
// (temperature 0) ignores the key. The header is torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/config.h"
#include "stages/persona/persona_text.h"
#include "stages/persona/prompts.h"

namespace deeper {

class ModelBundle;

// How tokens are chosen. temperature <= 0 is greedy.
struct PersonaSampling {
  double temperature = 0.0;
  double top_p = 1.0;
  int64_t top_k = 0;
  uint64_t seed = 0;  // The run seed (run.seed).
};

// Limits shared by every stage that writes personas (config section `persona`).
struct PersonaGenerationOptions {
  int64_t max_new_tokens = 256;
  int64_t max_batch = 8;  // Rows decoded together (a speed knob; results do not depend on it).
  PersonaTextOptions text;
};

// Reads section `persona`.
PersonaGenerationOptions PersonaGenerationOptionsFromConfig(const Config& config);

struct PersonaRequest {
  std::vector<int64_t> prompt_ids;  // A rendered chat prompt (ModelBundle::ChatPromptIds).
  uint64_t key = 0;                 // PersonaKey(...).
};

struct PersonaCandidate {
  std::string text;                // Cleaned persona.
  std::vector<int64_t> token_ids;  // As generated, ending with the stop token when `stopped`.
  bool stopped = false;            // Ended with an end-of-turn token (else hit max_new_tokens).
  int64_t flags = 0;               // PersonaFlag bits.
};

// Generates one candidate per request (results in request order).
std::vector<PersonaCandidate> GeneratePersonas(const ModelBundle& bundle, const std::vector<PersonaRequest>& requests,
                                               const PersonaSampling& sampling, const PersonaGenerationOptions& options);

// The sampling key of candidate `candidate` of user dataset_name/user_id at `iteration` (0 = init,
// 1, 2 = DPO iterations; evaluation rounds may use their own values). Stable across releases.
uint64_t PersonaKey(uint64_t iteration, const std::string& dataset_name, const std::string& user_id, uint64_t candidate);

// ---- Prompts of the DEEPER method -------------------------------------------------------------
// Init: S0 from window 0's items with their true ratings (prompts.init).
std::vector<int64_t> InitPromptIds(const ModelBundle& bundle, const PromptSet& prompts, const std::string& item_type,
                                   const std::string& scale_text, const std::vector<std::string>& items,
                                   const std::vector<double>& ratings);

// Refine: S_k from the old persona and, per item of W_k, its name, true rating and predicted rating
// (prompts.refine; the template tells the model not to quote items or scores).
std::vector<int64_t> RefinePromptIds(const ModelBundle& bundle, const PromptSet& prompts, const std::string& item_type,
                                     const std::string& scale_text, const std::string& old_persona,
                                     const std::vector<std::string>& items, const std::vector<double>& ratings,
                                     const std::vector<double>& predicted);

// Any persona prompt: prompts.persona_system as the system message and `user_template` (one of the
// PromptSet texts, `where` its config key) rendered with BaseValues + `values` as the user message.
std::vector<int64_t> PersonaPromptIds(const ModelBundle& bundle, const PromptSet& prompts, const std::string& user_template,
                                      const std::string& where, const std::string& item_type,
                                      const std::string& scale_text, const std::map<std::string, std::string>& values);

}  // namespace deeper

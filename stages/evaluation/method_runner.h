// Runs one method over the evaluated users of a shard: for k = 1..R, S_k = Update(S_{k-1}, W_k, ...)
// and round k's score MAE(Predict(S_k, items of W_{k+1}), U_{k+1}); round 0 scores S_0 on W_1.
// Persona methods write their personas with greedy decoding, batched over the users of the shard
// (one generation call per round), so results do not depend on the number of ranks. Torch-free header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stages/context_building/user_context.h"
#include "stages/evaluation/eval_records.h"
#include "stages/evaluation/methods.h"
#include "stages/persona/persona_generation.h"
#include "stages/persona/prediction.h"
#include "stages/persona/prompts.h"

namespace deeper {

class ModelBundle;

// A user to evaluate, with the round-0 persona (from init_persona) and its predictions of W_1's
// items (the same for every persona method, so computed once per shard).
struct EvalUser {
  const UserContext* user = nullptr;
  std::string s0;
  int64_t s0_flags = 0;
  std::vector<double> s0_predicted;
};

// What a persona method needs: the model that writes its personas (the refiner variant or the
// baseline model), the frozen predictor, the prompts and the generation limits.
struct PersonaMethodContext {
  const ModelBundle* writer = nullptr;
  const RatingPredictor* predictor = nullptr;
  const PromptSet* prompts = nullptr;
  PersonaGenerationOptions generation;
  uint64_t seed = 0;  // run.seed: enters the keys only (decoding is greedy).
};

std::vector<EvalRecord> RunPersonaMethod(const MethodInfo& method, const std::vector<EvalUser>& users, int rounds,
                                         const PersonaMethodContext& context);

// Trivial methods need only the users and each domain's highest rating.
std::vector<EvalRecord> RunTrivialMethod(const MethodInfo& method, const std::vector<EvalUser>& users, int rounds,
                                         const PredictionOptions& prediction);

}  // namespace deeper

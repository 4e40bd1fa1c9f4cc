// Reference log-probs without a second model copy during training.
//
// LoRA: the reference is the policy with its adapters switched off (ReferenceLogpsLoraOff, per batch).
// Full fine-tuning: the reference log-probs of every pair are computed once before training
// (PrecomputeReferenceLogps) and stored with the pairs, so only the policy lives in memory while training.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "train/pairs.h"

namespace deeper {

class Communicator;
class Transformer;
struct PairBatch;

// [2B] fp32 log-probs of the batch under `model` with adapters off, without autograd.
at::Tensor ReferenceLogpsLoraOff(Transformer& model, const PairBatch& batch);

// Fills ref_chosen_logp / ref_rejected_logp of every pair with `reference`'s sequence log-probs.
// Ranks split the pairs (i % world == rank) and exchange results, so every rank ends with all of them.
// Micro-batches follow `token_budget` / `max_pairs` as in training (pairs sorted by length to waste
// little padding). Runs without autograd.
void PrecomputeReferenceLogps(const Transformer& reference, std::vector<PreferencePair>& pairs, Communicator& comm,
                              int64_t token_budget, int64_t max_pairs, int64_t pad_id);

}  // namespace deeper

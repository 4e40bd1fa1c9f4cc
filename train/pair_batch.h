// Stacked chosen/rejected batches and their sequence log-probs under a model.
//
// Rows 0..B-1 hold prompt + chosen, rows B..2B-1 prompt + rejected, right-padded to the longest row, so
// chosen and rejected go through ONE forward. Only completion positions are projected through the LM
// head (fp32 logits), which keeps the [rows, S, V] logits of long prompts out of memory.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <vector>

#include "train/pairs.h"

namespace deeper {

class Transformer;

struct PairBatch {
  int64_t pairs = 0;
  at::Tensor input_ids;        // [2B,S] int64.
  at::Tensor attention_mask;   // [2B,S] int64, 1 = token.
  at::Tensor completion_mask;  // [2B,S] bool, true at completion tokens.
  at::Tensor tokens;           // [2B] fp32 completion token counts.
  at::Tensor ref_logps;        // [2B] fp32 stored reference log-probs; undefined unless every pair has them.
  int64_t padded_tokens() const { return input_ids.numel(); }
};

// Builds the batch on `device`; pad positions hold `pad_id` (any valid id: they are masked).
PairBatch BuildPairBatch(const std::vector<const PreferencePair*>& pairs, int64_t pad_id, c10::Device device);

// Summed completion log-probs [2B] fp32 under `model` (differentiable when the model's parameters
// require grad). Uses Transformer::ForwardHidden + Logits on completion positions only.
at::Tensor BatchLogps(const Transformer& model, const PairBatch& batch);

}  // namespace deeper

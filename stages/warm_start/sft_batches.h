// Which examples train together: an epoch's examples in a keyed order, cut into batches by a padded
// token budget. Neighbours in the shuffled order are sorted by length within pools of a few batches
// first, so padding stays small while every batch still mixes tasks. Torch-free and deterministic:
// the same examples, budget and key always give the same batches.
#pragma once

#include <cstdint>
#include <vector>

#include "stages/warm_start/sft_example.h"

namespace deeper {

struct SftBatchOptions {
  int64_t batch_tokens = 4096;  // Padded tokens (rows x longest row) per batch at most.
  int64_t max_rows = 0;         // Rows per batch at most (0 = no cap).
  int64_t pool_batches = 16;    // Length-sorting pool, in batches' worth of examples.
  // Keep the examples' own order at the scale of pools (no epoch shuffle; batches are shuffled only
  // within their pool), so data generated as a curriculum (easy examples first) trains in that order.
  bool keep_order = false;
};

// The batches of epoch `epoch` (indices into `examples`). An example longer than the budget goes alone.
// With keep_order, pool p holds examples [p * pool, (p + 1) * pool) in every epoch.
std::vector<std::vector<int64_t>> SftEpochBatches(const std::vector<SftExample>& examples, const SftBatchOptions& options,
                                                  uint64_t seed, int64_t epoch);

}  // namespace deeper

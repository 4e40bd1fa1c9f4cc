// Which pairs go where: truncation to a cutoff length, the validation split, the per-epoch order,
// micro-batches by token budget and each rank's share of them. Torch-free, and independent of
// the world size wherever the math allows, so a run gives the same trajectory on 1 or N ranks.
#pragma once

#include <cstdint>
#include <vector>

#include "train/pairs.h"

namespace deeper {

struct TruncationOptions {
  int64_t cutoff_len = 2048;     // Max prompt + longer completion tokens (0 = no truncation).
  int64_t max_prompt_len = 0;    // Prompt tokens kept when both must shrink (0 = cutoff_len / 2).
};

// Truncates a pair so prompt + max(chosen, rejected) <= cutoff_len: the prompt loses tokens from the
// LEFT (its end, next to the answer, matters most), down to max(max_prompt_len, cutoff - longest) if
// needed; then completions lose tokens from the RIGHT. Reference log-probs are kept as they are (they
// must have been computed on the truncated pair; see RefLogpsInfo). Pairs within the cutoff are unchanged.
PreferencePair TruncatePair(const PreferencePair& pair, const TruncationOptions& options);

// A permutation of [0, n) from a 64-bit key; the same on every platform (own generator, own draws).
std::vector<int64_t> Permutation(int64_t n, uint64_t key);
// Mixes values into one key (splitmix64 chain).
uint64_t MixKey(uint64_t a, uint64_t b);

// Deterministic train/validation split of n pairs: `val_fraction` of them (rounded up, at least one
// when the fraction is positive and n > 1) are held out, chosen by a permutation keyed by `seed`.
struct Split {
  std::vector<int64_t> train;  // Ascending indices.
  std::vector<int64_t> val;
};
Split SplitPairs(int64_t n, double val_fraction, uint64_t seed);

// The order of the training pairs in an epoch: a permutation keyed by (seed, epoch).
std::vector<int64_t> EpochOrder(const std::vector<int64_t>& train, uint64_t seed, int64_t epoch);

// Rank `rank`'s contiguous share [rank * n / W, (rank + 1) * n / W) of n micro-batches: ranks take whole
// micro-batches, so the micro-batches (and hence the numbers each one computes) are the same whatever
// the world size. With fewer micro-batches than ranks some ranks get none.
struct UnitRange {
  int64_t begin = 0;
  int64_t end = 0;
};
UnitRange RankShare(int64_t n, int rank, int world_size);

// Splits an ordered list of pairs into micro-batches: consecutive pairs while the padded size of the
// stacked batch (2 * pairs * longest sequence) stays within `token_budget` and the count within
// `max_pairs` (0 = no cap). A pair larger than the budget goes alone. Order is preserved.
std::vector<std::vector<int64_t>> MicroBatches(const std::vector<PreferencePair>& pairs,
                                               const std::vector<int64_t>& indices, int64_t token_budget,
                                               int64_t max_pairs);

// Prompt + longer completion: the padded length of a pair's rows in a stacked batch.
int64_t PairLength(const PreferencePair& pair);

}  // namespace deeper

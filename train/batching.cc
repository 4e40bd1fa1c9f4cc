#include "train/batching.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/error.h"

namespace deeper {
namespace {

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [0, bound) without modulo bias (rejection sampling).
uint64_t UniformBelow(uint64_t* state, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t draw;
  do {
    draw = SplitMix64(state);
  } while (draw >= limit);
  return draw % bound;
}

}  // namespace

uint64_t MixKey(uint64_t a, uint64_t b) {
  uint64_t state = a ^ 0x5851f42d4c957f2dULL;
  SplitMix64(&state);
  state ^= b;
  return SplitMix64(&state);
}

PreferencePair TruncatePair(const PreferencePair& pair, const TruncationOptions& options) {
  if (options.cutoff_len <= 0) return pair;
  const int64_t cutoff = options.cutoff_len;
  const int64_t max_prompt = options.max_prompt_len > 0 ? options.max_prompt_len : cutoff / 2;
  DEEPER_REQUIRE(max_prompt >= 1 && max_prompt < cutoff, "max_prompt_len ", max_prompt,
                 " must be in [1, cutoff_len ", cutoff, ")");
  const int64_t prompt = static_cast<int64_t>(pair.prompt_ids.size());
  const int64_t longest = static_cast<int64_t>(std::max(pair.chosen_ids.size(), pair.rejected_ids.size()));
  if (prompt + longest <= cutoff) return pair;
  PreferencePair out = pair;
  const int64_t keep_prompt = std::min(prompt, std::max(max_prompt, cutoff - longest));
  out.prompt_ids.assign(pair.prompt_ids.end() - keep_prompt, pair.prompt_ids.end());
  const size_t keep_answer = static_cast<size_t>(cutoff - keep_prompt);
  if (out.chosen_ids.size() > keep_answer) out.chosen_ids.resize(keep_answer);
  if (out.rejected_ids.size() > keep_answer) out.rejected_ids.resize(keep_answer);
  return out;
}

std::vector<int64_t> Permutation(int64_t n, uint64_t key) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  uint64_t state = key;
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(UniformBelow(&state, static_cast<uint64_t>(i + 1)));
    std::swap(order[i], order[j]);
  }
  return order;
}

Split SplitPairs(int64_t n, double val_fraction, uint64_t seed) {
  DEEPER_REQUIRE(val_fraction >= 0 && val_fraction < 1, "val_fraction ", val_fraction, " must be in [0, 1)");
  int64_t n_val = static_cast<int64_t>(std::ceil(val_fraction * static_cast<double>(n) - 1e-9));
  if (n <= 1) n_val = 0;
  n_val = std::min(n_val, n - 1);
  std::vector<int64_t> order = Permutation(n, MixKey(seed, 0x76616c));  // "val"
  Split split;
  split.val.assign(order.end() - n_val, order.end());
  split.train.assign(order.begin(), order.end() - n_val);
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.val.begin(), split.val.end());
  return split;
}

std::vector<int64_t> EpochOrder(const std::vector<int64_t>& train, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> permutation = Permutation(static_cast<int64_t>(train.size()),
                                                 MixKey(seed, static_cast<uint64_t>(epoch)));
  std::vector<int64_t> order(train.size());
  for (size_t i = 0; i < train.size(); ++i) order[i] = train[static_cast<size_t>(permutation[i])];
  return order;
}

UnitRange RankShare(int64_t n, int rank, int world_size) {
  DEEPER_REQUIRE(world_size > 0 && rank >= 0 && rank < world_size && n >= 0, "RankShare: rank ", rank,
                 " of ", world_size, " ranks, ", n, " micro-batches");
  return {rank * n / world_size, (rank + 1) * n / world_size};
}

int64_t PairLength(const PreferencePair& pair) {
  return static_cast<int64_t>(pair.prompt_ids.size() + std::max(pair.chosen_ids.size(), pair.rejected_ids.size()));
}

std::vector<std::vector<int64_t>> MicroBatches(const std::vector<PreferencePair>& pairs,
                                               const std::vector<int64_t>& indices, int64_t token_budget,
                                               int64_t max_pairs) {
  std::vector<std::vector<int64_t>> batches;
  std::vector<int64_t> current;
  int64_t longest = 0;
  for (int64_t index : indices) {
    const int64_t length = PairLength(pairs[static_cast<size_t>(index)]);
    const int64_t new_longest = std::max(longest, length);
    const int64_t count = static_cast<int64_t>(current.size()) + 1;
    const bool over_budget = token_budget > 0 && 2 * count * new_longest > token_budget;
    const bool over_count = max_pairs > 0 && count > max_pairs;
    if (!current.empty() && (over_budget || over_count)) {
      batches.push_back(std::move(current));
      current.clear();
      longest = 0;
    }
    current.push_back(index);
    longest = std::max(longest, length);
  }
  if (!current.empty()) batches.push_back(std::move(current));
  return batches;
}

}  // namespace deeper

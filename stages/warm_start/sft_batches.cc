#include "stages/warm_start/sft_batches.h"

#include <algorithm>
#include <cstdint>

#include "common/error.h"
#include "train/batching.h"

namespace deeper {
namespace {

// Cuts `order` (already length-sorted) into batches within the budget.
void CutBatches(const std::vector<SftExample>& examples, const std::vector<int64_t>& order, const SftBatchOptions& options,
                std::vector<std::vector<int64_t>>* out) {
  std::vector<int64_t> batch;
  int64_t longest = 0;
  for (int64_t index : order) {
    const int64_t length = examples[static_cast<size_t>(index)].length();
    const int64_t rows = static_cast<int64_t>(batch.size()) + 1;
    const bool fits = std::max(longest, length) * rows <= options.batch_tokens &&
                      (options.max_rows <= 0 || rows <= options.max_rows);
    if (!batch.empty() && !fits) {
      out->push_back(std::move(batch));
      batch.clear();
      longest = 0;
    }
    batch.push_back(index);
    longest = std::max(longest, length);
  }
  if (!batch.empty()) out->push_back(std::move(batch));
}

}  // namespace

std::vector<std::vector<int64_t>> SftEpochBatches(const std::vector<SftExample>& examples, const SftBatchOptions& options,
                                                  uint64_t seed, int64_t epoch) {
  DEEPER_REQUIRE(options.batch_tokens >= 1 && options.pool_batches >= 1, "sft batches: batch_tokens and pool_batches must be positive");
  const int64_t n = static_cast<int64_t>(examples.size());
  if (n == 0) return {};
  std::vector<int64_t> order(static_cast<size_t>(n));
  if (options.keep_order) {
    for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  } else {
    order = Permutation(n, MixKey(seed, static_cast<uint64_t>(epoch)));
  }
  // Pool size in examples: the budget over the mean length, times the pool's batches.
  int64_t total = 0;
  for (const auto& e : examples) total += e.length();
  const int64_t mean = std::max<int64_t>(1, total / n);
  const int64_t pool = std::max<int64_t>(1, options.batch_tokens / mean * options.pool_batches);
  std::vector<std::vector<int64_t>> batches;
  std::vector<size_t> pool_starts;  // first batch of each pool
  for (int64_t start = 0; start < n; start += pool) {
    std::vector<int64_t> part(order.begin() + start, order.begin() + std::min(n, start + pool));
    // Stable sort keeps the keyed order among equal lengths: deterministic everywhere.
    std::stable_sort(part.begin(), part.end(), [&](int64_t a, int64_t b) {
      return examples[static_cast<size_t>(a)].length() < examples[static_cast<size_t>(b)].length();
    });
    pool_starts.push_back(batches.size());
    CutBatches(examples, part, options, &batches);
  }
  pool_starts.push_back(batches.size());
  // Sorted pools would feed short batches first, then long ones: shuffle the batches as well (within
  // their pool when the order is kept).
  const uint64_t shuffle_key = MixKey(seed ^ 0x5bd1e995ull, static_cast<uint64_t>(epoch));
  std::vector<std::vector<int64_t>> out;
  out.reserve(batches.size());
  if (options.keep_order) {
    for (size_t p = 0; p + 1 < pool_starts.size(); ++p) {
      const auto count = static_cast<int64_t>(pool_starts[p + 1] - pool_starts[p]);
      for (int64_t i : Permutation(count, MixKey(shuffle_key, p))) {
        out.push_back(std::move(batches[pool_starts[p] + static_cast<size_t>(i)]));
      }
    }
  } else {
    for (int64_t i : Permutation(static_cast<int64_t>(batches.size()), shuffle_key)) {
      out.push_back(std::move(batches[static_cast<size_t>(i)]));
    }
  }
  return out;
}

}  // namespace deeper

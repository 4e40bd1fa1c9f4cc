#include "train/reference.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>

#include <algorithm>
#include <numeric>

#include "distributed/collectives/communicator.h"
#include "model/lora.h"
#include "model/transformer.h"
#include "train/batching.h"
#include "train/pair_batch.h"

namespace deeper {

at::Tensor ReferenceLogpsLoraOff(Transformer& model, const PairBatch& batch) {
  c10::NoGradGuard no_grad;
  LoraDisabledScope lora_off(model);
  return BatchLogps(model, batch);
}

void PrecomputeReferenceLogps(const Transformer& reference, std::vector<PreferencePair>& pairs, Communicator& comm,
                              int64_t token_budget, int64_t max_pairs, int64_t pad_id) {
  c10::NoGradGuard no_grad;
  const int64_t n = static_cast<int64_t>(pairs.size());
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  // Similar lengths together: less padding, and the result does not depend on the order of the pairs.
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return PairLength(pairs[static_cast<size_t>(a)]) < PairLength(pairs[static_cast<size_t>(b)]);
  });
  // The micro-batches do not depend on the world size (ranks take whole ones), so each log-prob is
  // computed in the same padded batch, hence to the same bits, on any number of ranks.
  const auto micro_batches = MicroBatches(pairs, order, token_budget, max_pairs);
  const UnitRange share = RankShare(static_cast<int64_t>(micro_batches.size()), comm.rank(), comm.size());
  // Rows [0, n) chosen, [n, 2n) rejected; every rank fills its own entries, zeros elsewhere, and a sum
  // over ranks assembles the whole vector (the communicator has no all-gather).
  at::Tensor all = at::zeros({2 * n}, at::TensorOptions().dtype(at::kDouble).device(reference.device()));
  for (int64_t m = share.begin; m < share.end; ++m) {
    const std::vector<int64_t>& micro = micro_batches[static_cast<size_t>(m)];
    std::vector<const PreferencePair*> batch_pairs;
    for (int64_t i : micro) batch_pairs.push_back(&pairs[static_cast<size_t>(i)]);
    const PairBatch batch = BuildPairBatch(batch_pairs, pad_id, reference.device());
    const at::Tensor logps = BatchLogps(reference, batch).to(at::kDouble);
    const at::Tensor index = at::tensor(micro, at::kLong).to(reference.device());
    const int64_t b = static_cast<int64_t>(micro.size());
    all.index_copy_(0, index, logps.slice(0, 0, b));
    all.index_copy_(0, index + n, logps.slice(0, b, 2 * b));
  }
  comm.AllReduceSum(all);
  const at::Tensor host = all.to(at::kCPU).contiguous();
  const double* values = host.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {
    pairs[static_cast<size_t>(i)].ref_chosen_logp = values[i];
    pairs[static_cast<size_t>(i)].ref_rejected_logp = values[n + i];
  }
}

}  // namespace deeper

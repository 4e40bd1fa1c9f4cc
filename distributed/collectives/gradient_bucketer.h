// Data-parallel gradient averaging: the grads of all parameters are packed into a few flat buckets of
// about `bucket_bytes`, so a step costs a few large all-reduces instead of one small one per tensor.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <vector>

#include "distributed/collectives/bucket_layout.h"
#include "distributed/collectives/communicator.h"

namespace deeper {

class GradientBucketer {
 public:
  // Collective: every rank must construct it with the same parameters (dtypes and shapes, same order) and
  // the same bucket size; a difference is reported on every rank as a deeper::Error. All parameters live
  // on the communicator's device.
  GradientBucketer(Communicator& comm, std::vector<at::Tensor> params, int64_t bucket_bytes);
  // Flattens the .grad() of every param into buckets of ~bucket_bytes (same dtype per bucket, fixed
  // order so every rank builds identical buckets), all-reduces each bucket, divides by world size and
  // copies back into the grads. Params without a grad count as zeros (so ranks never disagree); after the
  // call every param has a grad. A bucket holding a single tensor is reduced in place in its grad.
  void AllReduceMeanGradients();

  const std::vector<Bucket>& buckets() const { return buckets_; }

 private:
  void RequireSameLayoutOnEveryRank(uint64_t signature);
  void AllocateStaging();
  at::Tensor& GradOf(size_t index);
  void ReduceBucket(const Bucket& bucket);

  Communicator& comm_;
  std::vector<at::Tensor> params_;
  std::vector<Bucket> buckets_;
  // One flat buffer per dtype, as large as that dtype's largest multi-tensor bucket (at most
  // bucket_bytes): buckets are reduced one after the other, so they can share it.
  std::map<int, at::Tensor> staging_;
};

// Broadcasts every tensor from rank 0 (initial weights), in place; collective.
void BroadcastParameters(Communicator& comm, const std::vector<at::Tensor>& params);

}  // namespace deeper

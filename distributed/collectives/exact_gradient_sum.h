// Gradient sums that do not depend on how the work was split: the gradient of every micro-batch of an
// optimizer step is added in 64-bit fixed point, where addition is exact and therefore associative, so
// the summed gradient has the same bits whether one rank ran all micro-batches or N ranks ran any share
// of them, in any order. That is what makes a data-parallel run reproduce a one-rank run bit for bit.
//
// Cost: each rank keeps one float32 copy of the trainable gradients per micro-batch it ran (fine for
// LoRA; for full fine-tuning of large models use the bucketed float all-reduce instead) and sends
// int64 instead of float (twice the bytes of an fp32 all-reduce).
//
// Precision: per tensor, the scale is the largest power of two that keeps the sum of every
// contribution below 2^62, so each element is resolved to 2^-59 of the tensor's largest magnitude
// (divided by the number of contributions) -- far below float32's own rounding of that element for
// every element within 2^-30 of the largest.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "distributed/collectives/communicator.h"

namespace deeper {

class ExactGradientSum {
 public:
  // `params`: the trainable parameters (float32, bfloat16 or float16), on the communicator's device,
  // the same list on every rank.
  ExactGradientSum(Communicator& comm, std::vector<at::Tensor> params);

  // Stores the params' current grads (one micro-batch's contribution; a missing grad counts as zeros)
  // and zeroes them for the next micro-batch.
  void Capture();

  // Collective. Sets every param's grad to the sum of all contributions captured on all ranks since the
  // last Finish (a rank that captured none takes part with nothing), then forgets them.
  void Finish();

  int64_t captured() const { return static_cast<int64_t>(contributions_.size()); }

 private:
  // Per tensor, the binary exponent k with max |contribution| < 2^k over every rank (kZeroTensor when
  // all are zero), and the total number of contributions over every rank.
  std::vector<int64_t> GlobalExponents(int64_t* total_contributions);

  Communicator& comm_;
  std::vector<at::Tensor> params_;
  std::vector<int64_t> offsets_;  // params_[i] is [offsets_[i], offsets_[i + 1]) of a flat gradient
  std::vector<at::Tensor> contributions_;  // flat float32, one per captured micro-batch
};

}  // namespace deeper

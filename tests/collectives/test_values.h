// Rank-dependent tensors whose sums and means are exact in every tested dtype, so collectives can be
// compared with at::equal.
#pragma once

#include <ATen/ATen.h>

namespace deeper::testing {

// 1..15 shaped [3, 5], times (rank + 1).
inline at::Tensor RankValues(int rank, at::ScalarType dtype) {
  return (at::arange(1, 16, at::kDouble).reshape({3, 5}) * (rank + 1)).to(dtype);
}

// The sum of RankValues over `size` ranks.
inline at::Tensor SumOfRankValues(int size, at::ScalarType dtype) {
  return (at::arange(1, 16, at::kDouble).reshape({3, 5}) * (size * (size + 1) / 2)).to(dtype);
}

// Values that round in every dtype (so packing differences would show), different on every rank.
inline at::Tensor RankGrad(int rank, int index, at::IntArrayRef shape, at::ScalarType dtype) {
  at::Tensor x = at::arange(c10::multiply_integers(shape), at::kDouble).reshape(shape);
  return ((x * (0.013 * (index + 1))).sin() * (rank + 1.37) + 0.1 * index).to(dtype);
}

}  // namespace deeper::testing

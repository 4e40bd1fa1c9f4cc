#include "distributed/collectives/exact_gradient_sum.h"

#include <ATen/ops/abs.h>
#include <ATen/ops/max.h>
#include <ATen/ops/round.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/zeros_like.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace deeper {
namespace {

constexpr int64_t kZeroTensor = -100000;  // below any float exponent
// Sums of at most 2^62 in magnitude: every rounding adds at most 1/2, so int64 never overflows.
constexpr int kSumBits = 62;

// Param i's elements in a flat gradient.
at::Tensor Segment(const at::Tensor& flat, const std::vector<int64_t>& offsets, size_t i) {
  return flat.narrow(0, offsets[i], offsets[i + 1] - offsets[i]);
}

int CeilLog2(int64_t n) {
  int bits = 0;
  while ((int64_t{1} << bits) < n) ++bits;
  return bits;
}

bool IsSupportedGradType(at::ScalarType type) {
  return type == at::kFloat || type == at::kBFloat16 || type == at::kHalf;
}

}  // namespace

ExactGradientSum::ExactGradientSum(Communicator& comm, std::vector<at::Tensor> params)
    : comm_(comm), params_(std::move(params)) {
  DEEPER_REQUIRE(!params_.empty(), "ExactGradientSum on rank ", comm_.rank(), ": no parameters");
  offsets_.push_back(0);
  for (size_t i = 0; i < params_.size(); ++i) {
    const at::Tensor& p = params_[i];
    DEEPER_REQUIRE(p.defined() && IsSupportedGradType(p.scalar_type()), "ExactGradientSum on rank ", comm_.rank(),
                   ": parameter ", i, " must be a float32, bfloat16 or float16 tensor");
    DEEPER_REQUIRE(p.device() == params_[0].device(), "ExactGradientSum on rank ", comm_.rank(), ": parameter ", i,
                   " is on ", p.device().str(), " but parameter 0 is on ", params_[0].device().str());
    offsets_.push_back(offsets_.back() + p.numel());
  }
}

void ExactGradientSum::Capture() {
  c10::NoGradGuard no_grad;
  at::Tensor flat = at::zeros({offsets_.back()}, params_[0].options().dtype(at::kFloat));
  for (size_t i = 0; i < params_.size(); ++i) {
    at::Tensor& grad = params_[i].mutable_grad();
    if (!grad.defined()) continue;
    DEEPER_REQUIRE(grad.sizes() == params_[i].sizes() && grad.layout() == at::kStrided, "ExactGradientSum on rank ",
                   comm_.rank(), ": the grad of parameter ", i, " does not match it");
    Segment(flat, offsets_, i).copy_(grad.reshape({-1}));
    grad.zero_();
  }
  contributions_.push_back(std::move(flat));
}

std::vector<int64_t> ExactGradientSum::GlobalExponents(int64_t* total_contributions) {
  const int64_t n = static_cast<int64_t>(params_.size());
  // Row of this rank: the exponent per tensor, then the contribution count, then a non-finite flag.
  std::vector<int64_t> row(static_cast<size_t>(n + 2), kZeroTensor);
  row[static_cast<size_t>(n)] = captured();
  row[static_cast<size_t>(n + 1)] = 0;
  if (!contributions_.empty()) {
    std::vector<at::Tensor> maxima;
    for (size_t i = 0; i < params_.size(); ++i) {
      std::vector<at::Tensor> per_contribution;
      for (const at::Tensor& c : contributions_) {
        const at::Tensor segment = Segment(c, offsets_, i);
        per_contribution.push_back(segment.numel() == 0 ? at::zeros({}, c.options()) : segment.abs().max());
      }
      maxima.push_back(at::stack(per_contribution).max());
    }
    const at::Tensor host = at::stack(maxima).to(at::kCPU).to(at::kDouble).contiguous();
    const double* values = host.data_ptr<double>();
    for (int64_t i = 0; i < n; ++i) {
      const double m = values[i];
      if (!std::isfinite(m)) {
        row[static_cast<size_t>(n + 1)] = 1;
      } else if (m > 0) {
        int exponent = 0;
        std::frexp(m, &exponent);  // m < 2^exponent
        row[static_cast<size_t>(i)] = exponent;
      }
    }
  }
  const at::Tensor mine = at::tensor(row, at::kLong).view({1, n + 2}).to(params_[0].device());
  const at::Tensor all = AssembleRows(comm_, mine, comm_.rank(), comm_.size()).to(at::kCPU).contiguous();
  const int64_t* rows = all.data_ptr<int64_t>();
  std::vector<int64_t> exponents(static_cast<size_t>(n), kZeroTensor);
  int64_t total = 0, nonfinite_ranks = 0;
  for (int r = 0; r < comm_.size(); ++r) {
    const int64_t* r_row = rows + r * (n + 2);
    for (int64_t i = 0; i < n; ++i) exponents[static_cast<size_t>(i)] = std::max(exponents[static_cast<size_t>(i)], r_row[i]);
    total += r_row[n];
    nonfinite_ranks += r_row[n + 1];
  }
  // Every rank learns it from the same numbers, so all throw together.
  DEEPER_REQUIRE(nonfinite_ranks == 0, "ExactGradientSum: ", nonfinite_ranks, " of ", comm_.size(),
                 " ranks hold a non-finite (inf or nan) gradient; lower the learning rate or check the data");
  *total_contributions = total;
  return exponents;
}

void ExactGradientSum::Finish() {
  c10::NoGradGuard no_grad;
  int64_t total = 0;
  const std::vector<int64_t> exponents = GlobalExponents(&total);
  const int headroom = CeilLog2(std::max<int64_t>(total, 1));
  at::Tensor sum = at::zeros({offsets_.back()}, params_[0].options().dtype(at::kLong));
  for (size_t i = 0; i < params_.size(); ++i) {
    if (exponents[i] == kZeroTensor) continue;
    const double scale = std::ldexp(1.0, kSumBits - headroom - static_cast<int>(exponents[i]));
    at::Tensor segment = Segment(sum, offsets_, i);
    for (const at::Tensor& c : contributions_) {
      // float32 -> float64 and a power-of-two scale are exact; the rounding to an integer is the same
      // wherever the contribution is computed.
      segment.add_(at::round(Segment(c, offsets_, i).to(at::kDouble).mul_(scale)).to(at::kLong));
    }
  }
  comm_.AllReduceSum(sum);
  for (size_t i = 0; i < params_.size(); ++i) {
    at::Tensor& param = params_[i];
    at::Tensor& grad = param.mutable_grad();
    if (!grad.defined()) grad = at::zeros_like(param, at::MemoryFormat::Contiguous);
    if (exponents[i] == kZeroTensor) {
      grad.zero_();
      continue;
    }
    const double unscale = std::ldexp(1.0, static_cast<int>(exponents[i]) + headroom - kSumBits);
    grad.copy_(Segment(sum, offsets_, i).to(at::kDouble).mul_(unscale).view(param.sizes()));
  }
  contributions_.clear();
}

}  // namespace deeper

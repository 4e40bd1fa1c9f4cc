#include "distributed/collectives/exact_gradient_sum.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "common/error.h"
#include "distributed/collectives/communicator.h"
#include "distributed/collectives/local_communicator.h"
#include "tests/collectives/test_values.h"

namespace deeper {
namespace {

using deeper::testing::RankGrad;

struct ParamSpec {
  std::vector<int64_t> shape;
  at::ScalarType dtype;
};

// Tensors of very different magnitudes (each gets its own scale), a bf16 and an f16 one, an empty one
// and one whose grad is always zero.
const std::vector<ParamSpec> kParams = {{{33, 7}, at::kFloat}, {{19}, at::kFloat}, {{4, 6}, at::kBFloat16},
                                        {{0}, at::kFloat},     {{50}, at::kHalf},  {{5}, at::kFloat}};
constexpr int kZeroParam = 5;

std::vector<at::Tensor> MakeParams() {
  std::vector<at::Tensor> params;
  for (const ParamSpec& s : kParams) params.push_back(at::zeros(s.shape, s.dtype).requires_grad_(true));
  return params;
}

// Contribution `c` to param `i`: values that do not add exactly in float, with a magnitude per param
// from 1e-6 to 1e3. Param 2's grad is missing in every third contribution.
void SetContribution(const std::vector<at::Tensor>& params, int c) {
  for (size_t i = 0; i < params.size(); ++i) {
    at::Tensor p = params[i];
    if (i == 2 && c % 3 == 0) {
      p.mutable_grad() = at::Tensor();
      continue;
    }
    const double magnitude = i == kZeroParam ? 0.0 : std::pow(10.0, static_cast<double>(i) * 2 - 6);
    p.mutable_grad() = (RankGrad(c, static_cast<int>(i), p.sizes(), at::kDouble) * magnitude).to(p.scalar_type());
  }
}

// Captures contributions [begin, end) and finishes; returns the summed grads.
std::vector<at::Tensor> SumContributions(Communicator& comm, int begin, int end) {
  std::vector<at::Tensor> params = MakeParams();
  ExactGradientSum sum(comm, params);
  for (int c = begin; c < end; ++c) {
    SetContribution(params, c);
    sum.Capture();
  }
  EXPECT_EQ(sum.captured(), end - begin);
  sum.Finish();
  EXPECT_EQ(sum.captured(), 0);
  std::vector<at::Tensor> grads;
  for (const at::Tensor& p : params) grads.push_back(p.grad().clone());
  return grads;
}

constexpr int kContributions = 7;

TEST(ExactGradientSum, AnySplitOverRanksGivesTheBitsOfOneRank) {
  std::unique_ptr<Communicator> comm = MakeCommunicator(c10::Device(c10::kCPU));
  LocalCommunicator local;
  const std::vector<at::Tensor> alone = SumContributions(local, 0, kContributions);
  // Contiguous shares, then everything on the last rank (the others contribute nothing).
  const int r = comm->rank(), w = comm->size();
  const std::vector<at::Tensor> shared = SumContributions(*comm, r * kContributions / w, (r + 1) * kContributions / w);
  const bool last = r == w - 1;
  const std::vector<at::Tensor> lopsided = SumContributions(*comm, 0, last ? kContributions : 0);
  for (size_t i = 0; i < kParams.size(); ++i) {
    EXPECT_EQ(alone[i].scalar_type(), kParams[i].dtype);
    EXPECT_TRUE(at::equal(shared[i], alone[i])) << "param " << i;
    EXPECT_TRUE(at::equal(lopsided[i], alone[i])) << "param " << i;
  }
}

TEST(ExactGradientSum, EqualsTheFloat64SumRoundedOnce) {
  LocalCommunicator local;
  const std::vector<at::Tensor> sums = SumContributions(local, 0, kContributions);
  std::vector<at::Tensor> params = MakeParams();
  for (size_t i = 0; i < params.size(); ++i) {
    at::Tensor expected = at::zeros(kParams[i].shape, at::kDouble);
    for (int c = 0; c < kContributions; ++c) {
      SetContribution(params, c);
      if (params[i].grad().defined()) expected += params[i].grad().to(at::kDouble);
    }
    // Rounded once from (nearly) the exact sum: equal to the float64 sum rounded to the dtype, except
    // for the rare element on a rounding boundary (one ulp).
    const at::Tensor rounded = expected.to(kParams[i].dtype).to(at::kDouble);
    const at::Tensor got = sums[i].to(at::kDouble);
    const double ulp = kParams[i].dtype == at::kFloat ? 1.2e-7 : kParams[i].dtype == at::kHalf ? 1e-3 : 8e-3;
    EXPECT_TRUE(at::allclose(got, rounded, ulp, 0.0)) << "param " << i;
    if (static_cast<int>(i) == kZeroParam) EXPECT_EQ(got.abs().max().item<double>(), 0.0);
  }
}

TEST(ExactGradientSum, ANonFiniteGradientFailsOnEveryRank) {
  std::unique_ptr<Communicator> comm = MakeCommunicator(c10::Device(c10::kCPU));
  std::vector<at::Tensor> params = MakeParams();
  ExactGradientSum sum(*comm, params);
  SetContribution(params, comm->rank());
  if (comm->rank() == 0) params[1].mutable_grad()[3] = std::numeric_limits<float>::infinity();
  sum.Capture();
  EXPECT_THROW(sum.Finish(), Error);
}

TEST(ExactGradientSum, RefusesIntegerAndDoubleParameters) {
  LocalCommunicator local;
  EXPECT_THROW(ExactGradientSum(local, {at::zeros({3}, at::kDouble)}), Error);
  EXPECT_THROW(ExactGradientSum(local, {at::zeros({3}, at::kLong)}), Error);
  EXPECT_THROW(ExactGradientSum(local, {}), Error);
}

TEST(AssembleRows, EveryRankGetsEveryRanksRowsBitForBit) {
  std::unique_ptr<Communicator> comm = MakeCommunicator(c10::Device(c10::kCPU));
  const int r = comm->rank(), w = comm->size();
  const int64_t total = 2 * w + 1;  // rank 0 holds three rows, the others two
  const int64_t first = r == 0 ? 0 : 2 * r + 1;
  const int64_t count = r == 0 ? 3 : 2;
  const at::Tensor all = at::arange(total * 4, at::kDouble).reshape({total, 4}).mul(0.1).sin();
  const at::Tensor assembled = AssembleRows(*comm, all.narrow(0, first, count), first, total);
  EXPECT_TRUE(at::equal(assembled, all));
  EXPECT_THROW(AssembleRows(*comm, all.narrow(0, 0, 2), total - 1, total), Error);
}

}  // namespace
}  // namespace deeper

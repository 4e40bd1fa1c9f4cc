#include "distributed/collectives/gradient_bucketer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

#include "common/error.h"
#include "distributed/collectives/communicator.h"
#include "tests/collectives/test_values.h"

namespace deeper {
namespace {

using deeper::testing::RankGrad;

struct ParamSpec {
  std::vector<int64_t> shape;
  at::ScalarType dtype;
};

// A small mix: several dtypes interleaved, a tensor bigger than most buckets, a scalar-like and an
// empty tensor.
const std::vector<ParamSpec> kParams = {
    {{64, 32}, at::kFloat}, {{32}, at::kFloat},  {{16, 8}, at::kBFloat16}, {{100}, at::kFloat},
    {{7, 3}, at::kDouble},  {{5}, at::kBFloat16}, {{200}, at::kHalf},      {{1}, at::kFloat},
    {{0}, at::kFloat},      {{3, 50}, at::kBFloat16}};

std::vector<at::Tensor> MakeParams(const std::vector<ParamSpec>& specs) {
  std::vector<at::Tensor> params;
  for (const ParamSpec& s : specs) params.push_back(at::zeros(s.shape, s.dtype).requires_grad_(true));
  return params;
}

void SetGrads(const std::vector<at::Tensor>& params, int rank, const std::set<size_t>& missing = {}) {
  for (size_t i = 0; i < params.size(); ++i) {
    at::Tensor p = params[i];
    p.mutable_grad() = missing.count(i) ? at::Tensor()
                                        : RankGrad(rank, static_cast<int>(i), p.sizes(), p.scalar_type());
  }
}

// The reference: one AllReduceMean per tensor, a missing grad counting as zeros.
std::vector<at::Tensor> PerTensorMeans(Communicator& comm, const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> means;
  for (const at::Tensor& p : params) {
    at::Tensor g = p.grad().defined() ? p.grad().clone() : at::zeros_like(p);
    comm.AllReduceMean(g);
    means.push_back(g);
  }
  return means;
}

// Bitwise for two ranks (each element is one addition, whatever the packing). With more ranks MPI may
// pick another summation order for another message size, hence the tolerance there.
void ExpectSame(const at::Tensor& actual, const at::Tensor& expected, int world_size, size_t index) {
  ASSERT_TRUE(actual.defined()) << "param " << index;
  ASSERT_EQ(actual.scalar_type(), expected.scalar_type()) << "param " << index;
  if (world_size <= 2) {
    EXPECT_TRUE(at::equal(actual, expected)) << "param " << index;
  } else {
    EXPECT_TRUE(at::allclose(actual.to(at::kDouble), expected.to(at::kDouble), 1e-2, 1e-3)) << "param " << index;
  }
}

class BucketSizeTest : public ::testing::TestWithParam<int64_t> {
 protected:
  std::unique_ptr<Communicator> comm_ = MakeCommunicator(at::kCPU);
};

TEST_P(BucketSizeTest, EqualsPerTensorMeans) {
  std::vector<at::Tensor> params = MakeParams(kParams);
  SetGrads(params, comm_->rank());
  const std::vector<at::Tensor> expected = PerTensorMeans(*comm_, params);
  GradientBucketer bucketer(*comm_, params, GetParam());
  bucketer.AllReduceMeanGradients();
  for (size_t i = 0; i < params.size(); ++i) ExpectSame(params[i].grad(), expected[i], comm_->size(), i);
}

TEST_P(BucketSizeTest, MissingGradsCountAsZeros) {
  std::vector<at::Tensor> params = MakeParams(kParams);
  // Rank 1 lacks two grads that rank 0 has; no rank has a grad for param 5.
  std::set<size_t> missing = {5};
  if (comm_->rank() == 1) missing.insert({1, 3});
  SetGrads(params, comm_->rank(), missing);
  const std::vector<at::Tensor> expected = PerTensorMeans(*comm_, params);
  GradientBucketer bucketer(*comm_, params, GetParam());
  bucketer.AllReduceMeanGradients();
  for (size_t i = 0; i < params.size(); ++i) ExpectSame(params[i].grad(), expected[i], comm_->size(), i);
  EXPECT_EQ(params[5].grad().count_nonzero().item<int64_t>(), 0);
}

// Smaller than any tensor, a few tensors per bucket, larger than all of them together.
INSTANTIATE_TEST_SUITE_P(Sizes, BucketSizeTest, ::testing::Values(1, 64, 600, 4096, 1 << 20));

TEST(GradientBucketer, PlansOneBucketPerDtypeWhenBucketsAreLarge) {
  auto comm = MakeCommunicator(at::kCPU);
  GradientBucketer large(*comm, MakeParams(kParams), 1 << 30);
  EXPECT_EQ(large.buckets().size(), 4u);  // float, bfloat16, double, half
  GradientBucketer tiny(*comm, MakeParams(kParams), 1);
  EXPECT_EQ(tiny.buckets().size(), kParams.size());
}

TEST(GradientBucketer, RepeatsIdenticallyOverSteps) {
  auto comm = MakeCommunicator(at::kCPU);
  std::vector<at::Tensor> params = MakeParams(kParams);
  GradientBucketer bucketer(*comm, params, 600);
  for (int step = 0; step < 3; ++step) {
    SetGrads(params, comm->rank() + step);
    const std::vector<at::Tensor> expected = PerTensorMeans(*comm, params);
    bucketer.AllReduceMeanGradients();
    for (size_t i = 0; i < params.size(); ++i) ExpectSame(params[i].grad(), expected[i], comm->size(), i);
  }
}

TEST(GradientBucketer, RefusesAGradOfAnotherDtype) {
  auto comm = MakeCommunicator(at::kCPU);
  std::vector<at::Tensor> params = MakeParams(kParams);
  SetGrads(params, comm->rank());
  params[2].mutable_grad() = params[2].grad().to(at::kFloat);  // on every rank: all of them throw
  GradientBucketer bucketer(*comm, params, 1 << 20);
  try {
    bucketer.AllReduceMeanGradients();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("parameter 2 is BFloat16"), std::string::npos) << e.what();
  }
}

TEST(GradientBucketer, EveryRankRefusesParametersThatDifferBetweenRanks) {
  auto comm = MakeCommunicator(at::kCPU);
  if (comm->size() < 2) GTEST_SKIP() << "needs two ranks";
  std::vector<ParamSpec> specs = kParams;
  if (comm->rank() == 1) specs[0].shape = {32, 64};
  try {
    GradientBucketer bucketer(*comm, MakeParams(specs), 1 << 20);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("different from rank 0"), std::string::npos) << e.what();
  }
}

TEST(BroadcastParameters, CopiesRankZerosWeightsIntoLeaves) {
  auto comm = MakeCommunicator(at::kCPU);
  std::vector<at::Tensor> params;
  for (size_t i = 0; i < kParams.size(); ++i) {
    params.push_back(RankGrad(comm->rank(), static_cast<int>(i), kParams[i].shape, kParams[i].dtype)
                         .requires_grad_(true));
  }
  // A non-contiguous leaf goes through the staging copy.
  params.push_back(RankGrad(comm->rank(), 99, {5, 3}, at::kFloat).t().requires_grad_(true));
  BroadcastParameters(*comm, params);
  for (size_t i = 0; i < kParams.size(); ++i) {
    EXPECT_TRUE(at::equal(params[i], RankGrad(0, static_cast<int>(i), kParams[i].shape, kParams[i].dtype)))
        << "param " << i;
    EXPECT_TRUE(params[i].requires_grad());
  }
  EXPECT_TRUE(at::equal(params.back(), RankGrad(0, 99, {5, 3}, at::kFloat).t()));
}

}  // namespace
}  // namespace deeper

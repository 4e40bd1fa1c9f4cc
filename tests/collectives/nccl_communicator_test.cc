// The NCCL backend on CUDA tensors. Built everywhere (it needs no CUDA header), registered with ctest
// only when DEEPER_WITH_NCCL is on, and run under mpirun with one rank per GPU (one GPU: one rank, as
// NCCL refuses two ranks on one GPU). Skips itself where there is no GPU or no NCCL.
#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "common/error.h"
#include "distributed/collectives/communicator.h"
#include "distributed/collectives/gradient_bucketer.h"
#include "distributed/world.h"
#include "tests/collectives/test_values.h"

namespace deeper {
namespace {

using deeper::testing::RankGrad;
using deeper::testing::RankValues;
using deeper::testing::SumOfRankValues;

class NcclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HasNcclBackend() || !at::hasCUDA() || !World::Get().uses_mpi()) {
      GTEST_SKIP() << "needs DEEPER_WITH_NCCL, a GPU and mpirun";
    }
    // One GPU per rank of this node, named explicitly so the test knows where its tensors go.
    const char* local_rank = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
    device_ = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(local_rank ? std::atoi(local_rank) : 0));
    comm_ = MakeCommunicator(device_);
  }
  at::Tensor OnDevice(const at::Tensor& t) const { return t.to(device_); }

  std::unique_ptr<Communicator> comm_;
  c10::Device device_{c10::kCUDA, 0};
};

TEST_F(NcclTest, IsTheNcclBackend) {
  EXPECT_EQ(comm_->name(), "nccl");
  EXPECT_EQ(comm_->rank(), World::Get().rank());
  EXPECT_EQ(comm_->size(), World::Get().size());
  comm_->Barrier();
}

TEST_F(NcclTest, SumsMeansAndBroadcastsEveryDtype) {
  for (at::ScalarType dtype : {at::kFloat, at::kDouble, at::kBFloat16, at::kHalf, at::kInt, at::kLong}) {
    at::Tensor sum = OnDevice(RankValues(comm_->rank(), dtype));
    comm_->AllReduceSum(sum);
    EXPECT_TRUE(at::equal(sum.cpu(), SumOfRankValues(comm_->size(), dtype))) << c10::toString(dtype);
    at::Tensor root = OnDevice(RankValues(comm_->rank(), dtype)).t();  // non-contiguous
    comm_->Broadcast(root, 0);
    EXPECT_TRUE(at::equal(root.cpu(), RankValues(0, dtype).t())) << c10::toString(dtype);
    if (!at::isFloatingType(dtype)) continue;
    at::Tensor mean = OnDevice(RankValues(comm_->rank(), dtype));
    comm_->AllReduceMean(mean);
    const at::Tensor expected = (SumOfRankValues(comm_->size(), at::kDouble) / comm_->size()).to(dtype);
    EXPECT_TRUE(at::allclose(mean.cpu().to(at::kDouble), expected.to(at::kDouble), 1e-2, 1e-3))
        << c10::toString(dtype);
  }
}

TEST_F(NcclTest, RefusesCpuTensors) {
  at::Tensor cpu = at::ones({4});
  try {
    comm_->AllReduceSum(cpu);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nccl AllReduceSum on rank"), std::string::npos) << e.what();
  }
}

TEST_F(NcclTest, BucketerEqualsPerTensorMeans) {
  const std::vector<std::pair<std::vector<int64_t>, at::ScalarType>> specs = {
      {{64, 32}, at::kFloat}, {{16, 8}, at::kBFloat16}, {{100}, at::kFloat}, {{200}, at::kHalf}, {{3, 50}, at::kBFloat16}};
  for (int64_t bucket_bytes : {int64_t{1}, int64_t{600}, int64_t{1} << 20}) {
    std::vector<at::Tensor> params;
    std::vector<at::Tensor> expected;
    for (size_t i = 0; i < specs.size(); ++i) {
      at::Tensor p = at::zeros(specs[i].first, at::TensorOptions().dtype(specs[i].second).device(device_));
      p.requires_grad_(true);
      if (i != 2 || comm_->rank() == 0) {  // param 2 has a grad on rank 0 only
        p.mutable_grad() = OnDevice(RankGrad(comm_->rank(), static_cast<int>(i), specs[i].first, specs[i].second));
      }
      at::Tensor e = p.grad().defined() ? p.grad().clone() : at::zeros_like(p);
      comm_->AllReduceMean(e);
      params.push_back(p);
      expected.push_back(e);
    }
    GradientBucketer bucketer(*comm_, params, bucket_bytes);
    bucketer.AllReduceMeanGradients();
    for (size_t i = 0; i < params.size(); ++i) {
      EXPECT_TRUE(at::equal(params[i].grad().cpu(), expected[i].cpu())) << "param " << i << ", bucket " << bucket_bytes;
    }
  }
}

}  // namespace
}  // namespace deeper

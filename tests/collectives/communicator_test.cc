#include "distributed/collectives/communicator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "distributed/collectives/local_communicator.h"
#include "distributed/collectives/mpi_check.h"
#include "distributed/collectives/mpi_communicator.h"
#include "distributed/world.h"
#include "tests/collectives/test_values.h"

namespace deeper {
namespace {

using deeper::testing::RankValues;
using deeper::testing::SumOfRankValues;

bool UnderMpi() { return World::Get().uses_mpi(); }

std::string ErrorOf(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class DtypeTest : public ::testing::TestWithParam<at::ScalarType> {
 protected:
  std::unique_ptr<Communicator> comm_ = MakeCommunicator(at::kCPU);
  at::ScalarType dtype() const { return GetParam(); }
};

using ReduceTest = DtypeTest;
using MeanTest = DtypeTest;
using BroadcastTest = DtypeTest;

TEST_P(ReduceTest, SumsOverRanks) {
  at::Tensor t = RankValues(comm_->rank(), dtype());
  comm_->AllReduceSum(t);
  EXPECT_EQ(t.scalar_type(), dtype());
  EXPECT_TRUE(at::equal(t, SumOfRankValues(comm_->size(), dtype()))) << t;
}

TEST_P(ReduceTest, SumsANonContiguousTensorInPlace) {
  at::Tensor base = RankValues(comm_->rank(), dtype());
  at::Tensor view = base.t();
  ASSERT_FALSE(view.is_contiguous());
  comm_->AllReduceSum(view);
  EXPECT_TRUE(at::equal(base, SumOfRankValues(comm_->size(), dtype())));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ReduceTest,
                         ::testing::Values(at::kFloat, at::kDouble, at::kBFloat16, at::kHalf, at::kInt, at::kLong));

TEST_P(MeanTest, AveragesOverRanks) {
  at::Tensor t = RankValues(comm_->rank(), dtype());
  comm_->AllReduceMean(t);
  const at::Tensor expected = (SumOfRankValues(comm_->size(), at::kDouble) / comm_->size()).to(dtype());
  EXPECT_EQ(t.scalar_type(), dtype());
  EXPECT_TRUE(at::equal(t, expected)) << t;
}

INSTANTIATE_TEST_SUITE_P(Dtypes, MeanTest, ::testing::Values(at::kFloat, at::kDouble, at::kBFloat16, at::kHalf));

TEST_P(BroadcastTest, CopiesTheRootsTensorFromEveryRoot) {
  for (int root = 0; root < comm_->size(); ++root) {
    at::Tensor t = RankValues(comm_->rank(), dtype());
    comm_->Broadcast(t, root);
    EXPECT_TRUE(at::equal(t, RankValues(root, dtype()))) << "root " << root;
  }
}

TEST_P(BroadcastTest, FillsANonContiguousTensor) {
  at::Tensor base = RankValues(comm_->rank(), dtype());
  at::Tensor view = base.t();
  comm_->Broadcast(view, 0);
  EXPECT_TRUE(at::equal(base, RankValues(0, dtype())));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, BroadcastTest,
                         ::testing::Values(at::kFloat, at::kDouble, at::kBFloat16, at::kHalf, at::kInt, at::kLong,
                                           at::kByte, at::kBool));

TEST(Communicator, MatchesTheWorld) {
  auto comm = MakeCommunicator(at::kCPU);
  EXPECT_EQ(comm->rank(), World::Get().rank());
  EXPECT_EQ(comm->size(), World::Get().size());
  EXPECT_EQ(comm->name(), UnderMpi() ? "mpi" : "local");
  comm->Barrier();
}

TEST(Communicator, RefusesBadArgumentsNamingTheOperation) {
  auto comm = MakeCommunicator(at::kCPU);
  at::Tensor undefined;
  EXPECT_NE(ErrorOf([&] { comm->AllReduceSum(undefined); }).find("AllReduceSum"), std::string::npos);
  at::Tensor flags = at::ones({4}, at::kBool);
  EXPECT_NE(ErrorOf([&] { comm->AllReduceSum(flags); }).find("Bool is not supported"), std::string::npos);
  at::Tensor ints = at::ones({4}, at::kLong);
  EXPECT_NE(ErrorOf([&] { comm->AllReduceMean(ints); }).find("floating-point"), std::string::npos);
  at::Tensor t = at::ones({4});
  EXPECT_NE(ErrorOf([&] { comm->Broadcast(t, comm->size()); }).find("root"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { comm->Broadcast(t, -1); }).find("root"), std::string::npos);
}

TEST(Communicator, CudaNeedsTheNcclBackend) {
  if (!UnderMpi() || HasNcclBackend()) GTEST_SKIP() << "only a multi-rank CPU-only build refuses CUDA";
  const std::string error = ErrorOf([] { MakeCommunicator(c10::Device(c10::kCUDA, 0)); });
  EXPECT_NE(error.find("DEEPER_WITH_NCCL=OFF"), std::string::npos) << error;
}

// MPI counts are ints: the same code path that splits > INT_MAX elements, with a tiny limit.
TEST(MpiCommunicator, ChunksLargeTensors) {
  if (!UnderMpi()) GTEST_SKIP() << "needs mpirun";
  MpiCommunicator comm(MpiCommunicator::Options{/*max_count_per_call=*/7});
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16, at::kLong}) {
    at::Tensor t = at::arange(100, at::kDouble).mul(comm.rank() + 1).to(dtype);
    comm.AllReduceSum(t);
    EXPECT_TRUE(at::equal(t, at::arange(100, at::kDouble).mul(comm.size() * (comm.size() + 1) / 2).to(dtype)));
  }
  at::Tensor d = at::arange(100, at::kDouble).add(comm.rank());  // 800 bytes in 7-byte pieces
  comm.Broadcast(d, comm.size() - 1);
  EXPECT_TRUE(at::equal(d, at::arange(100, at::kDouble).add(comm.size() - 1)));
}

// A real tensor of more than INT_MAX elements: 2 GiB per rank, so only on request.
TEST(MpiCommunicator, BroadcastsMoreThanIntMaxElements) {
  if (!UnderMpi() || std::getenv("DEEPER_BIG_COLLECTIVE_TESTS") == nullptr) {
    GTEST_SKIP() << "set DEEPER_BIG_COLLECTIVE_TESTS=1 and run under mpirun";
  }
  auto comm = MakeCommunicator(at::kCPU);
  const int64_t n = static_cast<int64_t>(INT_MAX) + 1000;
  at::Tensor t = comm->rank() == 0 ? at::ones({n}, at::kByte) : at::zeros({n}, at::kByte);
  if (comm->rank() == 0) t[n - 1] = 7;
  comm->Broadcast(t, 0);
  EXPECT_EQ(t[0].item<uint8_t>(), 1);
  EXPECT_EQ(t[INT_MAX].item<uint8_t>(), 1);
  EXPECT_EQ(t[n - 1].item<uint8_t>(), 7);
  const at::Tensor head = t.narrow(0, 0, n - 1);  // min/max: no second 2 GiB tensor
  EXPECT_EQ(head.min().item<uint8_t>(), 1);
  EXPECT_EQ(head.max().item<uint8_t>(), 1);
}

TEST(MpiCheck, ReportsTheOperationTheRankAndMpisMessage) {
  if (!UnderMpi()) GTEST_SKIP() << "needs mpirun";
  int value = 0;
  // Every rank passes the same invalid root, so every rank gets the error code (no one blocks).
  const int code = MPI_Bcast(&value, 1, MPI_INT, 1 << 20, MPI_COMM_WORLD);
  const std::string error = ErrorOf([&] { CheckMpi(code, "MPI_Bcast", World::Get().rank()); });
  EXPECT_NE(error.find("MPI_Bcast failed on rank " + std::to_string(World::Get().rank())), std::string::npos);
  EXPECT_NE(error.find("MPI_ERR_ROOT"), std::string::npos) << error;
}

TEST(LocalCommunicator, IsTheIdentityForOneRank) {
  LocalCommunicator comm;
  EXPECT_EQ(comm.rank(), 0);
  EXPECT_EQ(comm.size(), 1);
  at::Tensor t = RankValues(0, at::kBFloat16);
  comm.AllReduceSum(t);
  comm.AllReduceMean(t);
  comm.Broadcast(t, 0);
  comm.Barrier();
  EXPECT_TRUE(at::equal(t, RankValues(0, at::kBFloat16)));
  EXPECT_NE(ErrorOf([&] { comm.Broadcast(t, 1); }).find("root 1"), std::string::npos);
}

}  // namespace
}  // namespace deeper

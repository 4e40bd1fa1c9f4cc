#include "distributed/collectives/local_communicator.h"

#include "common/error.h"

namespace deeper {

void LocalCommunicator::Broadcast(at::Tensor& t, int root) {
  DEEPER_REQUIRE(t.defined(), "local Broadcast: undefined tensor");
  DEEPER_REQUIRE(root == 0, "local Broadcast: root ", root, " is not a rank of a one-rank job");
}

void LocalCommunicator::AllReduceSum(at::Tensor& t) {
  DEEPER_REQUIRE(t.defined(), "local AllReduceSum: undefined tensor");
  // The dtypes MPI and NCCL refuse are refused here too, so a one-rank run finds the bug.
  DEEPER_REQUIRE(IsReducibleDtype(t.scalar_type()), "local AllReduceSum: dtype ", c10::toString(t.scalar_type()),
                 " is not supported (float, double, bfloat16, half, int, long)");
}

void LocalCommunicator::AllReduceMean(at::Tensor& t) {
  DEEPER_REQUIRE(t.defined() && at::isFloatingType(t.scalar_type()),
                 "local AllReduceMean: needs a floating-point tensor");
}

}  // namespace deeper

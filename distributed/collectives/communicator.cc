#include "distributed/collectives/communicator.h"

#include <ATen/ops/zeros.h>
#include <c10/core/GradMode.h>

#include "common/error.h"
#include "distributed/collectives/local_communicator.h"
#include "distributed/collectives/mpi_communicator.h"
#include "distributed/collectives/nccl_communicator.h"
#include "distributed/world.h"

namespace deeper {

void Communicator::AllReduceMean(at::Tensor& t) {
  DEEPER_REQUIRE(t.defined() && at::isFloatingType(t.scalar_type()), name(), " AllReduceMean on rank ", rank(),
                 ": needs a floating-point tensor, got ", t.defined() ? c10::toString(t.scalar_type()) : "undefined");
  AllReduceSum(t);
  c10::NoGradGuard no_grad;  // parameters and grads are leaves: in-place arithmetic must not be recorded
  t.div_(size());
}

bool IsReducibleDtype(at::ScalarType type) {
  switch (type) {
    case at::kFloat: case at::kDouble: case at::kBFloat16: case at::kHalf: case at::kInt: case at::kLong:
      return true;
    default:
      return false;
  }
}

bool HasNcclBackend() {
#ifdef DEEPER_WITH_NCCL
  return true;
#else
  return false;
#endif
}

std::unique_ptr<Communicator> MakeCommunicator(c10::Device device) {
  const World& world = World::Get();
  // Without this check each rank of an mpirun job would silently train alone on its own data.
  DEEPER_REQUIRE(world.uses_mpi() || !LaunchedByMpi(),
                 "MakeCommunicator: launched by an MPI launcher but World::Init was not called");
  if (!world.uses_mpi()) return std::make_unique<LocalCommunicator>();
  if (device.is_cpu()) return std::make_unique<MpiCommunicator>();
  if (device.is_cuda()) {
#ifdef DEEPER_WITH_NCCL
    return MakeNcclCommunicator(device);
#else
    Fail("MakeCommunicator on rank ", world.rank(), ": ", device.str(),
         " tensors need the NCCL backend, but this build has DEEPER_WITH_NCCL=OFF");
#endif
  }
  Fail("MakeCommunicator on rank ", world.rank(), ": no communicator for ", device.str(),
       " tensors (supported: cpu via MPI, cuda via NCCL)");
}

at::Tensor AssembleRows(Communicator& comm, const at::Tensor& mine, int64_t first_row, int64_t total_rows) {
  DEEPER_REQUIRE(mine.defined() && mine.dim() >= 1, "AssembleRows on rank ", comm.rank(), ": needs a tensor of rows");
  DEEPER_REQUIRE(first_row >= 0 && first_row + mine.size(0) <= total_rows, "AssembleRows on rank ", comm.rank(),
                 ": rows [", first_row, ", ", first_row + mine.size(0), ") are outside [0, ", total_rows, ")");
  std::vector<int64_t> shape = mine.sizes().vec();
  shape[0] = total_rows;
  at::Tensor all = at::zeros(shape, mine.options());
  if (mine.size(0) > 0) all.narrow(0, first_row, mine.size(0)).copy_(mine);
  comm.AllReduceSum(all);
  return all;
}

}  // namespace deeper

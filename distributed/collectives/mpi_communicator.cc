#include "distributed/collectives/mpi_communicator.h"

#include <c10/core/GradMode.h>

#include "common/error.h"
#include "distributed/collectives/chunks.h"
#include "distributed/collectives/mpi_check.h"
#include "distributed/world.h"

namespace deeper {
namespace {

// MPI's type for the dtypes it sums natively; MPI_DATATYPE_NULL for the others.
MPI_Datatype NativeType(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return MPI_FLOAT;
    case at::kDouble: return MPI_DOUBLE;
    case at::kInt: return MPI_INT32_T;
    case at::kLong: return MPI_INT64_T;
    default: return MPI_DATATYPE_NULL;
  }
}

// MPI has no 16-bit float types: those are summed in fp32 (which also rounds once instead of once per
// rank, at the cost of converting twice and sending twice the bytes).
bool ReducedInFloat(at::ScalarType type) { return type == at::kHalf || type == at::kBFloat16; }

}  // namespace

MpiCommunicator::MpiCommunicator(Options options) : options_(options) {
  const int world_rank = World::Get().rank();
  DEEPER_REQUIRE(World::Get().uses_mpi(), "MpiCommunicator: MPI is not initialised (call World::Init under mpirun)");
  DEEPER_REQUIRE(options.max_count_per_call > 0 && options.max_count_per_call <= INT_MAX,
                 "MpiCommunicator: max_count_per_call ", options.max_count_per_call, " outside [1, INT_MAX]");
  // A private communicator: these collectives can never be matched with ones other code issues on
  // MPI_COMM_WORLD.
  CheckMpi(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup", world_rank);
  CheckMpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler", world_rank);
  CheckMpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank", world_rank);
  CheckMpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size", world_rank);
}

MpiCommunicator::~MpiCommunicator() {
  // Nothing may be thrown here, and MPI may already be finalised at the end of main.
  if (comm_ != MPI_COMM_NULL && !MpiFinalized()) MPI_Comm_free(&comm_);
}

void MpiCommunicator::RequireCpuTensor(const at::Tensor& t, const char* operation) const {
  DEEPER_REQUIRE(t.defined(), "mpi ", operation, " on rank ", rank_, ": undefined tensor");
  DEEPER_REQUIRE(t.device().is_cpu() && t.layout() == at::kStrided, "mpi ", operation, " on rank ", rank_,
                 ": needs a dense CPU tensor, got one on ", t.device().str(),
                 " (make the communicator with MakeCommunicator(that device))");
}

void MpiCommunicator::AllReduceSum(at::Tensor& t) { Reduce(t, /*mean=*/false, "AllReduceSum"); }

void MpiCommunicator::AllReduceMean(at::Tensor& t) { Reduce(t, /*mean=*/true, "AllReduceMean"); }

void MpiCommunicator::Reduce(at::Tensor& t, bool mean, const char* operation) {
  RequireCpuTensor(t, operation);
  const at::ScalarType type = t.scalar_type();
  const bool via_float = ReducedInFloat(type);
  DEEPER_REQUIRE(IsReducibleDtype(type), "mpi ", operation, " on rank ", rank_,
                 ": dtype ", c10::toString(type), " is not supported (float, double, bfloat16, half, int, long)");
  DEEPER_REQUIRE(!mean || at::isFloatingType(type), "mpi ", operation, " on rank ", rank_,
                 ": needs a floating-point tensor, got ", c10::toString(type));
  c10::NoGradGuard no_grad;  // parameters and grads are leaves: in-place writes must not be recorded
  at::Tensor buffer = via_float ? t.to(at::kFloat, /*non_blocking=*/false, /*copy=*/false, at::MemoryFormat::Contiguous)
                                : t.contiguous();
  AllReduceBuffer(buffer.data_ptr(), buffer.numel(), NativeType(buffer.scalar_type()),
                  static_cast<int64_t>(buffer.element_size()));
  if (mean) buffer.div_(size_);
  if (!buffer.is_same(t)) t.copy_(buffer);
}

void MpiCommunicator::AllReduceBuffer(void* data, int64_t count, MPI_Datatype type, int64_t element_bytes) {
  char* bytes = static_cast<char*>(data);
  ForEachChunk(count, options_.max_count_per_call, [&](int64_t offset, int n) {
    CheckMpi(MPI_Allreduce(MPI_IN_PLACE, bytes + offset * element_bytes, n, type, MPI_SUM, comm_),
             "MPI_Allreduce", rank_);
  });
}

void MpiCommunicator::Broadcast(at::Tensor& t, int root) {
  RequireCpuTensor(t, "Broadcast");
  DEEPER_REQUIRE(root >= 0 && root < size_, "mpi Broadcast on rank ", rank_, ": root ", root,
                 " is not a rank of this ", size_, "-rank job");
  RequireSameAsRoot(t, root);
  c10::NoGradGuard no_grad;
  at::Tensor buffer = t.contiguous();
  BroadcastBytes(buffer.data_ptr(), buffer.numel() * static_cast<int64_t>(buffer.element_size()), root);
  if (!buffer.is_same(t)) t.copy_(buffer);
}

// Broadcast copies bytes: a rank whose tensor has another size or dtype would otherwise read past its
// buffer or get garbage. One tiny broadcast per call is cheap next to the payload.
void MpiCommunicator::RequireSameAsRoot(const at::Tensor& t, int root) {
  const int64_t mine[2] = {t.numel(), static_cast<int64_t>(t.scalar_type())};
  int64_t roots[2] = {mine[0], mine[1]};
  CheckMpi(MPI_Bcast(roots, 2, MPI_INT64_T, root, comm_), "MPI_Bcast", rank_);
  DEEPER_REQUIRE(roots[0] == mine[0] && roots[1] == mine[1], "mpi Broadcast on rank ", rank_, ": root ", root,
                 " sends ", roots[0], " elements of ", c10::toString(static_cast<at::ScalarType>(roots[1])),
                 " but this rank's tensor has ", mine[0], " elements of ", c10::toString(t.scalar_type()));
}

void MpiCommunicator::BroadcastBytes(void* data, int64_t bytes, int root) {
  char* base = static_cast<char*>(data);
  ForEachChunk(bytes, options_.max_count_per_call, [&](int64_t offset, int n) {
    CheckMpi(MPI_Bcast(base + offset, n, MPI_BYTE, root, comm_), "MPI_Bcast", rank_);
  });
}

void MpiCommunicator::Barrier() { CheckMpi(MPI_Barrier(comm_), "MPI_Barrier", rank_); }

}  // namespace deeper

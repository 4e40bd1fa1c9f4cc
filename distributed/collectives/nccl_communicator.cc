// Compiled only with DEEPER_WITH_NCCL (a CUDA libtorch and nccl.h).
#include "distributed/collectives/nccl_communicator.h"

#include <c10/core/GradMode.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <mpi.h>
#include <nccl.h>

#include <cstring>
#include <string>

#include "common/error.h"
#include "distributed/collectives/mpi_check.h"

namespace deeper {
namespace {

void CheckNccl(ncclResult_t code, const char* operation, int rank) {
  if (code == ncclSuccess) return;
  std::string detail;
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 13, 0)
  // The last error's text says which peer or transport failed; the code alone rarely does.
  const char* last = ncclGetLastError(nullptr);
  if (last != nullptr && last[0] != '\0') detail = std::string(" (") + last + ")";
#endif
  Fail(operation, " failed on rank ", rank, ": ", ncclGetErrorString(code), detail);
}

bool NcclType(at::ScalarType type, ncclDataType_t* out) {
  switch (type) {
    case at::kFloat: *out = ncclFloat32; return true;
    case at::kDouble: *out = ncclFloat64; return true;
    case at::kHalf: *out = ncclFloat16; return true;
    case at::kBFloat16: *out = ncclBfloat16; return true;
    case at::kInt: *out = ncclInt32; return true;
    case at::kLong: *out = ncclInt64; return true;
    default: return false;
  }
}

// The rank's index among the ranks sharing its node: its GPU when one GPU serves each rank.
int LocalRank(MPI_Comm comm, int rank) {
  MPI_Comm node = MPI_COMM_NULL;
  CheckMpi(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node), "MPI_Comm_split_type", rank);
  int local = 0;
  const int code = MPI_Comm_rank(node, &local);
  MPI_Comm_free(&node);
  CheckMpi(code, "MPI_Comm_rank (node)", rank);
  return local;
}

class NcclCommunicator : public Communicator {
 public:
  explicit NcclCommunicator(c10::Device device);
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void Broadcast(at::Tensor& t, int root) override;
  void AllReduceSum(at::Tensor& t) override { Reduce(t, ncclSum, "AllReduceSum"); }
  void AllReduceMean(at::Tensor& t) override;
  void Barrier() override;
  std::string name() const override { return "nccl"; }

 private:
  void Reduce(at::Tensor& t, ncclRedOp_t op, const char* operation);
  void RequireDeviceTensor(const at::Tensor& t, const char* operation) const;
  cudaStream_t CurrentStream() const { return c10::cuda::getCurrentCUDAStream(device_.index()).stream(); }

  MPI_Comm mpi_comm_ = MPI_COMM_NULL;  // bootstrap, argument checks and Barrier
  ncclComm_t comm_ = nullptr;
  int rank_ = 0;
  int size_ = 1;
  c10::Device device_{c10::kCUDA, 0};
};

NcclCommunicator::NcclCommunicator(c10::Device device) {
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  CheckMpi(MPI_Comm_dup(MPI_COMM_WORLD, &mpi_comm_), "MPI_Comm_dup", world_rank);
  CheckMpi(MPI_Comm_set_errhandler(mpi_comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler", world_rank);
  CheckMpi(MPI_Comm_rank(mpi_comm_, &rank_), "MPI_Comm_rank", world_rank);
  CheckMpi(MPI_Comm_size(mpi_comm_, &size_), "MPI_Comm_size", world_rank);

  const int index = device.has_index() ? device.index() : LocalRank(mpi_comm_, rank_);
  const int visible = static_cast<int>(c10::cuda::device_count());
  DEEPER_REQUIRE(index < visible, "nccl on rank ", rank_, ": needs GPU ", index, " but ", visible,
                 " are visible (one GPU per rank: start at most that many ranks per node)");
  device_ = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
  c10::cuda::CUDAGuard guard(device_);

  ncclUniqueId id;
  std::memset(&id, 0, sizeof(id));
  if (rank_ == 0) CheckNccl(ncclGetUniqueId(&id), "ncclGetUniqueId", rank_);
  CheckMpi(MPI_Bcast(&id, static_cast<int>(sizeof(id)), MPI_BYTE, 0, mpi_comm_), "MPI_Bcast (NCCL unique id)", rank_);
  CheckNccl(ncclCommInitRank(&comm_, size_, id, rank_), "ncclCommInitRank", rank_);
}

NcclCommunicator::~NcclCommunicator() {
  if (comm_ != nullptr) ncclCommDestroy(comm_);
  if (mpi_comm_ != MPI_COMM_NULL && !MpiFinalized()) MPI_Comm_free(&mpi_comm_);
}

void NcclCommunicator::RequireDeviceTensor(const at::Tensor& t, const char* operation) const {
  DEEPER_REQUIRE(t.defined(), "nccl ", operation, " on rank ", rank_, ": undefined tensor");
  DEEPER_REQUIRE(t.device() == device_ && t.layout() == at::kStrided, "nccl ", operation, " on rank ", rank_,
                 ": needs a dense tensor on ", device_.str(), ", got one on ", t.device().str());
}

void NcclCommunicator::Reduce(at::Tensor& t, ncclRedOp_t op, const char* operation) {
  RequireDeviceTensor(t, operation);
  ncclDataType_t type;
  DEEPER_REQUIRE(NcclType(t.scalar_type(), &type), "nccl ", operation, " on rank ", rank_, ": dtype ",
                 c10::toString(t.scalar_type()), " is not supported (float, double, bfloat16, half, int, long)");
  c10::NoGradGuard no_grad;
  c10::cuda::CUDAGuard guard(device_);
  at::Tensor buffer = t.contiguous();
  // On the current stream: after the kernels that produced the values, before those that read them.
  CheckNccl(ncclAllReduce(buffer.data_ptr(), buffer.data_ptr(), static_cast<size_t>(buffer.numel()), type, op,
                          comm_, CurrentStream()),
            "ncclAllReduce", rank_);
  if (!buffer.is_same(t)) t.copy_(buffer);
}

void NcclCommunicator::AllReduceMean(at::Tensor& t) {
  DEEPER_REQUIRE(t.defined() && at::isFloatingType(t.scalar_type()), "nccl AllReduceMean on rank ", rank_,
                 ": needs a floating-point tensor");
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 10, 0)
  Reduce(t, ncclAvg, "AllReduceMean");  // one pass, scaled inside NCCL
#else
  Communicator::AllReduceMean(t);
#endif
}

void NcclCommunicator::Broadcast(at::Tensor& t, int root) {
  RequireDeviceTensor(t, "Broadcast");
  DEEPER_REQUIRE(root >= 0 && root < size_, "nccl Broadcast on rank ", rank_, ": root ", root,
                 " is not a rank of this ", size_, "-rank job");
  // The same numel/dtype check as the MPI backend, on the host: NCCL would copy past the buffer.
  const int64_t mine[2] = {t.numel(), static_cast<int64_t>(t.scalar_type())};
  int64_t roots[2] = {mine[0], mine[1]};
  CheckMpi(MPI_Bcast(roots, 2, MPI_INT64_T, root, mpi_comm_), "MPI_Bcast", rank_);
  DEEPER_REQUIRE(roots[0] == mine[0] && roots[1] == mine[1], "nccl Broadcast on rank ", rank_, ": root ", root,
                 " sends ", roots[0], " elements of ", c10::toString(static_cast<at::ScalarType>(roots[1])),
                 " but this rank's tensor has ", mine[0], " elements of ", c10::toString(t.scalar_type()));
  c10::NoGradGuard no_grad;
  c10::cuda::CUDAGuard guard(device_);
  at::Tensor buffer = t.contiguous();
  const size_t bytes = static_cast<size_t>(buffer.numel()) * buffer.element_size();
  CheckNccl(ncclBroadcast(buffer.data_ptr(), buffer.data_ptr(), bytes, ncclUint8, root, comm_, CurrentStream()),
            "ncclBroadcast", rank_);
  if (!buffer.is_same(t)) t.copy_(buffer);
}

void NcclCommunicator::Barrier() {
  // Everything queued on this rank has finished, then every rank has got here.
  c10::cuda::getCurrentCUDAStream(device_.index()).synchronize();
  ncclResult_t async_error = ncclSuccess;
  CheckNccl(ncclCommGetAsyncError(comm_, &async_error), "ncclCommGetAsyncError", rank_);
  CheckNccl(async_error, "NCCL (asynchronous error)", rank_);
  CheckMpi(MPI_Barrier(mpi_comm_), "MPI_Barrier", rank_);
}

}  // namespace

std::unique_ptr<Communicator> MakeNcclCommunicator(c10::Device device) {
  return std::make_unique<NcclCommunicator>(device);
}

}  // namespace deeper

// Collective operations on tensors across the ranks of a job: the one interface the trainer uses,
// whatever moves the bytes (MPI for CPU tensors, NCCL for CUDA tensors, nothing for one rank).
//
// Every rank must call the same operations in the same order with tensors of the same size and dtype.
// A failed call throws deeper::Error naming the operation, the rank and the library's message; run the
// rank's work inside RunOrAbortJob (job_guard.h) so that such an error ends the whole job instead of
// leaving the other ranks blocked in their next collective.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <string>

namespace deeper {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Copies rank `root`'s tensor into every rank's tensor (same numel and dtype everywhere), in place.
  virtual void Broadcast(at::Tensor& t, int root) = 0;
  // Replaces every rank's tensor by the element-wise sum over ranks, in place.
  virtual void AllReduceSum(at::Tensor& t) = 0;
  // AllReduceSum divided by size(); floating-point dtypes only. Backends override it when they can
  // average with one rounding (fp32 staging for bf16/f16 on MPI, ncclAvg on NCCL).
  virtual void AllReduceMean(at::Tensor& t);
  // Returns once every rank has reached it (and, on GPUs, once its queued collectives have finished).
  virtual void Barrier() = 0;
  // "mpi", "nccl" or "local", for logs and benchmark tables.
  virtual std::string name() const = 0;
};

// The communicator for tensors on `device` over every rank of World::Get():
// - not launched by an MPI launcher: a one-rank communicator whose operations only check their arguments;
// - CPU: MPI (a duplicate of MPI_COMM_WORLD, errors returned as codes);
// - CUDA: NCCL when built with DEEPER_WITH_NCCL (unique id from rank 0 broadcast over MPI, one GPU per
//   rank: the device's index if it has one, else the rank's index on its node).
// Under an MPI launcher World::Init must have been called first.
std::unique_ptr<Communicator> MakeCommunicator(c10::Device device);

// Every rank holds rows [first_row, first_row + mine.size(0)) of a [total_rows, ...] tensor; returns the
// whole tensor on every rank. Exact: each element is a sum in which all terms but one are zeros. Meant
// for small tensors (it all-reduces the whole). `mine` may have zero rows.
at::Tensor AssembleRows(Communicator& comm, const at::Tensor& mine, int64_t first_row, int64_t total_rows);

// Whether AllReduceSum supports the dtype on every backend: float, double, bfloat16, half, int, long.
bool IsReducibleDtype(at::ScalarType type);

// Whether this build can make a communicator for CUDA tensors across ranks.
bool HasNcclBackend();

}  // namespace deeper

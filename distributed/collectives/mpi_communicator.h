// Collectives on CPU tensors over MPI. Works on a private duplicate of MPI_COMM_WORLD whose errors are
// returned as codes, so each failure is reported with the rank (see mpi_check.h).
#pragma once

#include <mpi.h>

#include <climits>
#include <cstdint>

#include "distributed/collectives/communicator.h"

namespace deeper {

class MpiCommunicator : public Communicator {
 public:
  struct Options {
    // Most elements (bytes for Broadcast) per MPI call: MPI counts are ints, so larger tensors are sent in
    // pieces. Tests lower it to exercise the chunking without allocating gigabytes.
    int64_t max_count_per_call = INT_MAX;
  };

  // Collective: every rank of MPI_COMM_WORLD must construct one. Needs World::Init under MPI.
  MpiCommunicator() : MpiCommunicator(Options{}) {}
  explicit MpiCommunicator(Options options);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  // Any dtype (the bytes are copied); the root's numel and dtype are checked against every rank's.
  void Broadcast(at::Tensor& t, int root) override;
  // float, double, int32, int64 natively; bfloat16 and half are summed in fp32 and rounded once.
  void AllReduceSum(at::Tensor& t) override;
  void AllReduceMean(at::Tensor& t) override;
  void Barrier() override;
  std::string name() const override { return "mpi"; }

 private:
  void Reduce(at::Tensor& t, bool mean, const char* operation);
  void AllReduceBuffer(void* data, int64_t count, MPI_Datatype type, int64_t element_bytes);
  void BroadcastBytes(void* data, int64_t bytes, int root);
  void RequireSameAsRoot(const at::Tensor& t, int root);
  void RequireCpuTensor(const at::Tensor& t, const char* operation) const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  Options options_;
};

}  // namespace deeper

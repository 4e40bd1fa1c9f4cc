// The communicator of a one-rank job (no MPI launcher): every collective is the identity, but the
// arguments are checked like the real backends do, so a bug shows up on a laptop too.
#pragma once

#include "distributed/collectives/communicator.h"

namespace deeper {

class LocalCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void Broadcast(at::Tensor& t, int root) override;
  void AllReduceSum(at::Tensor& t) override;
  void AllReduceMean(at::Tensor& t) override;
  void Barrier() override {}
  std::string name() const override { return "local"; }
};

}  // namespace deeper

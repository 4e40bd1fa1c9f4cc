// Collectives on CUDA tensors over NCCL, one GPU per rank. Only built with DEEPER_WITH_NCCL; this header
// keeps NCCL and CUDA out of every unit that merely makes a communicator.
#pragma once

#include <memory>

#include "distributed/collectives/communicator.h"

namespace deeper {

// Collective over MPI_COMM_WORLD (World::Init first): rank 0 makes the NCCL unique id, MPI broadcasts
// its bytes, every rank joins with ncclCommInitRank on its GPU (device.index() if given, else the rank's
// index among the ranks of its node). Operations run on the current CUDA stream of that GPU.
// Defined only when DEEPER_WITH_NCCL is set.
std::unique_ptr<Communicator> MakeNcclCommunicator(c10::Device device);

}  // namespace deeper

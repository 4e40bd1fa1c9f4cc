// A job whose last rank fails at step 3 of 10 in the way named by argv[1], while the other ranks wait
// for it in an all-reduce. failure_test.cc runs it under mpirun and checks that the job ends promptly
// and non-zero. Modes: none, throw, exit, exit0, kill, uncaught, mismatch.
#include <ATen/ops/ones.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "distributed/collectives/communicator.h"
#include "distributed/collectives/job_guard.h"
#include "distributed/world.h"

namespace {

void FailAsAsked(const std::string& mode, deeper::Communicator& comm) {
  if (mode == "throw" || mode == "uncaught") deeper::Fail("injected failure at step 3");
  if (mode == "exit") std::exit(3);   // without MPI_Finalize
  if (mode == "exit0") std::exit(0);  // "success" in the middle of the job, still without MPI_Finalize
  if (mode == "kill") std::raise(SIGKILL);
  if (mode == "mismatch") {
    at::Tensor wrong = at::ones({9});  // the root broadcasts 8 elements
    comm.Broadcast(wrong, 0);
  }
}

int RunSteps(const std::string& mode) {
  auto comm = deeper::MakeCommunicator(at::kCPU);
  const int failing_rank = comm->size() - 1;
  at::Tensor t = at::ones({1024});
  for (int step = 0; step < 10; ++step) {
    if (step == 3 && comm->rank() == failing_rank) FailAsAsked(mode, *comm);
    if (step == 3 && mode == "mismatch" && comm->rank() != failing_rank) {
      at::Tensor right = at::ones({8});
      comm->Broadcast(right, 0);
    }
    comm->AllReduceSum(t);
  }
  std::printf("rank %d finished\n", comm->rank());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  deeper::World& world = deeper::World::Init(&argc, &argv);
  const std::string mode = argc > 1 ? argv[1] : "none";
  // "uncaught" shows what happens without the guard: std::terminate, then the launcher's own cleanup.
  const int rc = mode == "uncaught" ? RunSteps(mode) : deeper::RunOrAbortJob([&] { return RunSteps(mode); });
  world.Finalize();
  return rc;
}

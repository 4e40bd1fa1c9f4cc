#include "distributed/collectives/job_guard.h"

#include <cstdio>
#include <exception>

#include "distributed/world.h"

namespace deeper {

void AbortJob(const std::string& message) {
  const World& world = World::Get();
  std::fprintf(stderr, "deeper: rank %d of %d failed: %s\n", world.rank(), world.size(), message.c_str());
  std::fflush(stderr);  // MPI_Abort kills the process before stdio buffers are flushed
  world.Abort(1);
}

int RunOrAbortJob(const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    AbortJob(e.what());
  } catch (...) {
    AbortJob("unknown exception");
  }
}

}  // namespace deeper

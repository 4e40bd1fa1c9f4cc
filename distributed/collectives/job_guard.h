// Turning one rank's failure into the end of the whole job. A rank that throws and simply exits would
// leave the others blocked in their next collective; World::Abort (MPI_Abort under mpirun) makes the
// launcher kill every rank, and the job exits non-zero within seconds.
#pragma once

#include <functional>
#include <string>

namespace deeper {

// Runs `body` (the work of main after World::Init) and returns its exit code. An exception escaping it
// is printed as "deeper: rank R of W failed: <message>" and the whole job is aborted with exit code 1.
int RunOrAbortJob(const std::function<int()>& body);

// Prints "deeper: rank R of W failed: <message>" to stderr and aborts the whole job with exit code 1.
[[noreturn]] void AbortJob(const std::string& message);

}  // namespace deeper

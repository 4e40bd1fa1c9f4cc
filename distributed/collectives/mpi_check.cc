#include "distributed/collectives/mpi_check.h"

#include "common/error.h"

namespace deeper {

std::string MpiErrorString(int code) {
  char message[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, message, &length) != MPI_SUCCESS) return "MPI error code " + std::to_string(code);
  return std::string(message, static_cast<size_t>(length));
}

void CheckMpi(int code, const char* operation, int rank) {
  if (code != MPI_SUCCESS) Fail(operation, " failed on rank ", rank, ": ", MpiErrorString(code));
}

bool MpiFinalized() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  return finalized != 0;
}

}  // namespace deeper

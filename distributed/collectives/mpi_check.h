// Checked MPI calls: every MPI function used by the collectives returns its code here (the
// communicators set MPI_ERRORS_RETURN), and a failure becomes a deeper::Error naming the call, the
// rank and MPI's own message.
#pragma once

#include <mpi.h>

#include <string>

namespace deeper {

// MPI's message for an error code, e.g. "MPI_ERR_ROOT: invalid root".
std::string MpiErrorString(int code);

// Throws deeper::Error("<operation> failed on rank <rank>: <MPI message>") unless code is MPI_SUCCESS.
void CheckMpi(int code, const char* operation, int rank);

// True once MPI_Finalize has run (destructors must not call MPI after that).
bool MpiFinalized();

}  // namespace deeper

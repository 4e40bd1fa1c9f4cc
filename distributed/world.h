// The MPI world of a job. Works without mpirun: when no MPI launcher is detected the program is one
// rank and MPI is never initialised, so a laptop run needs nothing but the binary.
#pragma once

#include <string>
#include <vector>

namespace deeper {

class World {
 public:
  // Initialises MPI when launched by mpirun/srun (detected from the launcher's environment).
  static World& Init(int* argc, char*** argv);
  // The world after Init (a one-rank world if Init was never called, e.g. in unit tests).
  static World& Get();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  bool uses_mpi() const { return uses_mpi_; }

  void Barrier() const;
  // Rank 0's string, on every rank.
  std::string BroadcastString(const std::string& value) const;
  // Sum, min and max of a value over ranks.
  long long SumInt(long long value) const;
  long long MinInt(long long value) const;
  long long MaxInt(long long value) const;
  double SumDouble(double value) const;
  // Ends every rank of the job with `code` (MPI_Abort when under MPI, exit otherwise). Used when one
  // rank fails so the others never wait forever at a barrier.
  [[noreturn]] void Abort(int code) const;
  // Finalises MPI (call once at the end of main).
  void Finalize();

 private:
  int rank_ = 0;
  int size_ = 1;
  bool uses_mpi_ = false;
  bool finalized_ = false;
};

// Shards a rank works on: r, r + W, r + 2W, ... below `num_shards`. The output of a stage therefore
// does not depend on the number of ranks.
std::vector<int> ShardsOfRank(int num_shards, int rank, int world_size);

// True when this process was started by an MPI launcher (Open MPI, PMIx/srun, Hydra).
bool LaunchedByMpi();

}  // namespace deeper

#include "distributed/world.h"

#include <mpi.h>

#include <cstdlib>

#include "common/error.h"

namespace deeper {
namespace {

World& Instance() {
  static World world;
  return world;
}

void CheckMpi(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char message[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(rc, message, &length);
    Fail("MPI ", what, " failed: ", std::string(message, static_cast<size_t>(length)));
  }
}

template <typename T>
T Reduce(bool uses_mpi, T value, MPI_Datatype type, MPI_Op op, const char* what) {
  if (!uses_mpi) return value;
  T result{};
  CheckMpi(MPI_Allreduce(&value, &result, 1, type, op, MPI_COMM_WORLD), what);
  return result;
}

}  // namespace

bool LaunchedByMpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

World& World::Init(int* argc, char*** argv) {
  World& world = Instance();
  if (world.uses_mpi_ || !LaunchedByMpi()) return world;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) CheckMpi(MPI_Init(argc, argv), "init");
  // Errors come back as codes so they can be reported with the rank, instead of aborting silently.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  CheckMpi(MPI_Comm_rank(MPI_COMM_WORLD, &world.rank_), "comm rank");
  CheckMpi(MPI_Comm_size(MPI_COMM_WORLD, &world.size_), "comm size");
  world.uses_mpi_ = true;
  return world;
}

World& World::Get() { return Instance(); }

void World::Barrier() const {
  if (uses_mpi_) CheckMpi(MPI_Barrier(MPI_COMM_WORLD), "barrier");
}

std::string World::BroadcastString(const std::string& value) const {
  if (!uses_mpi_) return value;
  long long length = static_cast<long long>(value.size());
  CheckMpi(MPI_Bcast(&length, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD), "broadcast length");
  std::string result = rank_ == 0 ? value : std::string(static_cast<size_t>(length), '\0');
  if (length > 0) {
    CheckMpi(MPI_Bcast(result.data(), static_cast<int>(length), MPI_CHAR, 0, MPI_COMM_WORLD), "broadcast");
  }
  return result;
}

long long World::SumInt(long long value) const {
  return Reduce(uses_mpi_, value, MPI_LONG_LONG, MPI_SUM, "allreduce sum");
}
long long World::MinInt(long long value) const {
  return Reduce(uses_mpi_, value, MPI_LONG_LONG, MPI_MIN, "allreduce min");
}
long long World::MaxInt(long long value) const {
  return Reduce(uses_mpi_, value, MPI_LONG_LONG, MPI_MAX, "allreduce max");
}
double World::SumDouble(double value) const {
  return Reduce(uses_mpi_, value, MPI_DOUBLE, MPI_SUM, "allreduce sum");
}

void World::Abort(int code) const {
  if (uses_mpi_) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

void World::Finalize() {
  if (uses_mpi_ && !finalized_) {
    MPI_Finalize();
    finalized_ = true;
  }
}

std::vector<int> ShardsOfRank(int num_shards, int rank, int world_size) {
  DEEPER_REQUIRE(world_size > 0 && rank >= 0 && rank < world_size, "bad rank ", rank, " of ", world_size);
  std::vector<int> shards;
  for (int s = rank; s < num_shards; s += world_size) shards.push_back(s);
  return shards;
}

}  // namespace deeper

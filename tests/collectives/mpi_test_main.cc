// main() of the collectives tests. Under mpirun every rank runs every test (each test's collectives
// line up across ranks); without mpirun the same tests run as a one-rank job.
#include <gtest/gtest.h>

#include <cstdio>

#include "distributed/world.h"

namespace {

// Rank 0 prints the usual report; the other ranks print only their failures, prefixed with the rank,
// so the output stays readable.
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: %s\n", rank_, result.file_name() ? result.file_name() : "?",
                 result.line_number(), result.summary());
  }

 private:
  int rank_;
};

}  // namespace

int main(int argc, char** argv) {
  deeper::World& world = deeper::World::Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  if (world.rank() != 0) {
    ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(world.rank()));
  }
  const int result = RUN_ALL_TESTS();
  // The job fails when any rank failed, whichever rank's exit code mpirun reports.
  const long long failed_ranks = world.SumInt(result != 0 ? 1 : 0);
  world.Finalize();
  return failed_ranks == 0 ? 0 : 1;
}

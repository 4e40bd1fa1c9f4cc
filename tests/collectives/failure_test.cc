// A rank that fails must end the whole job promptly and non-zero, never leave it hanging. Each test
// starts a real two-rank job (failing_rank_main.cc) under mpirun with a deadline. Only our own message
// is checked for the rank: mpirun's help texts ("process rank 1 ... exited on signal 9") usually name it
// too, but under load Open MPI sometimes loses them ("ORTE_ERROR_LOG: Data unpack would read past end of
// buffer in show_help.c").
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "tests/collectives/child_process.h"

namespace deeper {
namespace {

using deeper::testing::ChildResult;
using deeper::testing::RunWithTimeout;

// Generous next to the ~1-3 s such a job takes; a hang hits it.
constexpr double kDeadlineSeconds = 30;

// Open MPI refuses root without these, and the test machines may have fewer cores than ranks.
const std::vector<std::string> kMpiEnv = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
                                          "OMPI_MCA_rmaps_base_oversubscribe=1"};

ChildResult RunJob(const std::string& mode) {
  ChildResult r = RunWithTimeout({DEEPER_MPIEXEC, "-np", "2", "--oversubscribe", DEEPER_FAILING_RANK_BIN, mode},
                                 kMpiEnv, kDeadlineSeconds);
  return r;
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void ExpectPromptFailure(const ChildResult& r) {
  EXPECT_FALSE(r.timed_out) << "the job hung:\n" << r.output;
  EXPECT_LT(r.seconds, kDeadlineSeconds);
  EXPECT_TRUE(r.signal != 0 || r.exit_code != 0) << r.output;
  EXPECT_FALSE(Contains(r.output, "rank 0 finished")) << r.output;
}

TEST(FailingRank, JobWithoutFailureFinishes) {
  const ChildResult r = RunJob("none");
  EXPECT_FALSE(r.timed_out) << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "rank 0 finished") && Contains(r.output, "rank 1 finished")) << r.output;
}

TEST(FailingRank, ThrowingRankAbortsTheJobNamingItself) {
  const ChildResult r = RunJob("throw");
  ExpectPromptFailure(r);
  EXPECT_TRUE(Contains(r.output, "deeper: rank 1 of 2 failed: injected failure at step 3")) << r.output;
}

TEST(FailingRank, MismatchedBroadcastAbortsTheJob) {
  const ChildResult r = RunJob("mismatch");
  ExpectPromptFailure(r);
  EXPECT_TRUE(Contains(r.output, "deeper: rank 1 of 2 failed: mpi Broadcast on rank 1: root 0 sends 8 elements"))
      << r.output;
}

TEST(FailingRank, ExitingRankEndsTheJob) {
  const ChildResult r = RunJob("exit");
  ExpectPromptFailure(r);
}

TEST(FailingRank, RankExitingWithZeroMidwayEndsTheJob) {
  const ChildResult r = RunJob("exit0");
  ExpectPromptFailure(r);
}

TEST(FailingRank, KilledRankEndsTheJob) {
  const ChildResult r = RunJob("kill");
  ExpectPromptFailure(r);
}

TEST(FailingRank, UncaughtExceptionEndsTheJob) {
  const ChildResult r = RunJob("uncaught");
  ExpectPromptFailure(r);
}

// Without mpirun the same program is a one-rank job: it runs, and its failure is reported too.
TEST(OneRank, RunsWithoutMpirun) {
  const ChildResult ok = RunWithTimeout({DEEPER_FAILING_RANK_BIN, "none"}, {}, kDeadlineSeconds);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_TRUE(Contains(ok.output, "rank 0 finished")) << ok.output;
  const ChildResult failed = RunWithTimeout({DEEPER_FAILING_RANK_BIN, "throw"}, {}, kDeadlineSeconds);
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_TRUE(Contains(failed.output, "deeper: rank 0 of 1 failed: injected failure")) << failed.output;
}

// The deadline itself: a job that hangs is killed (with its process group) and reported as timed out.
TEST(RunWithTimeout, KillsAHungProgram) {
  const ChildResult r = RunWithTimeout({"sleep", "60"}, {}, 1.0);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_LT(r.seconds, 10);
}

}  // namespace
}  // namespace deeper

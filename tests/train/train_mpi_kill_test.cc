// Killing one rank of a two-rank training job ends the whole job, non-zero, within seconds: the
// survivor must not wait forever in its next all-reduce. The test itself has a deadline.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "tests/train/subprocess.h"
#include "tests/train/train_fixtures.h"

namespace deeper {
namespace {

namespace fs = std::filesystem;
using namespace train_testing;

TEST(TrainMpiKill, KillingOneRankEndsTheJobPromptly) {
  const std::string dir = MakeTempDir("kill");
  MakeTinyModel(dir + "/model", 4);
  WritePairShard(dir + "/pairs.h5", MarkerPairs(64, 2));
  TrainConfig c = ToyConfig(dir + "/model", dir + "/pairs.h5", dir + "/out");
  c.max_steps = 100000;  // would run for hours
  c.num_train_epochs = 1000;
  c.val_size = 0;
  WriteFileAtomic(dir + "/config.json", TrainConfigToJson(c));

  Subprocess job({DEEPER_MPIEXEC, "-np", "2", "--oversubscribe", TRAIN_WORKER_BIN, dir + "/config.json"}, {},
                 dir + "/job.log");
  const std::string metrics = c.output_dir + "/metrics.jsonl";
  const bool training = WaitFor(120, [&] { return fs::exists(c.output_dir + "/pid.1") && ReadLines(metrics).size() >= 3; });
  ASSERT_TRUE(training) << "the job did not start training; log: " << ReadFile(dir + "/job.log");
  pid_t victim = 0;
  std::ifstream(c.output_dir + "/pid.1") >> victim;
  ASSERT_GT(victim, 0);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  const bool ended = job.Wait(60);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(ended) << "the job still runs 60 s after one rank was killed";
  EXPECT_NE(job.status(), 0);
  std::printf("job ended %.1f s after rank 1 was killed, status %d\n", seconds, job.status());
  deeper::TryRemoveTree(dir);
}

}  // namespace
}  // namespace deeper

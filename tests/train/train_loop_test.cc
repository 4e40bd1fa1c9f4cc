// The training loop on a tiny random llama (CPU, fp32, one rank): step-0 values, learning, exact resume
// after SIGKILL, refusal of a changed resume, and micro-batching that does not change the result.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "distributed/collectives/local_communicator.h"
#include "tests/train/subprocess.h"
#include "tests/train/train_fixtures.h"
#include "train/train_checkpoint.h"
#include "train/trainer.h"

namespace deeper {
namespace {

namespace fs = std::filesystem;
using namespace train_testing;

double Get(const Metrics& metrics, const std::string& name) {
  for (const auto& [n, v] : metrics) {
    if (n == name) return v;
  }
  ADD_FAILURE() << "metric " << name << " missing";
  return NAN;
}

class TrainLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("loop");
    model_ = dir_ + "/model";
    MakeTinyModel(model_, 11);
    pairs_ = dir_ + "/pairs.h5";
    WritePairShard(pairs_, MarkerPairs(160, 5));
  }
  void TearDown() override { deeper::TryRemoveTree(dir_); }
  TrainConfig Config(const std::string& out) const { return ToyConfig(model_, pairs_, dir_ + "/" + out); }

  std::string dir_, model_, pairs_;
  LocalCommunicator comm_;
};

TEST_F(TrainLoop, FirstStepOfLoraIsLn2WithZeroAccuracy) {
  TrainConfig c = Config("lora0");
  c.max_steps = 1;
  c.lora_dropout = 0.2;
  Metrics first;
  TrainHooks hooks;
  hooks.print = false;
  hooks.on_step = [&](int64_t step, const Metrics& m) { if (step == 1) first = m; };
  TrainDpo(c, comm_, hooks);
  EXPECT_NEAR(Get(first, "loss"), std::log(2.0), 1e-6);
  EXPECT_EQ(Get(first, "rewards/accuracies"), 0.0);
  EXPECT_EQ(Get(first, "rewards/chosen"), 0.0);
  EXPECT_EQ(Get(first, "rewards/margins"), 0.0);
  EXPECT_GT(Get(first, "grad_norm"), 0.0);
}

TEST_F(TrainLoop, FirstStepOfFullFineTuningIsLn2) {
  TrainConfig c = Config("full0");
  c.finetuning_type = "full";
  c.max_steps = 1;
  Metrics first;
  TrainHooks hooks;
  hooks.print = false;
  hooks.on_step = [&](int64_t step, const Metrics& m) { if (step == 1) first = m; };
  TrainDpo(c, comm_, hooks);
  // Reference log-probs were precomputed in other batches (other padding): equal up to rounding.
  EXPECT_NEAR(Get(first, "loss"), std::log(2.0), 1e-6);
  EXPECT_LT(std::abs(Get(first, "rewards/chosen")), 1e-5);
  EXPECT_LT(std::abs(Get(first, "rewards/margins")), 1e-5);
  EXPECT_TRUE(fs::exists(c.output_dir + "/reference_logps.h5"));
}

TEST_F(TrainLoop, LearnsToPreferTheMarker) {
  TrainConfig c = Config("learn");
  // Full fine-tuning: with LoRA the frozen, randomly initialised LM head and final norm of so small a
  // model cannot move the marker's logit far (|w_marker| * |h| is about 0.6 nats).
  c.finetuning_type = "full";
  c.num_train_epochs = 4;
  c.learning_rate = 2e-3;
  c.eval_steps = 17;
  c.logging_steps = 10;
  TrainHooks hooks;
  hooks.print = getenv("TRAIN_TEST_PRINT") != nullptr;
  const TrainSummary summary = TrainDpo(c, comm_, hooks);
  const double accuracy = Get(summary.last_eval, "eval_rewards/accuracies");
  std::printf("held-out rewards/accuracies after %lld steps: %.3f (eval_loss %.4f)\n",
              static_cast<long long>(summary.global_step), accuracy, Get(summary.last_eval, "eval_loss"));
  EXPECT_GT(accuracy, 0.9);
  EXPECT_LT(Get(summary.last_eval, "eval_loss"), std::log(2.0));
}

TEST_F(TrainLoop, MicroBatchingDoesNotChangeTheResult) {
  TrainConfig a = Config("micro_a");
  a.max_steps = 3;
  a.per_device_train_batch_size = 8;
  a.gradient_accumulation_steps = 1;
  TrainConfig b = Config("micro_b");
  b.max_steps = 3;
  b.per_device_train_batch_size = 2;
  b.gradient_accumulation_steps = 4;
  b.micro_batch_tokens = 40;
  TrainHooks hooks;
  hooks.print = false;
  const std::string ca = TrainDpo(a, comm_, hooks).last_checkpoint;
  const std::string cb = TrainDpo(b, comm_, hooks).last_checkpoint;
  const auto ta = CheckpointTensors(ca), tb = CheckpointTensors(cb);
  ASSERT_EQ(ta.size(), tb.size());
  double worst = 0;
  for (const auto& [name, t] : ta) worst = std::max(worst, (t - tb.at(name)).abs().max().item<double>());
  EXPECT_LT(worst, 1e-5);
}

void WriteConfig(const TrainConfig& c, const std::string& path) { WriteFileAtomic(path, TrainConfigToJson(c)); }

class ResumeAfterKill : public TrainLoop, public ::testing::WithParamInterface<std::string> {};

TEST_P(ResumeAfterKill, ContinuesExactly) {
  const int64_t n = 4;
  TrainConfig c = Config("straight");
  c.finetuning_type = GetParam();
  c.max_steps = 2 * n;
  c.save_steps = n;
  c.eval_steps = 3;
  c.lora_dropout = 0.1;
  c.learning_rate = c.finetuning_type == "full" ? 1e-3 : 5e-3;
  TrainHooks hooks;
  hooks.print = false;
  TrainDpo(c, comm_, hooks);

  // The same run in a child process, killed (SIGKILL) while it holds step n+1 in memory.
  TrainConfig k = c;
  k.output_dir = dir_ + "/killed";
  WriteConfig(k, dir_ + "/killed.json");
  {
    Subprocess child({TRAIN_WORKER_BIN, dir_ + "/killed.json", "--hang-after", std::to_string(n + 1)}, {},
                     dir_ + "/killed.log");
    ASSERT_TRUE(WaitFor(120, [&] { return fs::exists(k.output_dir + "/hanging.0"); }))
        << "the child never reached step " << n + 1 << "; log in " << dir_ << "/killed.log";
    ::kill(child.pid(), SIGKILL);
    ASSERT_TRUE(child.Wait(30));
    EXPECT_EQ(child.status(), 128 + SIGKILL);
  }
  ASSERT_EQ(ListCheckpoints(k.output_dir).size(), 1u);
  size_t logged_until_kill = 0;  // what the straight run logged up to step n + 1
  for (const std::string& line : ReadLines(c.output_dir + "/metrics.jsonl")) {
    if (nlohmann::json::parse(line)["step"].get<int64_t>() <= n + 1) ++logged_until_kill;
  }
  EXPECT_EQ(ReadLines(k.output_dir + "/metrics.jsonl").size(), logged_until_kill)
      << "the killed run logged step " << n + 1 << " after its checkpoint";

  k.resume = true;
  const TrainSummary resumed = TrainDpo(k, comm_, hooks);
  EXPECT_EQ(resumed.global_step, 2 * n);
  const auto straight = CheckpointTensors(c.output_dir + "/checkpoint-8");
  const auto again = CheckpointTensors(k.output_dir + "/checkpoint-8");
  ASSERT_EQ(straight.size(), again.size());
  for (const auto& [name, t] : straight) EXPECT_TRUE(at::equal(t, again.at(name))) << name;
  EXPECT_EQ(ReadFile(c.output_dir + "/checkpoint-8/optimizer.safetensors"),
            ReadFile(k.output_dir + "/checkpoint-8/optimizer.safetensors"));
  EXPECT_EQ(ReadLines(c.output_dir + "/metrics.jsonl"), ReadLines(k.output_dir + "/metrics.jsonl"));
}

INSTANTIATE_TEST_SUITE_P(LoraAndFull, ResumeAfterKill, ::testing::Values("lora", "full"));

TEST_F(TrainLoop, ResumeRefusesAChangedTrajectory) {
  TrainConfig c = Config("refuse");
  c.max_steps = 2;
  TrainHooks hooks;
  hooks.print = false;
  TrainDpo(c, comm_, hooks);
  c.resume = true;
  c.learning_rate = 1e-4;
  try {
    TrainDpo(c, comm_, hooks);
    FAIL() << "a resume with another learning rate must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot resume with learning_rate"), std::string::npos) << e.what();
  }
  // A stray temporary of an interrupted save is not a checkpoint.
  fs::create_directories(c.output_dir + "/.checkpoint-9.tmp-1");
  EXPECT_EQ(*LatestCheckpoint(c.output_dir), c.output_dir + "/checkpoint-2");
}

}  // namespace
}  // namespace deeper

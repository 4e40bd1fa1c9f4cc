// Data-parallel training under `mpirun -np 2`: both ranks end with bit-identical weights and metrics; two
// ranks train to the same bits as one rank with the same global batch (exact gradient sum, even and
// uneven shares, full and LoRA with dropout); with the float all-reduce they agree to rounding; a
// two-rank checkpoint resumes on one rank to the same bits.
// Every rank runs every test; rank 0's copy of a value is broadcast and compared on each rank.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "common/files.h"
#include "distributed/collectives/communicator.h"
#include "distributed/collectives/local_communicator.h"
#include "distributed/world.h"
#include "model/transformer.h"
#include "tests/train/train_fixtures.h"
#include "train/trainer.h"

namespace deeper {
namespace {

namespace fs = std::filesystem;
using namespace train_testing;

std::unique_ptr<Communicator> g_comm;

// All trained parameters of the model, flattened (fp32).
at::Tensor Flat(const Transformer& model, bool lora) {
  std::vector<at::Tensor> parts;
  for (const auto& [name, p] : model.NamedParameters(lora ? ParamSet::kLora : ParamSet::kBase)) {
    parts.push_back(p.detach().reshape({-1}).to(at::kFloat));
  }
  return at::cat(parts).clone();
}

struct RunResult {
  at::Tensor weights;
  std::vector<double> metrics;  // every step's metrics, in order
  std::string last_checkpoint;
};

RunResult Train(const TrainConfig& config, Communicator& comm) {
  RunResult result;
  TrainHooks hooks;
  hooks.print = false;
  hooks.on_model = [&](int64_t, const Transformer& model) { result.weights = Flat(model, config.finetuning_type == "lora"); };
  hooks.on_step = [&](int64_t, const Metrics& m) {
    for (const auto& [name, value] : m) result.metrics.push_back(value);
  };
  result.last_checkpoint = TrainDpo(config, comm, hooks).last_checkpoint;
  return result;
}

// The same directory on every rank (rank 0 makes it).
std::string SharedDir(const std::string& tag) {
  std::string dir = g_comm->rank() == 0 ? MakeTempDir(tag) : "";
  return World::Get().BroadcastString(dir);
}

class TrainMpi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(g_comm->size(), 2) << "run under mpirun -np 2";
    dir_ = SharedDir("mpi");
    if (g_comm->rank() == 0) {
      MakeTinyModel(dir_ + "/model", 21);
      WritePairShard(dir_ + "/pairs.h5", MarkerPairs(96, 9));
    }
    g_comm->Barrier();
  }
  void TearDown() override {
    g_comm->Barrier();
    if (g_comm->rank() == 0) deeper::TryRemoveTree(dir_);
  }
  TrainConfig Config(const std::string& out) const {
    TrainConfig c = ToyConfig(dir_ + "/model", dir_ + "/pairs.h5", out);
    c.finetuning_type = "full";
    c.learning_rate = 1e-3;
    c.lora_dropout = 0;
    c.gradient_accumulation_steps = 1;
    c.eval_steps = 2;
    return c;
  }
  std::string dir_;
};

TEST_F(TrainMpi, RanksHoldBitIdenticalWeightsAndMetrics) {
  TrainConfig c = Config(dir_ + "/two");
  c.max_steps = 4;
  c.per_device_train_batch_size = 3;
  RunResult r = Train(c, *g_comm);
  at::Tensor root_weights = r.weights.clone();
  g_comm->Broadcast(root_weights, 0);
  EXPECT_TRUE(at::equal(root_weights, r.weights)) << "rank " << g_comm->rank() << " diverged from rank 0";
  at::Tensor metrics = at::tensor(r.metrics, at::kDouble);
  at::Tensor root_metrics = metrics.clone();
  g_comm->Broadcast(root_metrics, 0);
  EXPECT_TRUE(at::equal(root_metrics, metrics)) << "rank " << g_comm->rank() << " logged other metrics";
}

// Every rank trains the same config on 2 ranks and alone; both must give the same bits.
void ExpectOneRankEqualsTwo(TrainConfig two, const std::string& dir, const std::string& what) {
  const RunResult distributed = Train(two, *g_comm);
  TrainConfig one = two;
  one.output_dir = dir + "_one_rank" + std::to_string(g_comm->rank());
  LocalCommunicator local;
  const RunResult single = Train(one, local);
  EXPECT_TRUE(at::equal(distributed.weights, single.weights))
      << what << ": max |weight diff| " << (distributed.weights - single.weights).abs().max().item<double>();
  EXPECT_EQ(distributed.metrics, single.metrics) << what;
}

TEST_F(TrainMpi, TwoRanksTrainToTheBitsOfOneRank) {
  TrainConfig even = Config(dir_ + "/even");  // 4 micro-batches: two each
  even.max_steps = 4;
  even.per_device_train_batch_size = 3;
  even.global_batch_size = 12;
  ExpectOneRankEqualsTwo(even, dir_ + "/even", "full, 2 + 2 micro-batches");

  TrainConfig uneven = Config(dir_ + "/uneven");  // 3 micro-batches: one and two
  uneven.max_steps = 3;
  uneven.per_device_train_batch_size = 3;
  uneven.global_batch_size = 9;
  ExpectOneRankEqualsTwo(uneven, dir_ + "/uneven", "full, 1 + 2 micro-batches");

  TrainConfig lora = Config(dir_ + "/lora");  // dropout masks keyed by micro-batch, not by rank
  lora.finetuning_type = "lora";
  lora.lora_dropout = 0.1;
  lora.max_steps = 3;
  lora.per_device_train_batch_size = 2;
  lora.global_batch_size = 8;
  ExpectOneRankEqualsTwo(lora, dir_ + "/lora", "lora with dropout");
}

TEST_F(TrainMpi, FloatAllReduceAgreesWithOneRankToRounding) {
  TrainConfig two = Config(dir_ + "/float_two");
  two.exact_gradient_sum = false;
  two.max_steps = 4;
  two.per_device_train_batch_size = 3;
  two.global_batch_size = 6;
  const RunResult distributed = Train(two, *g_comm);
  TrainConfig one = two;
  one.output_dir = dir_ + "/float_one_rank" + std::to_string(g_comm->rank());
  one.per_device_train_batch_size = 6;  // another micro-batching too
  LocalCommunicator local;
  const RunResult single = Train(one, local);
  const double diff = (distributed.weights - single.weights).abs().max().item<double>();
  EXPECT_LT(diff, 1e-5);
  ASSERT_EQ(distributed.metrics.size(), single.metrics.size());
  for (size_t i = 0; i < single.metrics.size(); ++i) {
    EXPECT_NEAR(distributed.metrics[i], single.metrics[i], 1e-5 * std::max(1.0, std::abs(single.metrics[i])));
  }
  if (g_comm->rank() == 0) std::printf("float all-reduce, 2 ranks x 3 vs 1 rank x 6: max |weight diff| %.3g\n", diff);
}

TEST_F(TrainMpi, TwoRankCheckpointResumesOnOneRank) {
  TrainConfig two = Config(dir_ + "/resume_two");
  two.max_steps = 4;
  two.save_steps = 2;
  two.per_device_train_batch_size = 2;
  const RunResult straight = Train(two, *g_comm);
  g_comm->Barrier();
  if (g_comm->rank() == 0) {
    // Continue the 2-rank run from its step-2 checkpoint on one rank.
    TrainConfig one = two;
    one.output_dir = dir_ + "/resume_one";
    fs::create_directories(one.output_dir);
    fs::copy(two.output_dir + "/checkpoint-2", one.output_dir + "/checkpoint-2", fs::copy_options::recursive);
    if (fs::exists(two.output_dir + "/reference_logps.h5")) {
      fs::copy(two.output_dir + "/reference_logps.h5", one.output_dir + "/reference_logps.h5");
    }
    one.resume = true;
    LocalCommunicator local;
    const RunResult resumed = Train(one, local);
    const double diff = (straight.weights - resumed.weights).abs().max().item<double>();
    std::printf("2-rank run resumed on 1 rank: max |weight diff| %.3g\n", diff);
    EXPECT_TRUE(at::equal(straight.weights, resumed.weights)) << "max |weight diff| " << diff;
  }
}

}  // namespace
}  // namespace deeper

int main(int argc, char** argv) {
  deeper::World& world = deeper::World::Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  deeper::g_comm = deeper::MakeCommunicator(c10::Device(c10::kCPU));
  if (world.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int result = RUN_ALL_TESTS();
  const long long failed = world.SumInt(result != 0 ? 1 : 0);
  deeper::g_comm.reset();
  world.Finalize();
  return failed == 0 ? 0 : 1;
}

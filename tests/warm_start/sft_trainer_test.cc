#include <gtest/gtest.h>

#include <set>

#include "model/hf_config.h"
#include "model/runtime.h"
#include "model/transformer.h"
#include "stages/warm_start/sft_batches.h"
#include "stages/warm_start/sft_trainer.h"

namespace deeper {
namespace {

// A toy task that needs attention: "<s> a b <q>" -> "a' <end>", where a' names the first operand.
std::vector<SftExample> CopyTask(int n, uint64_t seed) {
  std::vector<SftExample> out;
  uint64_t state = seed;
  auto next = [&state](int m) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int64_t>((state >> 33) % static_cast<uint64_t>(m));
  };
  for (int i = 0; i < n; ++i) {
    const int64_t a = 3 + next(6), b = 3 + next(6);
    out.push_back({{1, a, b, 2}, {a + 6, 15}});
  }
  return out;
}

std::unique_ptr<Transformer> TinyModel() {
  ModelConfig config = ConfigLike("llama");
  config.rope_scaling = RopeScaling{};
  config.rope_theta = 10000.0;
  config.tie_word_embeddings = true;
  ApplyConfigOverrides(&config, "vocab_size=16,hidden_size=32,intermediate_size=64,num_hidden_layers=1,"
                                "num_attention_heads=2,num_key_value_heads=2,max_position_embeddings=64");
  return Transformer::RandomInit(config, 7);
}

SftOptions ToyOptions() {
  SftOptions o;
  o.learning_rate = 1e-2;
  o.warmup_steps = 10;
  o.max_steps = 150;
  o.batches.batch_tokens = 384;
  o.seed = 3;
  o.log_every = 50;
  return o;
}

TEST(SftTrainer, ReducesLossAndLearnsAToyTask) {
  SetTorchThreads(1);
  const auto train = CopyTask(600, 1);
  const auto held_out = CopyTask(100, 2);
  auto model = TinyModel();
  const double before = SftLoss(*model, held_out, {});
  std::vector<SftStepLog> logs;
  const SftSummary summary = TrainSft(*model, train, ToyOptions(), [&](const SftStepLog& l) { logs.push_back(l); });
  const double after = SftLoss(*model, held_out, {});
  EXPECT_EQ(summary.steps, 150);
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_LT(logs.back().loss, logs.front().loss);
  EXPECT_LT(after, 0.1 * before) << "before " << before << " after " << after;
  EXPECT_GT(summary.final_accuracy, 0.95);
}

TEST(SftTrainer, IsDeterministic) {
  SetTorchThreads(1);
  const auto train = CopyTask(200, 5);
  SftOptions options = ToyOptions();
  options.max_steps = 20;
  auto a = TinyModel();
  auto b = TinyModel();
  const double loss_a = TrainSft(*a, train, options).final_loss;
  const double loss_b = TrainSft(*b, train, options).final_loss;
  EXPECT_EQ(loss_a, loss_b);
  EXPECT_EQ(SftLoss(*a, train, {}), SftLoss(*b, train, {}));
}

TEST(SftBatches, CoverEveryExampleOnceWithinTheBudget) {
  std::vector<SftExample> examples;
  for (int i = 0; i < 300; ++i) {
    examples.push_back({std::vector<int64_t>(static_cast<size_t>(5 + i % 40), 1), {2, 3}});
  }
  SftBatchOptions options;
  options.batch_tokens = 200;
  const auto batches = SftEpochBatches(examples, options, 11, 0);
  std::multiset<int64_t> seen;
  for (const auto& batch : batches) {
    int64_t longest = 0;
    for (int64_t i : batch) {
      seen.insert(i);
      longest = std::max(longest, examples[static_cast<size_t>(i)].length());
    }
    EXPECT_LE(longest * static_cast<int64_t>(batch.size()), 200);
  }
  EXPECT_EQ(seen.size(), examples.size());
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), examples.size());
  EXPECT_EQ(batches, SftEpochBatches(examples, options, 11, 0));
  EXPECT_NE(batches, SftEpochBatches(examples, options, 11, 1));
}

}  // namespace
}  // namespace deeper

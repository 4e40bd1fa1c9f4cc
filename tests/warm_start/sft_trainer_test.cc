#include <gtest/gtest.h>

#include <cstdint>
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
    out.push_back({{1, a, b, 2}, {a + 6, 15}, {}});
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

TEST(SftTrainer, StopsAtTheFirstLoggedWindowBelowStopLoss) {
  SetTorchThreads(1);
  const auto train = CopyTask(600, 1);
  SftOptions options = ToyOptions();
  options.max_steps = 1000;
  options.log_every = 10;
  options.stop_loss = 0.5;
  std::vector<SftStepLog> logs;
  const SftSummary summary = TrainSft(*TinyModel(), train, options, [&](const SftStepLog& l) { logs.push_back(l); });
  ASSERT_FALSE(logs.empty());
  EXPECT_TRUE(summary.reached_stop_loss);
  EXPECT_LT(summary.steps, 1000);
  EXPECT_EQ(summary.steps, logs.back().step);
  // It stops at the first log where the last stop_windows windows average below stop_loss.
  const auto mean_of_last = [&](size_t end) {
    double sum = 0.0;
    for (size_t i = end - options.stop_windows; i < end; ++i) sum += logs[i].loss;
    return sum / options.stop_windows;
  };
  ASSERT_GE(logs.size(), static_cast<size_t>(options.stop_windows));
  EXPECT_LT(mean_of_last(logs.size()), 0.5);
  for (size_t end = options.stop_windows; end < logs.size(); ++end) {
    EXPECT_GE(mean_of_last(end), 0.5) << "the windows before log " << end << " were below already";
  }
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
    examples.push_back({std::vector<int64_t>(static_cast<size_t>(5 + i % 40), 1), {2, 3}, {}});
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

// Packing several continuations of one prompt in a row trains each exactly as if it were alone.
TEST(SftTrainer, PackedBranchesScoreAsTheUnpackedExamples) {
  SetTorchThreads(1);
  auto model = TinyModel();
  const std::vector<int64_t> prefix = {1, 3, 4};
  const std::vector<SftBranch> branches = {{{5, 2}, {9, 15}}, {{6, 7, 2}, {11, 15}}, {{8}, {12, 13, 15}}};
  std::vector<SftExample> unpacked;
  SftExample packed;
  packed.prompt = prefix;
  for (const auto& b : branches) {
    std::vector<int64_t> prompt = prefix;
    prompt.insert(prompt.end(), b.prompt.begin(), b.prompt.end());
    unpacked.push_back({prompt, b.completion, {}});
    packed.branches.push_back(b);
  }
  EXPECT_EQ(packed.length(), 3 + 4 + 5 + 4);
  // One unpacked example per batch (no padding) against the packed row next to a padded plain row.
  SftBatchOptions one;
  one.max_rows = 1;
  double sum = 0.0;
  for (const auto& e : unpacked) sum += SftLoss(*model, {e}, one) * static_cast<double>(e.completion.size());
  const double unpacked_mean = sum / 7.0;
  EXPECT_NEAR(SftLoss(*model, {packed}, one), unpacked_mean, 1e-5);
  SftExample plain{{1, 3}, {9, 15}, {}};
  SftBatchOptions both;
  both.batch_tokens = 64;
  const double mixed = SftLoss(*model, {packed, plain}, both);
  const double plain_loss = SftLoss(*model, {plain}, one);
  EXPECT_NEAR(mixed, (unpacked_mean * 7.0 + plain_loss * 2.0) / 9.0, 1e-5);
}

TEST(SftBatches, KeepOrderKeepsPoolsInOrder) {
  std::vector<SftExample> examples;
  for (int i = 0; i < 400; ++i) examples.push_back({std::vector<int64_t>(static_cast<size_t>(4 + i % 7), 1), {2, 3}, {}});
  SftBatchOptions options;
  options.batch_tokens = 100;
  options.pool_batches = 2;
  options.keep_order = true;
  const auto batches = SftEpochBatches(examples, options, 5, 0);
  // Pools are consecutive ranges of examples: the largest index seen so far never runs far ahead.
  int64_t seen_max = -1;
  size_t count = 0;
  for (const auto& batch : batches) {
    int64_t lo = 1 << 30;
    for (int64_t i : batch) {
      lo = std::min(lo, i);
      seen_max = std::max(seen_max, i);
      ++count;
    }
    EXPECT_LT(seen_max - lo, 60) << "a batch mixes examples from far-apart pools";
  }
  EXPECT_EQ(count, examples.size());
  EXPECT_EQ(batches, SftEpochBatches(examples, options, 5, 0));
}

}  // namespace
}  // namespace deeper

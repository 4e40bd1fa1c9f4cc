// Generation: HF greedy goldens, batch independence of ragged prompts, refill vs no refill, keyed
// sampling determinism across batch sizes, stop tokens and per-row limits.
#include "model/generation.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "tests/generation/test_models.h"

namespace deeper {
namespace {

using test::LoadGolden;
using test::LoadModel;
using test::MakePrompts;
using test::ToVector;

std::vector<GenerationRequest> Requests(const std::vector<std::vector<int64_t>>& prompts, uint64_t first_key = 0) {
  std::vector<GenerationRequest> requests;
  for (size_t i = 0; i < prompts.size(); ++i) {
    GenerationRequest r;
    r.prompt = prompts[i];
    r.key = first_key + i;
    requests.push_back(r);
  }
  return requests;
}

GenerationOptions Greedy(int64_t max_new, int64_t max_batch) {
  GenerationOptions o;
  o.max_new_tokens = max_new;
  o.max_batch = max_batch;
  return o;
}

GenerationOptions Sampled(int64_t max_new, int64_t max_batch, uint64_t seed) {
  GenerationOptions o = Greedy(max_new, max_batch);
  o.sampling.greedy = false;
  o.sampling.temperature = 0.9;
  o.sampling.top_k = 50;
  o.sampling.top_p = 0.95;
  o.sampling.seed = seed;
  return o;
}

std::vector<std::vector<int64_t>> Tokens(const std::vector<GenerationResult>& results) {
  std::vector<std::vector<int64_t>> tokens;
  for (const GenerationResult& r : results) tokens.push_back(r.tokens);
  return tokens;
}

class GenerationGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(GenerationGolden, GreedyEqualsHfGenerate) {
  const auto model = LoadModel(GetParam());
  const auto golden = LoadGolden(GetParam());
  const std::vector<int64_t> expected = ToVector(golden.at("gen_greedy"));
  GenerationRequest request;
  request.prompt = ToVector(golden.at("gen_prompt"));
  const auto results = Generate(*model, {request}, Greedy(expected.size(), 4));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].tokens, expected);
  EXPECT_EQ(results[0].finish_reason, FinishReason::kLength);
  // The same prompt among others, in a refilled batch, and with a coarse host check interval.
  std::vector<GenerationRequest> many = Requests(MakePrompts({9, 2, 5, 11}, model->config().vocab_size));
  many.insert(many.begin() + 2, request);
  GenerationOptions options = Greedy(expected.size(), 2);
  options.sync_interval = 4;
  EXPECT_EQ(Generate(*model, many, options)[2].tokens, expected);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GenerationGolden, ::testing::Values("tiny-llama", "tiny-qwen2", "tiny-qwen3"));

TEST(GenerationBatch, RaggedPromptsBatchedEqualEachAlone) {
  const auto model = LoadModel("tiny-llama");
  const auto prompts = MakePrompts({3, 9, 1, 6, 12, 4}, model->config().vocab_size);
  const auto batched = Tokens(Generate(*model, Requests(prompts), Greedy(10, 8)));
  for (size_t i = 0; i < prompts.size(); ++i) {
    const auto alone = Tokens(Generate(*model, Requests({prompts[i]}), Greedy(10, 1)));
    EXPECT_EQ(batched[i], alone[0]) << "prompt " << i;
  }
}

TEST(GenerationBatch, RefillEqualsNoRefill) {
  const auto model = LoadModel("tiny-qwen3");
  const auto prompts = MakePrompts({5, 2, 8, 3, 7, 1, 6, 4, 9}, model->config().vocab_size);
  std::vector<GenerationRequest> requests = Requests(prompts);
  // Staggered limits so rows free up at different steps.
  for (size_t i = 0; i < requests.size(); ++i) requests[i].max_new_tokens = 3 + (i * 5) % 11;
  for (const GenerationOptions& base : {Greedy(0, 0), Sampled(0, 0, 11)}) {
    GenerationOptions all = base;
    all.max_batch = requests.size();
    const auto expected = Tokens(Generate(*model, requests, all));
    // Host checks every step (the CPU default) and every 3 steps (as on accelerators).
    for (int64_t interval : {0, 3}) {
      GenerationOptions few = base;
      few.max_batch = 3;
      few.sync_interval = interval;
      GenerationStats stats;
      const auto refilled = Tokens(Generate(*model, requests, few, &stats));
      EXPECT_EQ(refilled, expected) << "sync interval " << interval;
      EXPECT_EQ(stats.refills, static_cast<int64_t>(requests.size()) - 3);
    }
    for (size_t i = 0; i < requests.size(); ++i) EXPECT_EQ(expected[i].size(), size_t(requests[i].max_new_tokens));
  }
}

// The fixed-shape decode steps that CUDA graphs replay (attention over the whole cache capacity, appends
// at a device-side column) give the same tokens as the variable-shape steps, through refills, shrinking
// batches and compactions, for every architecture.
TEST(GenerationFixedShape, SameTokensAsVariableShapeSteps) {
  for (const std::string name : {"tiny-llama", "tiny-qwen2", "tiny-qwen3"}) {
    const auto model = LoadModel(name);
    std::vector<GenerationRequest> requests = Requests(MakePrompts({5, 2, 8, 3, 7, 1, 6}, model->config().vocab_size));
    for (size_t i = 0; i < requests.size(); ++i) requests[i].max_new_tokens = 2 + (i * 5) % 9;
    for (GenerationOptions options : {Greedy(0, 3), Sampled(0, 3, 4), Sampled(0, 8, 4)}) {
      options.sync_interval = 2;
      const auto expected = Tokens(Generate(*model, requests, options));
      options.fixed_shape_decode = true;
      EXPECT_EQ(Tokens(Generate(*model, requests, options)), expected) << name << " batch " << options.max_batch;
    }
  }
}

TEST(GenerationSampling, SameSeedAndKeyGiveTheSameTokensAtAnyBatchSize) {
  const auto model = LoadModel("tiny-llama");
  const int64_t vocab = model->config().vocab_size;
  GenerationRequest target;
  target.prompt = MakePrompts({7}, vocab, 99)[0];
  target.key = SamplingKey({1, 2024, 3});
  const auto alone = Generate(*model, {target}, Sampled(16, 1, 5))[0].tokens;
  for (int64_t batch : {3, 8}) {
    // The target sits among other prompts (other keys), with room for refills when batch is 3.
    std::vector<GenerationRequest> mixed = Requests(MakePrompts({4, 10, 2, 6, 9, 3, 5, 8, 1}, vocab, batch), 100);
    mixed.insert(mixed.begin() + batch / 2, target);
    const auto results = Generate(*model, mixed, Sampled(16, batch, 5));
    EXPECT_EQ(results[batch / 2].tokens, alone) << "batch " << batch;
  }
  // Another seed changes the sample.
  EXPECT_NE(Generate(*model, {target}, Sampled(16, 1, 6))[0].tokens, alone);
}

TEST(GenerationSampling, DifferentKeysGiveDifferentSamples) {
  const auto model = LoadModel("tiny-llama");
  const auto prompt = MakePrompts({6}, model->config().vocab_size, 3)[0];
  std::vector<GenerationRequest> requests;
  for (uint64_t candidate = 0; candidate < 6; ++candidate) {
    GenerationRequest r;
    r.prompt = prompt;
    r.key = SamplingKey({1, 77, candidate});
    requests.push_back(r);
  }
  const auto tokens = Tokens(Generate(*model, requests, Sampled(12, 6, 1)));
  EXPECT_EQ(std::set<std::vector<int64_t>>(tokens.begin(), tokens.end()).size(), tokens.size());
}

TEST(GenerationSampling, TopKOneEqualsGreedy) {
  const auto model = LoadModel("tiny-qwen2");
  const auto requests = Requests(MakePrompts({4, 8, 2}, model->config().vocab_size));
  GenerationOptions top1 = Sampled(10, 3, 4);
  top1.sampling.top_k = 1;
  EXPECT_EQ(Tokens(Generate(*model, requests, top1)), Tokens(Generate(*model, requests, Greedy(10, 3))));
}

TEST(GenerationStop, StopTokensEndRowsAndAreKept) {
  const auto model = LoadModel("tiny-llama");
  const auto prompts = MakePrompts({5, 3, 8}, model->config().vocab_size, 7);
  const auto free_run = Tokens(Generate(*model, Requests(prompts), Greedy(12, 3)));
  // Stop row 0 at its 4th token; rows 1 and 2 get a stop set that never occurs.
  const int64_t stop = free_run[0][3];
  const size_t first = std::find(free_run[0].begin(), free_run[0].end(), stop) - free_run[0].begin();
  std::vector<GenerationRequest> requests = Requests(prompts);
  requests[0].stop_tokens = std::vector<int64_t>{-5, stop};
  GenerationOptions options = Greedy(12, 3);
  options.stop_tokens = {-7};
  const auto results = Generate(*model, requests, options);
  EXPECT_EQ(results[0].tokens, std::vector<int64_t>(free_run[0].begin(), free_run[0].begin() + first + 1));
  EXPECT_EQ(results[0].finish_reason, FinishReason::kStop);
  for (int r : {1, 2}) {
    EXPECT_EQ(results[r].tokens, free_run[r]);
    EXPECT_EQ(results[r].finish_reason, FinishReason::kLength);
  }
  // A default stop set applies to every row that has none of its own.
  options.stop_tokens = {stop};
  requests[0].stop_tokens.reset();
  const auto all_stop = Generate(*model, requests, options);
  EXPECT_EQ(all_stop[0].tokens, results[0].tokens);
}

TEST(GenerationStop, PerRowLimitsAndZero) {
  const auto model = LoadModel("tiny-llama");
  std::vector<GenerationRequest> requests = Requests(MakePrompts({4, 4, 4}, model->config().vocab_size));
  requests[0].max_new_tokens = 0;
  requests[1].max_new_tokens = 2;
  const auto results = Generate(*model, requests, Greedy(7, 2));
  EXPECT_TRUE(results[0].tokens.empty());
  EXPECT_EQ(results[0].finish_reason, FinishReason::kLength);
  EXPECT_EQ(results[1].tokens.size(), 2u);
  EXPECT_EQ(results[2].tokens.size(), 7u);
  requests[1].max_new_tokens = 5;
  EXPECT_EQ(Generate(*model, {requests[1]}, Greedy(7, 1))[0].tokens.size(), 5u);
  EXPECT_TRUE(Generate(*model, {}, Greedy(7, 1)).empty());
}

TEST(GenerationErrors, BadRequestsAreRefused) {
  const auto model = LoadModel("tiny-llama");
  GenerationRequest empty;
  EXPECT_THROW(Generate(*model, {empty}, Greedy(3, 1)), Error);
  GenerationRequest outside;
  outside.prompt = {1, model->config().vocab_size};
  EXPECT_THROW(Generate(*model, {outside}, Greedy(3, 1)), Error);
  GenerationRequest fine;
  fine.prompt = {1, 2};
  EXPECT_THROW(Generate(*model, {fine}, Greedy(3, 0)), Error);
  GenerationOptions bad_p = Sampled(3, 1, 0);
  bad_p.sampling.top_p = 0.0;
  EXPECT_THROW(Generate(*model, {fine}, bad_p), Error);
}

}  // namespace
}  // namespace deeper

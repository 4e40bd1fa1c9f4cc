// Scoring: completion log-probs against a direct computation from full logits, shared-prefix rating
// prediction against the naive one-forward-per-item path.
#include "model/scoring.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "tests/generation/test_models.h"

namespace deeper {
namespace {

using test::LoadModel;
using test::MakePrompts;

// sum_j log softmax(logits of prompt + completion)[p + j - 1, completion[j]], from one full forward.
double DirectLogProb(const Transformer& model, const CompletionPair& pair) {
  c10::NoGradGuard no_grad;
  std::vector<int64_t> ids(pair.prompt);
  ids.insert(ids.end(), pair.completion.begin(), pair.completion.end());
  const at::Tensor logprobs =
      model.Forward(at::tensor(ids).view({1, -1})).log_softmax(-1).to(at::kDouble)[0];  // [T, V]
  double total = 0.0;
  for (size_t j = 0; j < pair.completion.size(); ++j) {
    total += logprobs[pair.prompt.size() + j - 1][pair.completion[j]].item<double>();
  }
  return total;
}

RatingScale FiveStars() {
  RatingScale scale;
  for (int64_t v = 1; v <= 5; ++v) {
    scale.token_ids.push_back(20 + v);
    scale.values.push_back(static_cast<double>(v));
  }
  return scale;
}

class ScoringModels : public ::testing::TestWithParam<std::string> {};

TEST_P(ScoringModels, CompletionLogProbsEqualFullLogits) {
  const auto model = LoadModel(GetParam());
  const int64_t vocab = model->config().vocab_size;
  const auto prompts = MakePrompts({4, 1, 7, 3, 9, 2}, vocab, 21);
  const auto completions = MakePrompts({5, 3, 1, 8, 2, 0}, vocab, 22);
  std::vector<CompletionPair> pairs;
  for (size_t i = 0; i < prompts.size(); ++i) pairs.push_back({prompts[i], completions[i]});
  ScoringOptions options;
  options.max_batch = 2;
  options.max_batch_tokens = 20;
  options.logit_chunk = 3;
  const auto scores = ScoreCompletions(*model, pairs, options);
  ASSERT_EQ(scores.size(), pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(scores[i].tokens, static_cast<int64_t>(pairs[i].completion.size()));
    EXPECT_NEAR(scores[i].logprob, DirectLogProb(*model, pairs[i]), 1e-4) << "pair " << i;
  }
  EXPECT_EQ(scores.back().logprob, 0.0);  // Empty completion.
  // Batching does not change the scores.
  const auto one_by_one = ScoreCompletions(*model, pairs, ScoringOptions{1, 0, 512});
  for (size_t i = 0; i < pairs.size(); ++i) EXPECT_NEAR(scores[i].logprob, one_by_one[i].logprob, 1e-4);
}

TEST_P(ScoringModels, SharedPrefixRatingsEqualNaive) {
  const auto model = LoadModel(GetParam());
  const int64_t vocab = model->config().vocab_size;
  const auto prefix = MakePrompts({23}, vocab, 5)[0];
  const auto suffixes = MakePrompts({3, 1, 6, 2, 7, 4, 5, 2}, vocab, 6);
  const RatingScale scale = FiveStars();
  ScoringOptions options;
  options.max_batch = 3;  // Several batches, the last one smaller.
  for (const std::vector<int64_t>& p : {prefix, std::vector<int64_t>{}}) {
    const auto shared = PredictRatings(*model, p, suffixes, scale, options);
    const auto naive = PredictRatingsNaive(*model, p, suffixes, scale);
    ASSERT_EQ(shared.size(), suffixes.size());
    for (size_t i = 0; i < suffixes.size(); ++i) {
      double total = 0.0;
      for (size_t k = 0; k < scale.values.size(); ++k) {
        EXPECT_NEAR(shared[i].probs[k], naive[i].probs[k], 1e-4) << "suffix " << i << " rating " << k;
        total += shared[i].probs[k];
      }
      EXPECT_NEAR(total, 1.0, 1e-9);
      EXPECT_NEAR(shared[i].expected, naive[i].expected, 1e-4);
      EXPECT_EQ(shared[i].argmax, naive[i].argmax);
      EXPECT_EQ(shared[i].argmax_value, scale.values[shared[i].argmax]);
    }
  }
}

TEST_P(ScoringModels, GroupedRatingsEqualNaivePerGroup) {
  const auto model = LoadModel(GetParam());
  const int64_t vocab = model->config().vocab_size;
  const RatingScale scale = FiveStars();
  // Prefixes of different lengths (one empty), suffix sets of different sizes (one empty).
  const std::vector<int64_t> prefix_lengths = {23, 0, 9, 15, 4};
  const std::vector<std::vector<int64_t>> suffix_lengths = {{3, 1, 6}, {2, 5}, {}, {4, 4, 7, 1, 2}, {3}};
  std::vector<RatingGroup> groups;
  for (size_t g = 0; g < prefix_lengths.size(); ++g) {
    groups.push_back(
        {MakePrompts({prefix_lengths[g]}, vocab, 40 + g)[0], MakePrompts(suffix_lengths[g], vocab, 50 + g)});
  }
  ScoringOptions options;
  options.max_batch = 4;     // Batches mix groups and split them.
  options.max_prefixes = 2;  // Three passes over the groups.
  const auto grouped = PredictRatingsGrouped(*model, groups, scale, options);
  ASSERT_EQ(grouped.size(), groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto naive = PredictRatingsNaive(*model, groups[g].prefix, groups[g].suffixes, scale);
    ASSERT_EQ(grouped[g].size(), naive.size());
    for (size_t i = 0; i < naive.size(); ++i) {
      for (size_t k = 0; k < scale.values.size(); ++k) {
        EXPECT_NEAR(grouped[g][i].probs[k], naive[i].probs[k], 1e-4) << "group " << g << " suffix " << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ScoringModels, ::testing::Values("tiny-llama", "tiny-qwen2", "tiny-qwen3"));

TEST(ScoringRatings, NaiveEqualsRenormalisedFullSoftmax) {
  const auto model = LoadModel("tiny-llama");
  const auto ids = MakePrompts({12}, model->config().vocab_size, 8)[0];
  const RatingScale scale = FiveStars();
  const auto predicted = PredictRatingsNaive(*model, {ids.begin(), ids.begin() + 8}, {{ids.begin() + 8, ids.end()}},
                                             scale)[0];
  c10::NoGradGuard no_grad;
  const at::Tensor probs = model->Forward(at::tensor(ids).view({1, -1}))[0][-1].softmax(-1).to(at::kDouble);
  const at::Tensor picked = probs.index_select(0, at::tensor(scale.token_ids));
  const at::Tensor renormalised = picked / picked.sum();
  for (int64_t k = 0; k < 5; ++k) EXPECT_NEAR(predicted.probs[k], renormalised[k].item<double>(), 1e-6);
}

TEST(ScoringRatings, FromLogitsByHand) {
  RatingScale scale{{7, 8, 9}, {1.0, 2.0, 5.0}};
  const RatingPrediction p = RatingFromLogits({0.0f, std::log(3.0f), 0.0f}, scale);
  EXPECT_NEAR(p.probs[0], 0.2, 1e-7);
  EXPECT_NEAR(p.probs[1], 0.6, 1e-7);
  EXPECT_NEAR(p.probs[2], 0.2, 1e-7);
  EXPECT_NEAR(p.expected, 0.2 + 1.2 + 1.0, 1e-6);
  EXPECT_EQ(p.argmax, 1);
  EXPECT_EQ(p.argmax_value, 2.0);
}

TEST(ScoringErrors, BadInputsAreRefused) {
  const auto model = LoadModel("tiny-llama");
  const RatingScale scale = FiveStars();
  EXPECT_THROW(PredictRatings(*model, {1, 2}, {{3}, {}}, scale), Error);
  EXPECT_THROW(PredictRatings(*model, {1, 2}, {{3}}, RatingScale{{1, 2}, {1.0}}), Error);
  EXPECT_THROW(PredictRatingsNaive(*model, {1, 2}, {{model->config().vocab_size}}, scale), Error);
  EXPECT_THROW(ScoreCompletions(*model, {CompletionPair{{}, {1}}}), Error);
  EXPECT_TRUE(PredictRatings(*model, {1, 2}, {}, scale).empty());
}

}  // namespace
}  // namespace deeper

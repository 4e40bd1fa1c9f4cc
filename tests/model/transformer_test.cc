// The transformer against HF goldens: logits, padding, greedy generation with the KV cache, cache
// row management (prefix sharing, refill, compaction), sharded/f16 checkpoints, gradients.
#include "model/transformer.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "model/checkpoint.h"
#include "model/kv_cache.h"
#include "tests/model/test_util.h"

namespace deeper {
namespace {

using test::ModelData;

std::map<std::string, at::Tensor> Golden(const std::string& model) {
  return LoadSafetensors(ModelData(model + "/golden.safetensors"));
}

double MaxDiff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

// Max |a - b| over positions where mask [B,T] is 1.
double MaskedMaxDiff(const at::Tensor& a, const at::Tensor& b, const at::Tensor& mask) {
  return ((a - b).abs() * mask.unsqueeze(-1).to(at::kFloat)).max().item<double>();
}

void Report(const std::string& what, double diff) { std::cout << "[ max|diff| ] " << what << " " << diff << "\n"; }

// Greedy continuation of one prompt [1,P] with the KV cache: `steps` new tokens.
at::Tensor GreedyOne(const Transformer& model, const at::Tensor& prompt, int64_t steps) {
  c10::NoGradGuard no_grad;
  KvCache cache = model.NewCache(1, prompt.size(1) + steps);
  at::Tensor logits = model.Logits(model.ForwardHidden(prompt, {}, &cache).select(1, -1));
  std::vector<at::Tensor> out;
  for (int64_t i = 0; i < steps; ++i) {
    at::Tensor next = logits.argmax(-1);  // [1]
    out.push_back(next);
    if (i + 1 < steps) logits = model.Forward(next.view({1, 1}), {}, &cache).select(1, 0);
  }
  return at::stack(out, 1);
}

class ModelGolden : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    model_ = Transformer::Load(ModelData(GetParam()));
    golden_ = Golden(GetParam());
  }
  std::unique_ptr<Transformer> model_;
  std::map<std::string, at::Tensor> golden_;
  c10::NoGradGuard no_grad_;
};

TEST_P(ModelGolden, Logits) {
  at::Tensor logits = model_->Forward(golden_["input_ids"]);
  ASSERT_EQ(logits.scalar_type(), at::kFloat);
  ASSERT_EQ(logits.sizes(), golden_["logits"].sizes());
  const double diff = MaxDiff(logits, golden_["logits"]);
  Report(GetParam() + " logits", diff);
  EXPECT_LT(diff, 1e-4);
}

TEST_P(ModelGolden, RightPaddedLogits) {
  const at::Tensor mask = golden_["padded_attention_mask"];
  at::Tensor logits = model_->Forward(golden_["padded_input_ids"], mask);
  const double diff = MaskedMaxDiff(logits, golden_["padded_logits"], mask);
  Report(GetParam() + " padded logits", diff);
  EXPECT_LT(diff, 1e-4);
}

TEST_P(ModelGolden, LeftPaddedLogits) {
  // The same rows left-padded: real tokens move to the end, positions come from the mask.
  const at::Tensor ids = golden_["padded_input_ids"], mask = golden_["padded_attention_mask"];
  const int64_t t = ids.size(1);
  at::Tensor left_ids = at::zeros_like(ids), left_mask = at::zeros_like(mask);
  std::vector<int64_t> lengths;
  for (int64_t b = 0; b < ids.size(0); ++b) {
    const int64_t n = mask[b].sum().item<int64_t>();
    lengths.push_back(n);
    left_ids[b].narrow(0, t - n, n).copy_(ids[b].narrow(0, 0, n));
    left_mask[b].narrow(0, t - n, n).fill_(1);
  }
  at::Tensor logits = model_->Forward(left_ids, left_mask);
  double diff = 0;
  for (int64_t b = 0; b < ids.size(0); ++b) {
    const int64_t n = lengths[b];
    diff = std::max(diff, MaxDiff(logits[b].narrow(0, t - n, n), golden_["padded_logits"][b].narrow(0, 0, n)));
  }
  Report(GetParam() + " left-padded logits", diff);
  EXPECT_LT(diff, 1e-4);
}

TEST_P(ModelGolden, GreedyWithKvCacheMatches) {
  at::Tensor generated = GreedyOne(*model_, golden_["gen_prompt"], golden_["gen_greedy"].size(1));
  EXPECT_TRUE(generated.equal(golden_["gen_greedy"])) << generated << "\nvs\n" << golden_["gen_greedy"];
}

TEST_P(ModelGolden, IncrementalDecodeEqualsFullForward) {
  const at::Tensor ids = golden_["input_ids"];
  const at::Tensor full = model_->Forward(ids);
  KvCache cache = model_->NewCache(ids.size(0), ids.size(1));
  std::vector<at::Tensor> parts = {model_->Forward(ids.narrow(1, 0, 4), {}, &cache)};
  for (int64_t j = 4; j < ids.size(1); ++j) parts.push_back(model_->Forward(ids.narrow(1, j, 1), {}, &cache));
  EXPECT_EQ(cache.length(), ids.size(1));
  const double diff = MaxDiff(at::cat(parts, 1), full);
  Report(GetParam() + " incremental vs full", diff);
  EXPECT_LT(diff, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ModelGolden, ::testing::Values("tiny-llama", "tiny-qwen2", "tiny-qwen3"));

// ---- KV cache row management -------------------------------------------------------------------------

class ModelKvCache : public ::testing::Test {
 protected:
  void SetUp() override { model_ = Transformer::Load(ModelData("tiny-llama")); }
  at::Tensor Ids(std::vector<int64_t> ids) { return at::tensor(ids, at::kLong).view({1, -1}); }
  std::unique_ptr<Transformer> model_;
  c10::NoGradGuard no_grad_;
};

TEST_F(ModelKvCache, LeftPaddedBatchGeneratesLikeSingleRows) {
  const at::Tensor a = Golden("tiny-llama")["gen_prompt"];  // [1,6]
  const at::Tensor b = Ids({5, 77, 300});
  at::Tensor prompts = at::zeros({2, 6}, at::kLong), mask = at::zeros({2, 6}, at::kLong);
  prompts[0].copy_(a[0]);
  mask[0].fill_(1);
  prompts[1].narrow(0, 3, 3).copy_(b[0]);
  mask[1].narrow(0, 3, 3).fill_(1);
  const int64_t steps = 8;
  KvCache cache = model_->NewCache(2, 6 + steps);
  at::Tensor logits = model_->Logits(model_->ForwardHidden(prompts, mask, &cache).select(1, -1));
  std::vector<at::Tensor> out;
  for (int64_t i = 0; i < steps; ++i) {
    at::Tensor next = logits.argmax(-1);
    out.push_back(next);
    logits = model_->Forward(next.view({2, 1}), {}, &cache).select(1, 0);
  }
  at::Tensor generated = at::stack(out, 1);
  EXPECT_TRUE(generated[0].equal(GreedyOne(*model_, a, steps)[0]));
  EXPECT_TRUE(generated[1].equal(GreedyOne(*model_, b, steps)[0]));
  EXPECT_TRUE(cache.next_positions().equal(at::tensor({6 + steps, 3 + steps}, at::kLong)));
}

TEST_F(ModelKvCache, SharedPrefixThenSuffixesEqualsFullForward) {
  const at::Tensor prefix = Ids({10, 20, 30, 40, 50, 60});
  KvCache one = model_->NewCache(1, 6);
  model_->ForwardHidden(prefix, {}, &one);
  // Three suffixes of lengths 3, 1, 2, right-padded.
  const std::vector<std::vector<int64_t>> suffixes = {{7, 8, 9}, {11}, {12, 13}};
  at::Tensor ids = at::zeros({3, 3}, at::kLong), mask = at::zeros({3, 3}, at::kLong);
  for (int64_t r = 0; r < 3; ++r) {
    const auto& s = suffixes[static_cast<size_t>(r)];
    for (size_t j = 0; j < s.size(); ++j) {
      ids[r][static_cast<int64_t>(j)] = s[j];
      mask[r][static_cast<int64_t>(j)] = 1;
    }
  }
  KvCache batch = model_->NewCache(3, 9);
  batch.CopyRows(one, {0, 0, 0}, {0, 1, 2});
  EXPECT_EQ(batch.length(), 6);
  for (int round = 0; round < 2; ++round) {  // Second round after rolling back to the prefix.
    at::Tensor logits = model_->Forward(ids, mask, &batch);
    double diff = 0;
    for (int64_t r = 0; r < 3; ++r) {
      const auto& s = suffixes[static_cast<size_t>(r)];
      at::Tensor full_ids = at::cat({prefix, Ids(s)}, 1);
      at::Tensor full = model_->Forward(full_ids).narrow(1, 6, static_cast<int64_t>(s.size()));
      diff = std::max(diff, MaxDiff(logits[r].narrow(0, 0, static_cast<int64_t>(s.size())), full[0]));
    }
    Report("prefix-shared suffix logits (round " + std::to_string(round) + ")", diff);
    EXPECT_LT(diff, 1e-5);
    batch.Truncate(6);
    EXPECT_TRUE(batch.next_positions().equal(at::full({3}, 6, at::kLong)));
  }
}

TEST_F(ModelKvCache, RowRefillShiftAndCompactKeepGenerationExact) {
  const at::Tensor p0 = Ids({3, 1, 4}), p1 = Ids({2, 7}), p2 = Ids({9, 9, 8, 7, 6, 5, 4, 3});
  KvCache cache = model_->NewCache(2, 40);
  at::Tensor prompts = at::tensor({3, 1, 4, 0, 2, 7}, at::kLong).view({2, 3});
  at::Tensor mask = at::tensor({1, 1, 1, 0, 1, 1}, at::kLong).view({2, 3});
  at::Tensor logits = model_->Logits(model_->ForwardHidden(prompts, mask, &cache).select(1, -1));
  std::vector<std::vector<int64_t>> rows(2);
  auto step = [&]() {
    at::Tensor next = logits.argmax(-1);
    for (int64_t r = 0; r < 2; ++r) rows[static_cast<size_t>(r)].push_back(next[r].item<int64_t>());
    logits = model_->Forward(next.view({2, 1}), {}, &cache).select(1, 0);
  };
  auto refill = [&](int64_t row, const at::Tensor& prompt) {
    KvCache one = model_->NewCache(1, prompt.size(1));
    at::Tensor first = model_->Logits(model_->ForwardHidden(prompt, {}, &one).select(1, -1));
    cache.ResetRows({row});
    cache.CopyRows(one, {0}, {row});
    logits[row].copy_(first[0]);
    rows[static_cast<size_t>(row)].clear();
  };
  for (int i = 0; i < 2; ++i) step();  // length 5
  const std::vector<int64_t> row1_first = rows[1];
  refill(1, p2);  // 8 > 5 columns: every row shifts right by 3 first.
  EXPECT_EQ(cache.length(), 8);
  EXPECT_EQ(cache.Compact(), 0) << "row 1 uses column 0";
  for (int i = 0; i < 4; ++i) step();  // length 12
  const std::vector<int64_t> row1_second = rows[1];
  refill(1, p1);  // Right-aligned at columns [10, 12); row 0 starts at column 3.
  for (int i = 0; i < 2; ++i) step();
  const int64_t before = cache.length();
  EXPECT_EQ(cache.Compact(), 3);
  EXPECT_EQ(cache.length(), before - 3);
  for (int i = 0; i < 3; ++i) step();

  auto expect_row = [&](const std::vector<int64_t>& got, const at::Tensor& prompt, const char* what) {
    at::Tensor want = GreedyOne(*model_, prompt, static_cast<int64_t>(got.size()));
    EXPECT_TRUE(at::tensor(got, at::kLong).equal(want[0])) << what;
  };
  expect_row(rows[0], p0, "row 0 across shift, refills of row 1 and compaction");
  expect_row(row1_first, p1, "row 1, left-padded start");
  expect_row(row1_second, p2, "row 1 refilled with a longer prompt");
  expect_row(rows[1], p1, "row 1 refilled again, then compacted");
}

TEST_F(ModelKvCache, SelectRowsAndCapacityErrors) {
  KvCache cache = model_->NewCache(3, 4);
  model_->Forward(at::tensor({1, 2, 3, 4, 5, 6}, at::kLong).view({3, 2}), {}, &cache);
  cache.SelectRows({2, 0});
  EXPECT_EQ(cache.batch(), 2);
  at::Tensor next = at::tensor({7, 8}, at::kLong).view({2, 1});
  at::Tensor logits = model_->Forward(next, {}, &cache).select(1, 0);
  at::Tensor want = model_->Forward(at::tensor({5, 6, 7, 1, 2, 8}, at::kLong).view({2, 3})).select(1, 2);
  EXPECT_LT(MaxDiff(logits, want), 1e-5);
  try {
    model_->Forward(at::ones({2, 2}, at::kLong), {}, &cache);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exceeds the capacity"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cache.ResetRows({5}), Error);
}

// ---- Checkpoint layouts and errors -----------------------------------------------------------------------

TEST(ModelCheckpoint, ShardedAndF16CheckpointsMatchGoldens) {
  c10::NoGradGuard no_grad;
  auto sharded = Transformer::Load(ModelData("tiny-qwen3-sharded"));
  auto golden = Golden("tiny-qwen3");
  double diff = MaxDiff(sharded->Forward(golden["input_ids"]), golden["logits"]);
  Report("tiny-qwen3-sharded logits", diff);
  EXPECT_LT(diff, 1e-4);
  auto f16 = Transformer::Load(ModelData("tiny-llama-f16"));
  EXPECT_EQ(f16->dtype(), at::kFloat);
  auto golden16 = Golden("tiny-llama-f16");
  diff = MaxDiff(f16->Forward(golden16["input_ids"]), golden16["logits"]);
  Report("tiny-llama-f16 logits", diff);
  EXPECT_LT(diff, 1e-4);
}

std::string LoadError(const std::string& dir) {
  try {
    Transformer::Load(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelCheckpoint, MissingExtraAndMisshapenTensorsAreNamed) {
  test::TempDir dir("ckpt");
  WriteFileAtomic(dir / "config.json", ReadFile(ModelData("tiny-llama/config.json")));
  const auto tensors = LoadSafetensors(ModelData("tiny-llama/model.safetensors"));

  auto missing = tensors;
  missing.erase("model.layers.1.mlp.up_proj.weight");
  SaveSafetensors(dir / "model.safetensors", missing);
  std::string message = LoadError(dir.path());
  EXPECT_NE(message.find("tensor 'model.layers.1.mlp.up_proj.weight' is missing"), std::string::npos) << message;

  auto extra = tensors;
  extra["model.layers.7.mlp.up_proj.weight"] = at::zeros({2});
  SaveSafetensors(dir / "model.safetensors", extra);
  message = LoadError(dir.path());
  EXPECT_NE(message.find("unexpected tensor 'model.layers.7.mlp.up_proj.weight'"), std::string::npos) << message;

  auto misshapen = tensors;
  misshapen["model.norm.weight"] = at::ones({63});
  SaveSafetensors(dir / "model.safetensors", misshapen);
  message = LoadError(dir.path());
  EXPECT_NE(message.find("tensor 'model.norm.weight' has shape [63], expected [64]"), std::string::npos) << message;

  std::filesystem::remove(dir / "model.safetensors");
  message = LoadError(dir.path());
  EXPECT_NE(message.find("no model.safetensors"), std::string::npos) << message;
}

// ---- Gradients: the DPO golden ------------------------------------------------------------------------------

// Sum of log-probs of `completion` after `prompt` (TRL convention).
at::Tensor SequenceLogp(const Transformer& model, const at::Tensor& prompt, const at::Tensor& completion) {
  at::Tensor ids = at::cat({prompt, completion}).unsqueeze(0);
  at::Tensor logp = at::log_softmax(model.Forward(ids)[0], -1);  // [T,V]
  const int64_t p = prompt.size(0), c = completion.size(0);
  return logp.narrow(0, p - 1, c).gather(1, completion.unsqueeze(1)).sum();
}

TEST(ModelGradients, DpoLossGradientMatchesGolden) {
  auto model = Transformer::Load(ModelData("tiny-llama"));
  model->SetRequiresGrad(true);
  auto golden = Golden("tiny-llama");
  const auto ref = nlohmann::json::parse(ReadFile(ModelData("tiny-llama/golden.json")));
  at::Tensor chosen = SequenceLogp(*model, golden["dpo_prompt"], golden["dpo_chosen"]);
  at::Tensor rejected = SequenceLogp(*model, golden["dpo_prompt"], golden["dpo_rejected"]);
  EXPECT_NEAR(chosen.item<double>(), ref["policy_chosen_logps"].get<double>(), 1e-4);
  EXPECT_NEAR(rejected.item<double>(), ref["policy_rejected_logps"].get<double>(), 1e-4);
  const double beta = ref["beta"].get<double>();
  at::Tensor margin = (chosen - ref["ref_chosen_logps"].get<double>()) - (rejected - ref["ref_rejected_logps"].get<double>());
  at::Tensor loss = -at::log_sigmoid(margin * beta);
  EXPECT_NEAR(loss.item<double>(), ref["loss"].get<double>(), 1e-5);
  loss.backward();
  at::Tensor grad;
  for (const auto& [name, p] : model->NamedParameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    if (name == "model.layers.0.mlp.down_proj.weight") grad = p.grad();
  }
  const double diff = MaxDiff(grad, golden["dpo_grad_model.layers.0.mlp.down_proj.weight"]);
  Report("tiny-llama DPO grad", diff);
  EXPECT_LT(diff, 1e-6);
}

}  // namespace
}  // namespace deeper

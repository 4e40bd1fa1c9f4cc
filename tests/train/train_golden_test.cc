// DPO numbers against the reference implementation's golden (HF transformers + TRL conventions), and the
// loss, log-prob and optimizer math against their definitions.
#include <c10/core/GradMode.h>
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "model/checkpoint.h"
#include "model/transformer.h"
#include "train/adamw.h"
#include "train/dpo_loss.h"
#include "train/dpo_scores.h"
#include "train/pair_batch.h"

namespace deeper {
namespace {

const std::string kData = DEEPER_TEST_DATA_DIR;
const std::string kPolicy = kData + "/model/tiny-llama";
const std::string kReference = kData + "/train/tiny-llama-ref";

std::vector<int64_t> Ids(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

PreferencePair GoldenPair(const std::map<std::string, at::Tensor>& golden) {
  PreferencePair pair;
  pair.prompt_ids = Ids(golden.at("dpo_prompt"));
  pair.chosen_ids = Ids(golden.at("dpo_chosen"));
  pair.rejected_ids = Ids(golden.at("dpo_rejected"));
  return pair;
}

class GoldenDpo : public ::testing::Test {
 protected:
  void SetUp() override {
    golden_ = LoadSafetensors(kPolicy + "/golden.safetensors");
    expected_ = nlohmann::json::parse(ReadFile(kPolicy + "/golden.json"));
    policy_ = Transformer::Load(kPolicy);
    reference_ = Transformer::Load(kReference);
  }
  std::map<std::string, at::Tensor> golden_;
  nlohmann::json expected_;
  std::unique_ptr<Transformer> policy_, reference_;
};

TEST_F(GoldenDpo, LogpsAndLossesMatch) {
  const double beta = expected_["beta"].get<double>();
  const DpoPairScores s = ScoreDpoPair(*policy_, *reference_, GoldenPair(golden_), beta);
  EXPECT_NEAR(s.policy_chosen_logps, expected_["policy_chosen_logps"].get<double>(), 1e-4);
  EXPECT_NEAR(s.policy_rejected_logps, expected_["policy_rejected_logps"].get<double>(), 1e-4);
  EXPECT_NEAR(s.ref_chosen_logps, expected_["ref_chosen_logps"].get<double>(), 1e-4);
  EXPECT_NEAR(s.ref_rejected_logps, expected_["ref_rejected_logps"].get<double>(), 1e-4);
  EXPECT_NEAR(s.loss, expected_["loss"].get<double>(), 1e-4);
  EXPECT_NEAR(s.loss_ipo, expected_["loss_ipo"].get<double>(), 1e-4);
  EXPECT_NEAR(s.loss_hinge, expected_["loss_hinge"].get<double>(), 1e-4);
  std::printf("golden diffs: policy_chosen %.3g policy_rejected %.3g ref_chosen %.3g ref_rejected %.3g loss %.3g "
              "ipo %.3g hinge %.3g\n",
              std::abs(s.policy_chosen_logps - expected_["policy_chosen_logps"].get<double>()),
              std::abs(s.policy_rejected_logps - expected_["policy_rejected_logps"].get<double>()),
              std::abs(s.ref_chosen_logps - expected_["ref_chosen_logps"].get<double>()),
              std::abs(s.ref_rejected_logps - expected_["ref_rejected_logps"].get<double>()),
              std::abs(s.loss - expected_["loss"].get<double>()),
              std::abs(s.loss_ipo - expected_["loss_ipo"].get<double>()),
              std::abs(s.loss_hinge - expected_["loss_hinge"].get<double>()));
}

TEST_F(GoldenDpo, GradientOfDownProjMatches) {
  const std::string name = expected_["grad_param"].get<std::string>();
  policy_->SetRequiresGrad(true);
  const PreferencePair pair = GoldenPair(golden_);
  const PairBatch batch = BuildPairBatch({&pair}, 0, c10::Device(c10::kCPU));
  at::Tensor ref;
  {
    c10::NoGradGuard no_grad;
    ref = BatchLogps(*reference_, batch);
  }
  const at::Tensor policy = BatchLogps(*policy_, batch);
  DpoLossOptions options;
  options.beta = expected_["beta"].get<double>();
  const DpoInputs in{policy.slice(0, 0, 1), policy.slice(0, 1, 2), ref.slice(0, 0, 1),
                     ref.slice(0, 1, 2),    batch.tokens.slice(0, 0, 1), batch.tokens.slice(0, 1, 2)};
  ComputeDpoLoss(in, options).losses.sum().backward();
  at::Tensor grad;
  for (auto& [n, p] : policy_->NamedParameters()) {
    if (n == name) grad = p.grad();
  }
  ASSERT_TRUE(grad.defined()) << name;
  const at::Tensor expected = golden_.at("dpo_grad_" + name);
  const double diff = (grad - expected).abs().max().item<double>();
  std::printf("gradient %s: max |diff| %.3g (max |grad| %.3g)\n", name.c_str(), diff,
              expected.abs().max().item<double>());
  EXPECT_LT(diff, 1e-5);
}

TEST_F(GoldenDpo, SelectedPositionLogpsEqualFullLogits) {
  const PreferencePair pair = GoldenPair(golden_);
  const PairBatch batch = BuildPairBatch({&pair, &pair}, 3, c10::Device(c10::kCPU));
  c10::NoGradGuard no_grad;
  const at::Tensor lean = BatchLogps(*policy_, batch);
  const at::Tensor full = SequenceLogpsFromLogits(policy_->Forward(batch.input_ids, batch.attention_mask),
                                                  batch.input_ids, batch.completion_mask);
  EXPECT_LT((lean - full).abs().max().item<double>(), 1e-4);
  // Right padding does not change a row's log-probs: the shorter chosen rows equal the unpadded pair's.
  const PairBatch single = BuildPairBatch({&pair}, 0, c10::Device(c10::kCPU));
  EXPECT_LT((BatchLogps(*policy_, single) - lean.index_select(0, at::tensor({int64_t{0}, int64_t{2}}))).abs().max().item<double>(), 1e-4);
}

DpoInputs Inputs(std::vector<float> pc, std::vector<float> pr, std::vector<float> rc, std::vector<float> rr,
                 std::vector<float> tc, std::vector<float> tr) {
  return {at::tensor(pc), at::tensor(pr), at::tensor(rc), at::tensor(rr), at::tensor(tc), at::tensor(tr)};
}

double LogSigmoid(double x) { return -std::log1p(std::exp(-x)); }

TEST(DpoLoss, FormulasWithSmoothingMarginFtxHingeAndIpo) {
  const DpoInputs in = Inputs({-10}, {-20}, {-12}, {-19}, {4}, {8});
  // r_w = 2, r_l = -1, d = 3.
  DpoLossOptions o;
  o.beta = 0.2;
  DpoLossOutput out = ComputeDpoLoss(in, o);
  EXPECT_NEAR(out.losses.item<double>(), -LogSigmoid(0.6), 1e-6);
  EXPECT_NEAR(out.chosen_rewards.item<double>(), 0.4, 1e-6);
  EXPECT_NEAR(out.rejected_rewards.item<double>(), -0.2, 1e-6);
  EXPECT_NEAR(out.sft_losses.item<double>(), 2.5, 1e-6);
  o.label_smoothing = 0.1;
  o.gamma = 0.5;
  EXPECT_NEAR(ComputeDpoLoss(in, o).losses.item<double>(), -0.9 * LogSigmoid(0.1) - 0.1 * LogSigmoid(-0.1), 1e-6);
  o.label_smoothing = 0;
  o.gamma = 0;
  o.ftx = 0.1;
  EXPECT_NEAR(ComputeDpoLoss(in, o).losses.item<double>(), -LogSigmoid(0.6) + 0.25, 1e-6);
  o.ftx = 0;
  o.type = DpoLossType::kHinge;
  EXPECT_NEAR(ComputeDpoLoss(in, o).losses.item<double>(), 0.4, 1e-6);
  o.type = DpoLossType::kIpo;
  // Averaged: r_w = 2/4, r_l = -1/8, d = 0.625; target 1/(2*0.2) = 2.5.
  EXPECT_NEAR(ComputeDpoLoss(in, o).losses.item<double>(), std::pow(0.625 - 2.5, 2), 1e-5);
  o.ipo_token_average = false;
  EXPECT_NEAR(ComputeDpoLoss(in, o).losses.item<double>(), std::pow(3 - 2.5, 2), 1e-5);
}

TEST(DpoLoss, EqualPolicyAndReferenceGiveLn2) {
  const DpoInputs in = Inputs({-3, -7}, {-5, -1}, {-3, -7}, {-5, -1}, {2, 3}, {2, 3});
  DpoLossOutput out = ComputeDpoLoss(in, DpoLossOptions{});
  EXPECT_NEAR(out.losses.mean().item<double>(), std::log(2.0), 1e-7);
  EXPECT_EQ(out.chosen_rewards.gt(out.rejected_rewards).sum().item<int64_t>(), 0);
}

// torch.optim.AdamW, step by step, written out.
TEST(AdamW, MatchesTorchFormulaAndResumesExactly) {
  const AdamWOptions options{0.9, 0.95, 1e-8, 0.1};
  auto make = [] { return at::arange(6, at::kFloat).reshape({2, 3}).sub(2.5).requires_grad_(true); };
  at::Tensor p = make();
  AdamW adam({{"w", p}}, options);
  at::Tensor ref = p.detach().clone(), m = at::zeros_like(ref), v = at::zeros_like(ref);
  for (int t = 1; t <= 3; ++t) {
    const at::Tensor g = at::sin(p.detach() * t);
    p.mutable_grad() = g.clone();
    const double lr = 0.01 * t;
    adam.Step(lr);
    ref = ref * (1 - lr * 0.1);
    m = m * 0.9 + g * 0.1;
    v = v * 0.95 + g * g * 0.05;
    const double b1 = 1 - std::pow(0.9, t), b2 = 1 - std::pow(0.95, t);
    ref = ref - (m / b1) / ((v / b2).sqrt() + 1e-8) * lr;
  }
  EXPECT_LT((p.detach() - ref).abs().max().item<double>(), 1e-6);
  // Save the state, continue both the original and a restored copy: identical.
  at::Tensor q = p.detach().clone().requires_grad_(true);
  AdamW restored({{"w", q}}, options);
  restored.LoadState(adam.StateTensors(), adam.step(), "state");
  const at::Tensor g = at::cos(p.detach());
  p.mutable_grad() = g.clone();
  q.mutable_grad() = g.clone();
  adam.Step(0.01);
  restored.Step(0.01);
  EXPECT_TRUE(at::equal(p.detach(), q.detach()));
}

TEST(AdamW, Bf16ParametersKeepAnFp32Master) {
  at::Tensor p = at::ones({4}, at::kBFloat16).requires_grad_(true);
  AdamW adam({{"w", p}}, AdamWOptions{});
  for (int t = 0; t < 50; ++t) {
    p.mutable_grad() = at::ones({4}, at::kBFloat16);
    adam.Step(1e-4);  // each update (~1e-4) is far below bf16's spacing at 1.0 (2^-8)
  }
  const at::Tensor master = adam.StateTensors().at("master/w");
  EXPECT_NEAR(master[0].item<double>(), 1.0 - 50 * 1e-4, 1e-5);
  EXPECT_NEAR(p[0].item<double>(), 0.9961, 1e-4);  // the master rounded to bf16, not stuck at 1.0
}

TEST(ClipGradNorm, ScalesToTheMaxNorm) {
  at::Tensor a = at::zeros({2}).requires_grad_(true), b = at::zeros({1}).requires_grad_(true);
  a.mutable_grad() = at::tensor({3.0f, 0.0f});
  b.mutable_grad() = at::tensor({4.0f});
  EXPECT_NEAR(ClipGradNorm({a, b}, 1.0), 5.0, 1e-6);
  EXPECT_NEAR(a.grad()[0].item<double>(), 0.6, 1e-6);
  EXPECT_NEAR(ClipGradNorm({a, b}, 10.0), 1.0, 1e-5);
  EXPECT_NEAR(b.grad()[0].item<double>(), 0.8, 1e-5);
}

}  // namespace
}  // namespace deeper

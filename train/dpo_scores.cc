#include "train/dpo_scores.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include "model/transformer.h"
#include "train/dpo_loss.h"
#include "train/pair_batch.h"

namespace deeper {
namespace {

double LossOf(const at::Tensor& policy, const at::Tensor& ref, const at::Tensor& tokens, DpoLossOptions options) {
  DpoInputs in{policy.slice(0, 0, 1), policy.slice(0, 1, 2), ref.slice(0, 0, 1),
               ref.slice(0, 1, 2),    tokens.slice(0, 0, 1), tokens.slice(0, 1, 2)};
  return ComputeDpoLoss(in, options).losses.item<double>();
}

}  // namespace

DpoPairScores ScoreDpoPair(const Transformer& policy, const Transformer& reference, const PreferencePair& pair,
                           double beta) {
  c10::NoGradGuard no_grad;
  const PairBatch batch = BuildPairBatch({&pair}, 0, policy.device());
  const at::Tensor policy_logps = BatchLogps(policy, batch).to(at::kCPU);
  const PairBatch ref_batch = BuildPairBatch({&pair}, 0, reference.device());
  const at::Tensor ref_logps = BatchLogps(reference, ref_batch).to(at::kCPU);
  const at::Tensor tokens = batch.tokens.to(at::kCPU);

  DpoPairScores scores;
  scores.policy_chosen_logps = policy_logps[0].item<double>();
  scores.policy_rejected_logps = policy_logps[1].item<double>();
  scores.ref_chosen_logps = ref_logps[0].item<double>();
  scores.ref_rejected_logps = ref_logps[1].item<double>();
  scores.chosen_tokens = static_cast<int64_t>(pair.chosen_ids.size());
  scores.rejected_tokens = static_cast<int64_t>(pair.rejected_ids.size());
  DpoLossOptions options;
  options.beta = beta;
  scores.loss = LossOf(policy_logps, ref_logps, tokens, options);
  options.type = DpoLossType::kHinge;
  scores.loss_hinge = LossOf(policy_logps, ref_logps, tokens, options);
  options.type = DpoLossType::kIpo;
  options.ipo_token_average = false;
  scores.loss_ipo = LossOf(policy_logps, ref_logps, tokens, options);
  options.ipo_token_average = true;
  scores.loss_ipo_token_avg = LossOf(policy_logps, ref_logps, tokens, options);
  return scores;
}

std::string DpoPairScoresJson(const DpoPairScores& s, double beta) {
  nlohmann::ordered_json j;
  j["policy_chosen_logps"] = s.policy_chosen_logps;
  j["policy_rejected_logps"] = s.policy_rejected_logps;
  j["ref_chosen_logps"] = s.ref_chosen_logps;
  j["ref_rejected_logps"] = s.ref_rejected_logps;
  j["loss"] = s.loss;
  j["loss_ipo"] = s.loss_ipo;
  j["loss_hinge"] = s.loss_hinge;
  j["loss_ipo_token_avg"] = s.loss_ipo_token_avg;
  j["chosen_tokens"] = s.chosen_tokens;
  j["rejected_tokens"] = s.rejected_tokens;
  j["beta"] = beta;
  return j.dump();
}

}  // namespace deeper

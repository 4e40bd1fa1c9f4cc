#include "train/dpo_loss.h"

#include <ATen/ATen.h>

#include "common/error.h"

namespace deeper {

DpoLossType ParseDpoLossType(const std::string& name) {
  if (name == "sigmoid") return DpoLossType::kSigmoid;
  if (name == "hinge") return DpoLossType::kHinge;
  if (name == "ipo") return DpoLossType::kIpo;
  Fail("DPO loss '", name, "' is not supported (sigmoid, hinge or ipo)");
}

const char* DpoLossTypeName(DpoLossType type) {
  switch (type) {
    case DpoLossType::kSigmoid: return "sigmoid";
    case DpoLossType::kHinge: return "hinge";
    case DpoLossType::kIpo: return "ipo";
  }
  return "?";
}

void ValidateDpoLossOptions(const DpoLossOptions& options) {
  DEEPER_REQUIRE(options.beta > 0, "DPO beta must be > 0, got ", options.beta);
  DEEPER_REQUIRE(options.label_smoothing >= 0 && options.label_smoothing < 0.5, "label_smoothing ",
                 options.label_smoothing, " must be in [0, 0.5)");
  DEEPER_REQUIRE(options.label_smoothing == 0 || options.type == DpoLossType::kSigmoid,
                 "label_smoothing applies to the sigmoid loss only");
  DEEPER_REQUIRE(options.ftx >= 0, "pref_ftx must be >= 0, got ", options.ftx);
}

DpoLossOutput ComputeDpoLoss(const DpoInputs& in, const DpoLossOptions& options) {
  at::Tensor policy_chosen = in.policy_chosen.to(at::kFloat);
  at::Tensor policy_rejected = in.policy_rejected.to(at::kFloat);
  at::Tensor ref_chosen = in.ref_chosen.to(at::kFloat).detach();
  at::Tensor ref_rejected = in.ref_rejected.to(at::kFloat).detach();
  const bool average = options.type == DpoLossType::kIpo && options.ipo_token_average;
  if (average) {
    const at::Tensor chosen_tokens = in.chosen_tokens.to(at::kFloat);
    const at::Tensor rejected_tokens = in.rejected_tokens.to(at::kFloat);
    policy_chosen = policy_chosen / chosen_tokens;
    policy_rejected = policy_rejected / rejected_tokens;
    ref_chosen = ref_chosen / chosen_tokens;
    ref_rejected = ref_rejected / rejected_tokens;
  }
  const at::Tensor chosen_ratio = policy_chosen - ref_chosen;
  const at::Tensor rejected_ratio = policy_rejected - ref_rejected;
  const at::Tensor d = chosen_ratio - rejected_ratio;
  const double beta = options.beta;

  at::Tensor losses;
  switch (options.type) {
    case DpoLossType::kSigmoid: {
      const at::Tensor z = d * beta - options.gamma;
      const double eps = options.label_smoothing;
      // log_sigmoid is the stable form of log(sigmoid(.)).
      losses = -at::log_sigmoid(z) * (1.0 - eps);
      if (eps > 0) losses = losses - at::log_sigmoid(-z) * eps;
      break;
    }
    case DpoLossType::kHinge:
      losses = at::relu(1.0 - (d * beta - options.gamma));
      break;
    case DpoLossType::kIpo:
      losses = (d - 1.0 / (2.0 * beta)).pow(2);
      break;
  }

  DpoLossOutput out;
  // Per-token NLL of the chosen completion; always reported, added to the loss with weight ftx.
  const at::Tensor sft = -in.policy_chosen.to(at::kFloat) / in.chosen_tokens.to(at::kFloat);
  if (options.ftx > 0) losses = losses + sft * options.ftx;
  out.losses = losses;
  out.sft_losses = sft.detach();
  out.chosen_rewards = (chosen_ratio * beta).detach();
  out.rejected_rewards = (rejected_ratio * beta).detach();
  out.chosen_logps = policy_chosen.detach();
  out.rejected_logps = policy_rejected.detach();
  return out;
}

at::Tensor SequenceLogpsFromLogits(const at::Tensor& logits, const at::Tensor& input_ids,
                                   const at::Tensor& completion_mask) {
  DEEPER_REQUIRE(logits.dim() == 3 && input_ids.dim() == 2 && logits.size(0) == input_ids.size(0) &&
                     logits.size(1) == input_ids.size(1) && completion_mask.sizes() == input_ids.sizes(),
                 "SequenceLogpsFromLogits: expected logits [N,S,V], input_ids and completion_mask [N,S]");
  const int64_t s = input_ids.size(1);
  const at::Tensor logp = at::log_softmax(logits.slice(1, 0, s - 1).to(at::kFloat), -1);
  const at::Tensor targets = input_ids.slice(1, 1, s).to(at::kLong).unsqueeze(-1);
  const at::Tensor token_logp = logp.gather(-1, targets).squeeze(-1);
  const at::Tensor mask = completion_mask.slice(1, 1, s).to(at::kFloat);
  return (token_logp * mask).sum(-1);
}

}  // namespace deeper

// DPO losses (TRL / LLaMA-Factory conventions) on sequence log-probs.
//
// With r_w = logp_pi(y_w) - logp_ref(y_w), r_l likewise and d = r_w - r_l:
//   sigmoid: -(1 - eps) log s(beta d - gamma) - eps log s(-(beta d - gamma))   (eps = label smoothing)
//   hinge:   max(0, 1 - (beta d - gamma))
//   ipo:     (d - 1 / (2 beta))^2, on per-token AVERAGED log-probs (TRL divides by the completion length)
// gamma is an optional reward margin (0 = plain DPO); IPO's target already is a margin, so gamma is not
// applied to it. With ftx > 0 every pair adds ftx * (per-token NLL of the chosen completion), the
// pref_ftx of LLaMA-Factory. Rewards are beta * r (on averaged log-probs for IPO, as TRL reports them).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace deeper {

enum class DpoLossType { kSigmoid, kHinge, kIpo };

// "sigmoid", "hinge", "ipo"; throws deeper::Error otherwise.
DpoLossType ParseDpoLossType(const std::string& name);
const char* DpoLossTypeName(DpoLossType type);

struct DpoLossOptions {
  DpoLossType type = DpoLossType::kSigmoid;
  double beta = 0.1;
  double label_smoothing = 0.0;  // sigmoid only; in [0, 0.5).
  double gamma = 0.0;            // reward margin for sigmoid and hinge.
  double ftx = 0.0;              // weight of the SFT term on the chosen completion.
  // IPO on per-token averaged log-probs (TRL). false applies the formula to the summed log-probs
  // (what the reference golden reports as loss_ipo).
  bool ipo_token_average = true;
};

// Throws deeper::Error on out-of-range values (beta <= 0, label smoothing outside [0, 0.5), ...).
void ValidateDpoLossOptions(const DpoLossOptions& options);

// Per-pair inputs, all [B]: summed completion log-probs (policy ones carry autograd), and the
// completion token counts (float) used for IPO averaging and the SFT term.
struct DpoInputs {
  at::Tensor policy_chosen;
  at::Tensor policy_rejected;
  at::Tensor ref_chosen;
  at::Tensor ref_rejected;
  at::Tensor chosen_tokens;
  at::Tensor rejected_tokens;
};

struct DpoLossOutput {
  at::Tensor losses;            // [B] per-pair loss including the SFT term (differentiable).
  at::Tensor chosen_rewards;    // [B] beta * r_w, detached.
  at::Tensor rejected_rewards;  // [B] beta * r_l, detached.
  at::Tensor chosen_logps;      // [B] policy log-probs as the loss saw them (averaged for IPO), detached.
  at::Tensor rejected_logps;
  at::Tensor sft_losses;        // [B] per-token NLL of the chosen completion, detached.
};

DpoLossOutput ComputeDpoLoss(const DpoInputs& inputs, const DpoLossOptions& options);

// Sequence log-probs from full logits: logits [N,S,V] (any float dtype, upcast to fp32), input_ids
// [N,S], completion_mask [N,S] (non-zero where the token is a completion token). Token t's log-prob
// comes from the logits at t - 1, so position 0 never counts. Returns [N] fp32 sums.
at::Tensor SequenceLogpsFromLogits(const at::Tensor& logits, const at::Tensor& input_ids,
                                   const at::Tensor& completion_mask);

}  // namespace deeper

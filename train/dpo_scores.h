// The DPO numbers of single pairs under a policy and a separate reference model: the four sequence
// log-probs and the three losses, as the reference implementation's golden reports them.
#pragma once

#include <cstdint>
#include <string>

#include "train/pairs.h"

namespace deeper {

class Transformer;

struct DpoPairScores {
  double policy_chosen_logps = 0;
  double policy_rejected_logps = 0;
  double ref_chosen_logps = 0;
  double ref_rejected_logps = 0;
  int64_t chosen_tokens = 0;
  int64_t rejected_tokens = 0;
  double loss = 0;                // sigmoid
  double loss_ipo = 0;            // (d - 1/(2 beta))^2 on the summed log-probs (as the golden reports it)
  double loss_ipo_token_avg = 0;  // the same on per-token averaged log-probs (what training with ipo uses)
  double loss_hinge = 0;
};

// Scores one pair (no truncation) in one stacked forward per model, without autograd.
DpoPairScores ScoreDpoPair(const Transformer& policy, const Transformer& reference, const PreferencePair& pair,
                           double beta);

// One JSON line: policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, loss,
// loss_ipo, loss_hinge, loss_ipo_token_avg, chosen_tokens, rejected_tokens, beta.
std::string DpoPairScoresJson(const DpoPairScores& scores, double beta);

}  // namespace deeper

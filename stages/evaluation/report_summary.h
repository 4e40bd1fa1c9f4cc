// The figures of the evaluation report, computed from mae.csv rows. Reductions are relative MAE
// reductions averaged over rounds 1..R and then over domains (the paper's "average MAE reduction over
// four rounds" is a mean of per-domain reductions), so every domain weighs the same. Torch-free.
#pragma once

#include <string>
#include <vector>

#include "stages/evaluation/mae_table.h"

namespace deeper {

struct SummaryOptions {
  std::string base_method = "deeper_base";  // "relative to the base"
  // The persona baselines; the best of them (lowest mean ALL MAE over rounds 1..R) is "the best baseline".
  std::vector<std::string> baselines = {"full_regen", "slide_regen", "inc_update", "hier_merge"};
  // Methods that need no persona (sanity checks: a persona method that loses to them is not working).
  std::vector<std::string> trivial = {"prev_window_mean", "all_max"};
  // Domains the refiner was trained on; the others are "unseen". Empty: every domain is seen.
  std::vector<std::string> seen_domains;
};

// A mean over domains; `domains` = how many domains it covers (0: the value is NaN).
struct DomainMean {
  double value = 0.0;
  int domains = 0;
};

struct MethodSummary {
  std::string method;
  std::vector<double> all_mae;   // ALL-domain MAE of rounds 0..R.
  double mean_mae = 0.0;         // Mean ALL MAE over rounds 1..R.
  DomainMean vs_round0;          // mean_d mean_k (M[d,0] - M[d,k]) / M[d,0]
  DomainMean vs_round0_seen;     // the same over seen domains
  DomainMean vs_round0_unseen;   // and over unseen domains
  DomainMean vs_base;            // mean_d mean_k (B[d,k] - M[d,k]) / B[d,k], B = the base method
  DomainMean vs_best_baseline;   // the same against the best baseline
};

struct EvaluationSummary {
  int rounds = 0;  // R: the last round.
  std::vector<std::string> domains;
  std::vector<std::string> seen_domains;    // domains of the table that are seen
  std::vector<std::string> unseen_domains;  // and that are not
  std::string best_baseline;  // "" when no baseline was evaluated
  std::vector<MethodSummary> methods;
};

EvaluationSummary Summarize(const std::vector<MaeRow>& rows, const SummaryOptions& options);

// Mean over k = 1..R of (reference[d,k] - method[d,k]) / reference[d,k] for one domain, with
// reference = `reference_method`, or the method's own round 0 when reference_method is empty. NaN
// when a value is missing or a reference MAE is 0.
double MeanRelativeReduction(const std::vector<MaeRow>& rows, const std::string& method, const std::string& domain,
                             const std::string& reference_method, int rounds);

}  // namespace deeper

#include "stages/evaluation/report_summary.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace deeper {
namespace {

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Mean of the finite per-domain reductions over `domains`.
DomainMean MeanOverDomains(const std::vector<MaeRow>& rows, const std::string& method,
                           const std::vector<std::string>& domains, const std::string& reference, int rounds) {
  DomainMean mean;
  double sum = 0.0;
  for (const auto& domain : domains) {
    const double r = MeanRelativeReduction(rows, method, domain, reference, rounds);
    if (!std::isfinite(r)) continue;
    sum += r;
    ++mean.domains;
  }
  mean.value = mean.domains > 0 ? sum / mean.domains : std::nan("");
  return mean;
}

double MeanAllMae(const std::vector<MaeRow>& rows, const std::string& method, int rounds) {
  double sum = 0.0;
  for (int k = 1; k <= rounds; ++k) sum += MaeOf(rows, method, kAllDomains, k);
  return rounds > 0 ? sum / rounds : std::nan("");
}

}  // namespace

double MeanRelativeReduction(const std::vector<MaeRow>& rows, const std::string& method, const std::string& domain,
                             const std::string& reference_method, int rounds) {
  if (rounds < 1) return std::nan("");
  double sum = 0.0;
  for (int k = 1; k <= rounds; ++k) {
    const double reference = reference_method.empty() ? MaeOf(rows, method, domain, 0)
                                                      : MaeOf(rows, reference_method, domain, k);
    const double value = MaeOf(rows, method, domain, k);
    if (!std::isfinite(reference) || !std::isfinite(value) || reference == 0.0) return std::nan("");
    sum += (reference - value) / reference;
  }
  return sum / rounds;
}

EvaluationSummary Summarize(const std::vector<MaeRow>& rows, const SummaryOptions& options) {
  EvaluationSummary summary;
  summary.rounds = LastRound(rows);
  summary.domains = DomainsOf(rows);
  for (const auto& domain : summary.domains) {
    const bool seen = options.seen_domains.empty() || Contains(options.seen_domains, domain);
    (seen ? summary.seen_domains : summary.unseen_domains).push_back(domain);
  }
  const auto methods = MethodsOf(rows);
  double best = std::numeric_limits<double>::infinity();
  for (const auto& baseline : options.baselines) {
    if (!Contains(methods, baseline)) continue;
    const double mean = MeanAllMae(rows, baseline, summary.rounds);
    if (std::isfinite(mean) && mean < best) {
      best = mean;
      summary.best_baseline = baseline;
    }
  }
  const int R = summary.rounds;
  for (const auto& method : methods) {
    MethodSummary s;
    s.method = method;
    for (int k = 0; k <= R; ++k) s.all_mae.push_back(MaeOf(rows, method, kAllDomains, k));
    s.mean_mae = MeanAllMae(rows, method, R);
    s.vs_round0 = MeanOverDomains(rows, method, summary.domains, "", R);
    s.vs_round0_seen = MeanOverDomains(rows, method, summary.seen_domains, "", R);
    s.vs_round0_unseen = MeanOverDomains(rows, method, summary.unseen_domains, "", R);
    const bool has_base = Contains(methods, options.base_method);
    s.vs_base = has_base ? MeanOverDomains(rows, method, summary.domains, options.base_method, R) : DomainMean{std::nan(""), 0};
    s.vs_best_baseline = summary.best_baseline.empty()
                             ? DomainMean{std::nan(""), 0}
                             : MeanOverDomains(rows, method, summary.domains, summary.best_baseline, R);
    summary.methods.push_back(s);
  }
  return summary;
}

}  // namespace deeper

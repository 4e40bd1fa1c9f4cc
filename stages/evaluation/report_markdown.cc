#include "stages/evaluation/report_markdown.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>

#include "stages/evaluation/report_format.h"

namespace deeper {
namespace {

std::string Join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string text;
  for (size_t i = 0; i < parts.size(); ++i) text += (i ? separator : "") + parts[i];
  return text;
}

int64_t UsersOf(const std::vector<MaeRow>& rows, const std::string& domain) {
  for (const auto& row : rows) {
    if (row.domain == domain) return row.users;
  }
  return 0;
}

// The header and rule lines of a table with a column per round (and `extra` columns after them).
std::string RoundHeader(int rounds, const std::vector<std::string>& extra = {}) {
  std::string header = "| method |";
  std::string rule = "|---|";
  for (int k = 0; k <= rounds; ++k) {
    header += " round " + std::to_string(k) + " |";
    rule += "---:|";
  }
  for (const auto& column : extra) {
    header += " " + column + " |";
    rule += "---:|";
  }
  return header + "\n" + rule;
}

// One table row of MAE by round for `method` on `domain`.
std::string RoundRow(const std::vector<MaeRow>& rows, const std::string& method, const std::string& domain, int rounds) {
  std::string line = "| " + method + " |";
  for (int k = 0; k <= rounds; ++k) line += " " + FormatMae(MaeOf(rows, method, domain, k)) + " |";
  return line;
}

std::string Percent(const DomainMean& mean) { return FormatPercent(mean.value); }

void WriteOverview(std::ostringstream& out, const std::vector<MaeRow>& rows, const EvaluationSummary& summary) {
  out << "# DEEPER evaluation\n\n";
  out << summary.rounds << " rounds on " << UsersOf(rows, kAllDomains) << " users of " << summary.domains.size()
      << (summary.domains.size() == 1 ? " domain" : " domains") << ". Round k scores the persona after k updates (round 0: the initial persona S0) by the MAE of the\n"
      << "frozen predictor's ratings of the next window's items; a domain's MAE is averaged over items, then users;\n"
      << "`ALL` is the unweighted mean over domains. Lower is better.\n\n";
  out << "Seen domains: " << (summary.seen_domains.empty() ? "none" : Join(summary.seen_domains, ", ")) << ".  \n";
  out << "Unseen domains: " << (summary.unseen_domains.empty() ? "none" : Join(summary.unseen_domains, ", "))
      << ".\n\n";
}

void WriteAllDomains(std::ostringstream& out, const std::vector<MaeRow>& rows, const EvaluationSummary& summary) {
  out << "## MAE by round, all domains\n\n"
      << RoundHeader(summary.rounds, {"mean 1.." + std::to_string(summary.rounds)}) << "\n";
  for (const auto& m : summary.methods) {
    out << RoundRow(rows, m.method, kAllDomains, summary.rounds) << " " << FormatMae(m.mean_mae) << " |\n";
  }
  out << "\n";
}

void WriteReductions(std::ostringstream& out, const EvaluationSummary& summary, const SummaryOptions& options) {
  const std::string best = summary.best_baseline.empty() ? "none evaluated" : summary.best_baseline;
  out << "## Average MAE reduction over rounds 1.." << summary.rounds << "\n\n"
      << "Relative MAE reduction per round, averaged over the rounds, then over domains (positive = lower MAE).\n"
      << "`vs round 0`: against the method's own initial persona; `vs " << options.base_method
      << "`: against the refiner before DPO in the same round; `vs best baseline`: against " << best
      << ", the baseline with the lowest mean MAE.\n\n"
      << "| method | vs round 0 | seen domains | unseen domains | vs " << options.base_method << " | vs best baseline |\n"
      << "|---|---:|---:|---:|---:|---:|\n";
  for (const auto& m : summary.methods) {
    out << "| " << m.method << " | " << Percent(m.vs_round0) << " | " << Percent(m.vs_round0_seen) << " | "
        << Percent(m.vs_round0_unseen) << " | " << Percent(m.vs_base) << " | " << Percent(m.vs_best_baseline)
        << " |\n";
  }
  out << "\n";
}

// A persona method that loses to a baseline without persona is not working.
void WriteSanityCheck(std::ostringstream& out, const EvaluationSummary& summary, const SummaryOptions& options) {
  std::vector<const MethodSummary*> trivial, persona;
  for (const auto& m : summary.methods) {
    const bool is_trivial = std::find(options.trivial.begin(), options.trivial.end(), m.method) != options.trivial.end();
    (is_trivial ? trivial : persona).push_back(&m);
  }
  if (trivial.empty() || persona.empty()) return;
  out << "## Sanity check against the trivial baselines\n\n";
  for (const auto* t : trivial) {
    std::vector<std::string> losers;
    for (const auto* p : persona) {
      if (std::isfinite(p->mean_mae) && std::isfinite(t->mean_mae) && p->mean_mae > t->mean_mae) losers.push_back(p->method);
    }
    out << "- `" << t->method << "` (mean MAE " << FormatMae(t->mean_mae) << "): "
        << (losers.empty() ? "every persona method does better."
                           : "worse than it: " + Join(losers, ", ") + " (a persona method that loses to it is not working).")
        << "\n";
  }
  out << "\n";
}

void WritePerDomain(std::ostringstream& out, const std::vector<MaeRow>& rows, const EvaluationSummary& summary) {
  out << "## MAE by round per domain\n\n";
  for (const auto& domain : summary.domains) {
    const bool seen = std::find(summary.seen_domains.begin(), summary.seen_domains.end(), domain) != summary.seen_domains.end();
    out << "### " << domain << " (" << UsersOf(rows, domain) << " users, " << (seen ? "seen" : "unseen") << ")\n\n"
        << RoundHeader(summary.rounds) << "\n";
    for (const auto& m : summary.methods) out << RoundRow(rows, m.method, domain, summary.rounds) << "\n";
    out << "\n";
  }
}

}  // namespace

std::string RenderReportMarkdown(const std::vector<MaeRow>& rows, const SummaryOptions& options,
                                 const WorldReport* world) {
  const EvaluationSummary summary = Summarize(rows, options);
  std::ostringstream out;
  WriteOverview(out, rows, summary);
  WriteAllDomains(out, rows, summary);
  WriteReductions(out, summary, options);
  if (world) out << WorldReportMarkdown(*world);
  WriteSanityCheck(out, summary, options);
  WritePerDomain(out, rows, summary);
  return out.str();
}

}  // namespace deeper

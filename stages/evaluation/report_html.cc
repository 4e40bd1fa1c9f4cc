#include "stages/evaluation/report_html.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <sstream>

#include "stages/evaluation/report_format.h"
#include "stages/evaluation/svg_chart.h"

namespace deeper {
namespace {

constexpr char kStyle[] =
    "body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}"
    "table{border-collapse:collapse;margin:8px 0 20px}"
    "th,td{border:1px solid #ccc;padding:4px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "th{background:#f3f3f3}.grid{display:flex;flex-wrap:wrap;gap:12px}.note{color:#555}";

std::vector<std::string> RoundTicks(int rounds) {
  std::vector<std::string> ticks;
  for (int k = 0; k <= rounds; ++k) ticks.push_back(std::to_string(k));
  return ticks;
}

LineChart ChartOf(const std::vector<MaeRow>& rows, const EvaluationSummary& summary, const std::string& domain,
                  const std::string& title, int width, int height) {
  LineChart chart;
  chart.title = title;
  chart.x_label = "round";
  chart.y_label = "MAE";
  chart.x_ticks = RoundTicks(summary.rounds);
  chart.width = width;
  chart.height = height;
  for (size_t i = 0; i < summary.methods.size(); ++i) {
    const std::string& method = summary.methods[i].method;
    const MethodStyle style = StyleOfMethod(method, i);
    ChartSeries series{method, style.color, style.dashed, {}};
    for (int k = 0; k <= summary.rounds; ++k) series.values.push_back(MaeOf(rows, method, domain, k));
    chart.series.push_back(series);
  }
  return chart;
}

std::string Cell(const std::string& text) { return "<td class=\"n\">" + EscapeXml(text) + "</td>"; }

std::string RoundTable(const std::vector<MaeRow>& rows, const EvaluationSummary& summary, const std::string& domain) {
  std::ostringstream out;
  out << "<table><tr><th>method</th>";
  for (int k = 0; k <= summary.rounds; ++k) out << "<th>round " << k << "</th>";
  out << "</tr>\n";
  for (const auto& m : summary.methods) {
    out << "<tr><td>" << EscapeXml(m.method) << "</td>";
    for (int k = 0; k <= summary.rounds; ++k) out << Cell(FormatMae(MaeOf(rows, m.method, domain, k)));
    out << "</tr>\n";
  }
  out << "</table>\n";
  return out.str();
}

std::string ReductionTable(const EvaluationSummary& summary, const SummaryOptions& options) {
  std::ostringstream out;
  out << "<table><tr><th>method</th><th>mean MAE, rounds 1.." << summary.rounds
      << "</th><th>vs round 0</th><th>seen domains</th><th>unseen domains</th><th>vs "
      << EscapeXml(options.base_method) << "</th><th>vs best baseline</th></tr>\n";
  for (const auto& m : summary.methods) {
    out << "<tr><td>" << EscapeXml(m.method) << "</td>" << Cell(FormatMae(m.mean_mae)) << Cell(FormatPercent(m.vs_round0.value))
        << Cell(FormatPercent(m.vs_round0_seen.value)) << Cell(FormatPercent(m.vs_round0_unseen.value))
        << Cell(FormatPercent(m.vs_base.value)) << Cell(FormatPercent(m.vs_best_baseline.value)) << "</tr>\n";
  }
  out << "</table>\n";
  return out.str();
}

int64_t UsersOf(const std::vector<MaeRow>& rows, const std::string& domain) {
  for (const auto& row : rows) {
    if (row.domain == domain) return row.users;
  }
  return 0;
}

}  // namespace

MethodStyle StyleOfMethod(const std::string& method, size_t index) {
  static const std::map<std::string, MethodStyle> known = {
      {"deeper_iter2", {"#d62728", false}},   {"deeper_iter1", {"#ff7f0e", false}},
      {"deeper_base", {"#8c564b", false}},    {"full_regen", {"#1f77b4", false}},
      {"slide_regen", {"#17becf", false}},    {"inc_update", {"#2ca02c", false}},
      {"hier_merge", {"#9467bd", false}},     {"prev_window_mean", {"#555555", true}},
      {"all_max", {"#aaaaaa", true}},
  };
  auto it = known.find(method);
  if (it != known.end()) return it->second;
  static const char* const kOthers[] = {"#e377c2", "#bcbd22", "#7f7f7f", "#393b79", "#637939"};
  return {kOthers[index % 5], false};
}

std::string RenderReportHtml(const std::vector<MaeRow>& rows, const SummaryOptions& options, const WorldReport* world) {
  const EvaluationSummary summary = Summarize(rows, options);
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>DEEPER evaluation</title>\n"
      << "<style>" << kStyle << "</style>\n</head>\n<body>\n<h1>DEEPER evaluation</h1>\n";
  out << "<p class=\"note\">" << summary.rounds << " rounds on " << UsersOf(rows, kAllDomains) << " users of "
      << summary.domains.size() << (summary.domains.size() == 1 ? " domain" : " domains") << ". Round k scores the persona after k updates (round 0: the initial "
      << "persona) by the MAE of the frozen predictor's ratings of the next window; ALL is the unweighted mean "
      << "over domains. Lower is better. Best baseline: "
      << EscapeXml(summary.best_baseline.empty() ? "none evaluated" : summary.best_baseline) << ".</p>\n";
  out << "<h2>MAE by round, all domains</h2>\n"
      << RenderLineChartSvg(ChartOf(rows, summary, kAllDomains, "All domains (unweighted mean)", 780, 400));
  out << "<h2>Average MAE reduction over rounds 1.." << summary.rounds << "</h2>\n"
      << "<p class=\"note\">Relative MAE reduction per round, averaged over rounds, then domains; positive = lower "
      << "MAE.</p>\n"
      << ReductionTable(summary, options);
  if (world) out << WorldReportHtml(*world);
  out << "<h2>MAE by round per domain</h2>\n<div class=\"grid\">\n";
  for (const auto& domain : summary.domains) {
    const std::string title = domain + " (" + std::to_string(UsersOf(rows, domain)) + " users)";
    out << RenderLineChartSvg(ChartOf(rows, summary, domain, title, 500, 300));
  }
  out << "</div>\n<h2>Tables</h2>\n<h3>All domains</h3>\n" << RoundTable(rows, summary, kAllDomains);
  for (const auto& domain : summary.domains) {
    out << "<h3>" << EscapeXml(domain) << "</h3>\n" << RoundTable(rows, summary, domain);
  }
  out << "</body>\n</html>\n";
  return out.str();
}

}  // namespace deeper

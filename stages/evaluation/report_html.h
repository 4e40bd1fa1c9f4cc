// report.html: the report as one self-contained page - inline SVG charts of MAE by round per method
// (all domains, then one chart per domain) and the report's tables. No scripts, no external fonts,
// styles or images: it renders offline in any browser. Torch-free.
#pragma once

#include <string>
#include <vector>

#include "stages/evaluation/mae_table.h"
#include "stages/evaluation/report_summary.h"

namespace deeper {

std::string RenderReportHtml(const std::vector<MaeRow>& rows, const SummaryOptions& options);

// The colour and line style of a method in every chart: DEEPER methods solid and strong, persona
// baselines solid and muted, trivial baselines dashed grey tones. Stable across reports.
struct MethodStyle {
  std::string color;
  bool dashed = false;
};
MethodStyle StyleOfMethod(const std::string& method, size_t index);

}  // namespace deeper

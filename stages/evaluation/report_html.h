// report.html: the report as one self-contained page - inline SVG charts of MAE by round per method
// (all domains, then one chart per domain) and the report's tables. No scripts, no external fonts,
// styles or images: it renders offline in any browser. Torch-free.
#pragma once

#include <string>
#include <vector>

#include "stages/evaluation/mae_table.h"
#include "stages/evaluation/report_summary.h"
#include "stages/evaluation/world_report.h"

namespace deeper {

// With `world` (a run with the simulated world), a section on the world, the predictor gate and persona
// quality follows the reductions.
std::string RenderReportHtml(const std::vector<MaeRow>& rows, const SummaryOptions& options,
                             const WorldReport* world = nullptr);

// The colour and line style of a method in every chart: DEEPER methods solid and strong, persona
// baselines solid and muted, trivial baselines dashed grey tones. Stable across reports.
struct MethodStyle {
  std::string color;
  bool dashed = false;
};
MethodStyle StyleOfMethod(const std::string& method, size_t index);

}  // namespace deeper

// report.md: the evaluation in tables - MAE by round per method (all domains and per domain), the
// average MAE reduction over the rounds relative to round 0, to the base refiner and to the best
// baseline, seen against unseen domains, and a sanity check against the trivial baselines. Torch-free.
#pragma once

#include <string>
#include <vector>

#include "stages/evaluation/mae_table.h"
#include "stages/evaluation/report_summary.h"
#include "stages/evaluation/world_report.h"

namespace deeper {

// With `world` (a run with the simulated world), a section on the world, the predictor gate and persona
// quality follows the reductions.
std::string RenderReportMarkdown(const std::vector<MaeRow>& rows, const SummaryOptions& options,
                                 const WorldReport* world = nullptr);

}  // namespace deeper

// The evaluation stage: the eval users' personas over R rounds under every method of
// evaluation.methods (DEEPER before and after each DPO iteration, the four persona baselines and two
// trivial ones), all scored by the same frozen predictor.
//
// Round k (1..R): S_k = Update_method(S_{k-1}, W_k, ...), scored by MAE(Predict(S_k, items of
// W_{k+1}), U_{k+1}); round 0 scores S_0 (from init_persona) on W_1. Decoding is greedy.
//
// Stage directory:
//   <method>/shard-0000s-of-0000n.h5   the method's personas, predictions and errors per user of
//                                      context_building shard s (eval_records.h); the unit of resume
//   mae.csv                            method,domain,round,mae,users (+ domain ALL per method and round)
//   report.md, report.html             the summary (report_markdown.h, report_html.h)
// With world.enabled (the world stage is then an input; world_report.h):
//   predictor_gate.json                the predictor gate, recomputed with models.<prediction.model>
//   persona_quality.csv                method,round,taste_recall,taste_precision,malformed_rate,mean_tokens
//   persona_statements.csv             method,round,exact,other_level,wrong_sign,spurious,not_stated
#pragma once

#include <memory>

#include "pipeline/config.h"
#include "pipeline/stage.h"
#include "stages/evaluation/world_report.h"

namespace deeper {

inline constexpr char kEvaluation[] = "evaluation";

std::unique_ptr<Stage> MakeEvaluationStage(const Config& config);

// Reads every <method>/shard file of a finished evaluation directory and writes mae.csv, report.md
// and report.html next to them. `seen_domains` as in SummaryOptions; `world` adds the world's section.
void WriteEvaluationReports(const std::string& stage_dir, const std::vector<std::string>& methods,
                            const std::vector<std::string>& seen_domains, const WorldReport* world = nullptr);

}  // namespace deeper

// The simulated world's part of the evaluation (when the run has a `world` stage): what the world is,
// the predictor gate recomputed with the evaluation's predictor, and persona quality per method and
// round measured against the world's truth. Plain figures here, so the reports stay torch-free and
// testable; the evaluation stage fills them (stages/evaluation/stage.cc).
//
//   evaluation/predictor_gate.json   the gate (stages/warm_start/predictor_gate.h): true_persona_mae,
//                                    noise_floor_mae, empty_persona_mae, rule_agreement, thresholds, passed
//   evaluation/persona_quality.csv   method,round,taste_recall,taste_precision,malformed_rate,mean_tokens
//                                    (round k: persona S_k against the user's true tastes of window k,
//                                    the last window S_k has seen; means over the method's eval users)
//   evaluation/persona_statements.csv  method,round,exact,other_level,wrong_sign,spurious,not_stated
//                                    where the tastes go, per persona (world/persona_quality.h): what
//                                    precision and recall summarise
//   evaluation/reward_ranks.csv      iteration,rank,candidates,mean_reward,predictor_error,rule_error,
//                                    taste_recall,taste_precision,bias_accuracy,stated,exact,spurious,
//                                    malformed_rate: the training
//                                    candidates of reward_assignment_1/_2 by their reward's rank within
//                                    their context (0 = highest), against the truth of their window, so a
//                                    run shows whether the reward picks truer personas (reward_ranks.h)
#pragma once

#include <string>
#include <vector>

namespace deeper {

struct PersonaQualityRow {
  std::string method;
  int round = 0;
  int personas = 0;
  double taste_recall = 0.0;
  double taste_precision = 0.0;
  double malformed_rate = 0.0;
  double mean_tokens = 0.0;  // words of the persona (every world word is one token of the world's tokenizer)
  // Tastes per persona: stated at the true level, at another level of the true sign, with the wrong
  // sign, on a genre without a taste; true tastes not stated.
  double exact = 0.0;
  double other_level = 0.0;
  double wrong_sign = 0.0;
  double spurious = 0.0;
  double not_stated = 0.0;
};

// The header and one line per row, figures with 4 decimals.
std::string PersonaQualityCsv(const std::vector<PersonaQualityRow>& rows);
std::string PersonaStatementsCsv(const std::vector<PersonaQualityRow>& rows);

// The candidates of one DPO iteration at one reward rank within their context, measured against the
// truth of the context's window (means over the candidates).
struct RewardRankRow {
  int iteration = 0;
  int rank = 0;  // 0 = the highest reward of its context
  int candidates = 0;
  double mean_reward = 0.0;
  // Mean MAE over the context's three windows: the frozen predictor's (what the reward used) and the
  // world's rating rule's, both given the candidate persona; close when the predictor is faithful.
  double predictor_error = 0.0;
  double rule_error = 0.0;
  double taste_recall = 0.0;
  double taste_precision = 0.0;
  double bias_accuracy = 0.0;
  double stated = 0.0;  // stated tastes per persona (bias aside)
  double exact = 0.0;
  double spurious = 0.0;
  double malformed_rate = 0.0;
};

std::string RewardRanksCsv(const std::vector<RewardRankRow>& rows);

struct WorldReport {
  // The world (world.json's config and statistics).
  int train_users = 0;
  int eval_users = 0;
  int genres = 0;
  int window_length = 0;
  int min_tastes = 0;
  int max_tastes = 0;
  double noise = 0.0;
  double drift_fraction = 0.0;
  std::string persona_style;
  std::string example_persona;  // a true persona, to show the persona language
  // The predictor gate.
  int gate_users = 0;
  int gate_items = 0;
  double true_persona_mae = 0.0;
  double noise_floor_mae = 0.0;
  double empty_persona_mae = 0.0;
  double rule_agreement = 0.0;
  double min_rule_agreement = 0.0;
  double max_mae_above_noise_floor = 0.0;
  bool gate_passed = false;
  // Persona quality per method and round.
  std::vector<PersonaQualityRow> quality;
  // The training candidates by reward rank (empty when the run has no rewarded candidates).
  std::vector<RewardRankRow> reward_ranks;
};

// "## The simulated world" with the gate and the persona quality tables (Markdown).
std::string WorldReportMarkdown(const WorldReport& world);
// The same section for report.html.
std::string WorldReportHtml(const WorldReport& world);

}  // namespace deeper

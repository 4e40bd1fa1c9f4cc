// The predictor gate: is the frozen predictor faithful enough for rewards (and so DPO) to mean
// anything? Computed on eval users, each window rated from the user's TRUE persona of that window:
//   true_persona_mae   MAE of the predictor given the true persona
//   noise_floor_mae    MAE of the world's rule given the true persona (the best any predictor can do)
//   empty_persona_mae  MAE of the predictor given an empty persona (what reading nothing gives)
//   rule_agreement     share of items where the predictor's rating, rounded half up, equals the rule's
// It passes when rule_agreement >= min_rule_agreement and
// true_persona_mae <= noise_floor_mae + max_mae_above_noise_floor. Torch-free.
#pragma once

#include <string>
#include <vector>

namespace deeper {

struct GateThresholds {
  double min_rule_agreement = 0.9;
  double max_mae_above_noise_floor = 0.1;
};

// One rated item.
struct GateSample {
  double predicted = 0.0;        // the predictor, given the true persona
  double empty_predicted = 0.0;  // the predictor, given an empty persona
  double rule = 0.0;             // the world's rule (no noise), given the true persona
  double actual = 0.0;           // the user's rating
};

struct PredictorGate {
  int users = 0;
  int items = 0;
  double true_persona_mae = 0.0;
  double noise_floor_mae = 0.0;
  double empty_persona_mae = 0.0;
  double rule_agreement = 0.0;
  GateThresholds thresholds;
  bool passed = false;
  std::string verdict;  // one line: the figures and, when failing, which condition failed
};

// The gate over `samples` (non-empty; deeper::Error otherwise). `users` is recorded as given.
PredictorGate ComputePredictorGate(const std::vector<GateSample>& samples, int users, const GateThresholds& thresholds);

// predictor_gate.json: every field above (thresholds as min_rule_agreement, max_true_persona_mae).
std::string PredictorGateJson(const PredictorGate& gate);

// Round half up, as the world's rule rounds.
double RoundHalfUp(double value);

}  // namespace deeper

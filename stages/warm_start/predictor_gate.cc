#include "stages/warm_start/predictor_gate.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"

namespace deeper {

double RoundHalfUp(double value) { return std::floor(value + 0.5); }

PredictorGate ComputePredictorGate(const std::vector<GateSample>& samples, int users, const GateThresholds& thresholds) {
  DEEPER_REQUIRE(!samples.empty(), "predictor gate: no rated items to check the predictor on");
  PredictorGate gate;
  gate.users = users;
  gate.items = static_cast<int>(samples.size());
  gate.thresholds = thresholds;
  int agree = 0;
  for (const auto& s : samples) {
    gate.true_persona_mae += std::fabs(s.predicted - s.actual);
    gate.noise_floor_mae += std::fabs(s.rule - s.actual);
    gate.empty_persona_mae += std::fabs(s.empty_predicted - s.actual);
    agree += RoundHalfUp(s.predicted) == s.rule ? 1 : 0;
  }
  const double n = static_cast<double>(samples.size());
  gate.true_persona_mae /= n;
  gate.noise_floor_mae /= n;
  gate.empty_persona_mae /= n;
  gate.rule_agreement = agree / n;
  const double max_mae = gate.noise_floor_mae + thresholds.max_mae_above_noise_floor;
  const bool agreement_ok = gate.rule_agreement >= thresholds.min_rule_agreement;
  const bool mae_ok = gate.true_persona_mae <= max_mae;
  gate.passed = agreement_ok && mae_ok;
  std::ostringstream verdict;
  verdict.precision(4);
  verdict << "rule agreement " << gate.rule_agreement << " (need >= " << thresholds.min_rule_agreement
          << "), true-persona MAE " << gate.true_persona_mae << " (need <= " << max_mae << " = noise floor "
          << gate.noise_floor_mae << " + " << thresholds.max_mae_above_noise_floor << "), empty-persona MAE "
          << gate.empty_persona_mae << " over " << gate.items << " items of " << users << " users";
  if (!agreement_ok) verdict << "; FAILED: the predictor disagrees with the rating rule too often";
  if (!mae_ok) verdict << "; FAILED: the predictor's error with true personas is too far above the noise floor";
  gate.verdict = verdict.str();
  return gate;
}

std::string PredictorGateJson(const PredictorGate& gate) {
  nlohmann::ordered_json j;
  j["passed"] = gate.passed;
  j["true_persona_mae"] = gate.true_persona_mae;
  j["noise_floor_mae"] = gate.noise_floor_mae;
  j["empty_persona_mae"] = gate.empty_persona_mae;
  j["rule_agreement"] = gate.rule_agreement;
  j["min_rule_agreement"] = gate.thresholds.min_rule_agreement;
  j["max_true_persona_mae"] = gate.noise_floor_mae + gate.thresholds.max_mae_above_noise_floor;
  j["max_mae_above_noise_floor"] = gate.thresholds.max_mae_above_noise_floor;
  j["users"] = gate.users;
  j["items"] = gate.items;
  j["verdict"] = gate.verdict;
  return j.dump(2) + "\n";
}

}  // namespace deeper

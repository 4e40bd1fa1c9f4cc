#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "stages/warm_start/predictor_gate.h"

namespace deeper {
namespace {

TEST(PredictorGate, ComputesEveryFigureFromHandMadePredictions) {
  // predicted, empty_predicted, rule, actual
  const std::vector<GateSample> samples = {
      {4.4, 3.0, 4, 5},  // rounds to 4: agrees; |4.4-5| = .6
      {2.6, 3.0, 3, 3},  // rounds to 3: agrees; .4
      {1.4, 3.0, 2, 2},  // rounds to 1: disagrees; .6
      {4.5, 3.0, 5, 5},  // rounds half up to 5: agrees; .5
  };
  const PredictorGate gate = ComputePredictorGate(samples, 2, {0.7, 0.5});
  EXPECT_EQ(gate.items, 4);
  EXPECT_EQ(gate.users, 2);
  EXPECT_NEAR(gate.true_persona_mae, (0.6 + 0.4 + 0.6 + 0.5) / 4, 1e-12);
  EXPECT_NEAR(gate.noise_floor_mae, (1 + 0 + 0 + 0) / 4.0, 1e-12);
  EXPECT_NEAR(gate.empty_persona_mae, (2 + 0 + 1 + 2) / 4.0, 1e-12);
  EXPECT_NEAR(gate.rule_agreement, 0.75, 1e-12);
  EXPECT_TRUE(gate.passed) << gate.verdict;  // .525 <= .25 + .5 and .75 >= .7
}

TEST(PredictorGate, FailsOnEitherConditionAndSaysWhich) {
  const std::vector<GateSample> samples = {{3.0, 3.0, 4, 4}, {4.0, 3.0, 4, 4}};
  const PredictorGate low_agreement = ComputePredictorGate(samples, 1, {0.9, 10.0});
  EXPECT_FALSE(low_agreement.passed);
  EXPECT_NE(low_agreement.verdict.find("disagrees with the rating rule"), std::string::npos) << low_agreement.verdict;
  const PredictorGate high_mae = ComputePredictorGate(samples, 1, {0.0, 0.1});
  EXPECT_FALSE(high_mae.passed);
  EXPECT_NE(high_mae.verdict.find("too far above the noise floor"), std::string::npos) << high_mae.verdict;
  EXPECT_THROW(ComputePredictorGate({}, 0, {}), Error);
}

TEST(PredictorGate, JsonHasTheIssueFields) {
  const PredictorGate gate = ComputePredictorGate({{4.0, 3.0, 4, 5}}, 1, {});
  const auto j = nlohmann::json::parse(PredictorGateJson(gate));
  for (const char* key : {"true_persona_mae", "noise_floor_mae", "empty_persona_mae", "rule_agreement", "passed"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_DOUBLE_EQ(j["true_persona_mae"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["rule_agreement"].get<double>(), 1.0);
}

}  // namespace
}  // namespace deeper

#include "stages/evaluation/evaluation_options.h"

#include <cstdint>
#include <set>

#include "common/error.h"

namespace deeper {

EvaluationOptions EvaluationOptionsFromConfig(const Config& config) {
  EvaluationOptions options;
  std::set<std::string> seen;
  for (const auto& name : config.Get<std::vector<std::string>>("evaluation.methods")) {
    DEEPER_REQUIRE(seen.insert(name).second, config.source(), ": evaluation.methods lists '", name, "' twice");
    options.methods.push_back(MethodByName(name));
  }
  DEEPER_REQUIRE(!options.methods.empty(), config.source(), ": evaluation.methods is empty");
  options.rounds = config.Get<int>("evaluation.rounds");
  DEEPER_REQUIRE(options.rounds >= 1 && options.rounds <= 100, config.source(),
                 ": evaluation.rounds must be between 1 and 100, not ", options.rounds);
  options.splits = config.Get<std::vector<std::string>>("evaluation.splits");
  DEEPER_REQUIRE(!options.splits.empty(), config.source(), ": evaluation.splits is empty (no user would be evaluated)");
  options.max_users_per_domain = config.Get<int64_t>("evaluation.max_users_per_domain");
  DEEPER_REQUIRE(options.max_users_per_domain >= 0, config.source(), ": evaluation.max_users_per_domain must be >= 0");
  options.baseline_model = config.Get<std::string>("evaluation.baseline_model");
  DEEPER_REQUIRE(config.Has("models." + options.baseline_model), config.source(), ": evaluation.baseline_model '",
                 options.baseline_model, "' is not an entry of section models");
  options.seen_domains = config.Get<std::vector<std::string>>("evaluation.seen_domains");
  return options;
}

}  // namespace deeper

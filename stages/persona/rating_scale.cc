#include "stages/persona/rating_scale.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/error.h"
#include "stages/persona/prompts.h"

namespace deeper {
namespace {

DomainScale ParseScale(const YAML::Node& node, const std::string& where) {
  DEEPER_REQUIRE(node.IsMap(), where, ": expected a map {tokens, values, min, max, step}");
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    DEEPER_REQUIRE(key == "dataset_name" || key == "tokens" || key == "values" || key == "min" || key == "max" ||
                       key == "step",
                   where, ": unknown key '", key, "' (expected tokens, values, min, max, step)");
  }
  DomainScale scale;
  try {
    scale.tokens = node["tokens"].as<std::vector<std::string>>();
    scale.values = node["values"].as<std::vector<double>>();
    scale.min = node["min"].as<double>();
    scale.max = node["max"].as<double>();
    scale.step = node["step"].as<double>();
  } catch (const YAML::Exception&) {
    Fail(where, ": needs tokens (list of strings), values (list of numbers), min, max and step");
  }
  DEEPER_REQUIRE(!scale.tokens.empty() && scale.tokens.size() == scale.values.size(), where, ": ", scale.tokens.size(),
                 " tokens but ", scale.values.size(), " values");
  DEEPER_REQUIRE(scale.max > scale.min, where, ": max (", scale.max, ") must exceed min (", scale.min, ")");
  DEEPER_REQUIRE(scale.step > 0, where, ": step must be positive");
  return scale;
}

}  // namespace

std::string DomainScale::Text() const { return FormatRating(min) + " to " + FormatRating(max); }

const DomainScale& PredictionOptions::ScaleFor(const std::string& dataset_name) const {
  auto it = scales.find(dataset_name);
  return it == scales.end() ? default_scale : it->second;
}

PredictionOptions PredictionOptionsFromConfig(const Config& config) {
  PredictionOptions options;
  options.model = config.Get<std::string>("prediction.model");
  const std::string readout = config.Get<std::string>("prediction.readout");
  DEEPER_REQUIRE(readout == "expected" || readout == "argmax", config.source(),
                 ": prediction.readout must be expected or argmax, not '", readout, "'");
  options.readout = readout == "expected" ? Readout::kExpected : Readout::kArgmax;
  options.round_to_step = config.Get<bool>("prediction.round_to_step");
  options.clamp = config.Get<bool>("prediction.clamp");
  options.max_batch = config.Get<int64_t>("prediction.max_batch");
  options.max_batch_tokens = config.Get<int64_t>("prediction.max_batch_tokens");
  options.max_prefixes = config.Get<int64_t>("prediction.max_prefixes");
  DEEPER_REQUIRE(options.max_batch >= 1 && options.max_batch_tokens >= 0 && options.max_prefixes >= 1, config.source(),
                 ": prediction.max_batch and max_prefixes must be >= 1 and max_batch_tokens >= 0");
  options.default_scale = ParseScale(config.At("prediction.default_scale"), config.source() + ": prediction.default_scale");
  const YAML::Node scales = config.At("prediction.scales");
  DEEPER_REQUIRE(scales.IsSequence() || scales.IsNull(), config.source(), ": prediction.scales must be a list");
  for (size_t i = 0; i < scales.size(); ++i) {
    const std::string where = config.source() + ": prediction.scales[" + std::to_string(i) + "]";
    DEEPER_REQUIRE(scales[i].IsMap() && scales[i]["dataset_name"], where, ": missing dataset_name");
    const std::string name = scales[i]["dataset_name"].as<std::string>();
    DEEPER_REQUIRE(options.scales.emplace(name, ParseScale(scales[i], where)).second, where, ": dataset_name '", name,
                   "' listed twice");
  }
  return options;
}

double MapToScale(double readout, const DomainScale& scale, const PredictionOptions& options) {
  double value = readout;
  if (options.round_to_step) value = scale.min + std::round((value - scale.min) / scale.step) * scale.step;
  if (options.clamp) value = std::clamp(value, scale.min, scale.max);
  return value;
}

}  // namespace deeper

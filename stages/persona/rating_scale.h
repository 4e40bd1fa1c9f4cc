// Rating scales per domain and how the predictor's readout maps onto them (config section
// `prediction`). The predictor answers with one rating token ("1".."5", or "0".."5" for food_com);
// its probabilities over those tokens become a rating in the domain's scale. Torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/config.h"

namespace deeper {

struct DomainScale {
  std::vector<std::string> tokens;  // Texts of the rating tokens, each one token of the tokenizer.
  std::vector<double> values;       // The rating each token stands for (aligned with tokens).
  double min = 1.0;                 // The domain's rating range: clamping and reward normalisation.
  double max = 5.0;
  double step = 1.0;                // Granularity of true ratings (0.5 for MovieLens half stars).

  double range() const { return max - min; }
  // "1 to 5", "0.5 to 5": the {scale} value of prompts.
  std::string Text() const;
};

enum class Readout { kExpected, kArgmax };

struct PredictionOptions {
  std::string model = "predictor";  // Entry of `models` that predicts (frozen).
  Readout readout = Readout::kExpected;
  bool round_to_step = false;  // Round the readout to the scale's step (e.g. half stars).
  bool clamp = true;           // Clamp into [min, max] (token values may reach outside the domain).
  int64_t max_batch = 16;          // Item suffixes per forward pass.
  int64_t max_batch_tokens = 8192; // Cap on suffixes x padded length per forward (0 = none).
  int64_t max_prefixes = 8;        // Persona prefixes prefilled together (RatingPredictor::PredictMany).
  DomainScale default_scale;                  // For datasets without an entry in `scales`.
  std::map<std::string, DomainScale> scales;  // By dataset_name.

  const DomainScale& ScaleFor(const std::string& dataset_name) const;
};

// Reads section `prediction`; a scale whose tokens and values differ in length, or with max <= min,
// is an error naming its key.
PredictionOptions PredictionOptionsFromConfig(const Config& config);

// A readout (expected value or argmax value) mapped to the domain: rounded and clamped per options.
double MapToScale(double readout, const DomainScale& scale, const PredictionOptions& options);

}  // namespace deeper

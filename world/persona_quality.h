// Persona quality against the truth, measured directly rather than through prediction error (a
// predictor that ignores tastes makes MAE blind to them).
//
// A "statement" is the rater bias (always stated by a well-formed persona, "fair" included) or one
// non-zero taste. It is correct when it names the true level exactly.
//   taste_recall    = correct statements / (true tastes + 1)
//   taste_precision = correct statements / (stated tastes + 1)
// A malformed persona states nothing: recall and precision are 0.
#pragma once

#include <string>
#include <string_view>

#include "world/lexicon.h"
#include "world/tastes.h"
#include "world/world_config.h"

namespace deeper::world {

struct PersonaQuality {
  bool malformed = false;
  std::string error;        // the parser's reason when malformed
  int words = 0;            // space-separated words (= tokens of the world's tokenizer)
  int true_statements = 0;  // true tastes + 1
  int stated = 0;           // stated tastes + 1; 0 when malformed
  int correct = 0;
  int wrong_sign = 0;       // stated tastes whose sign is opposite to the truth
  // Where the tastes go (bias aside): stated at the true level, at another level of the true sign, on a
  // genre without a taste; and true tastes left unstated. exact + other_level + wrong_sign + spurious
  // is the stated tastes; exact + other_level + wrong_sign + not_stated the true ones.
  int exact = 0;
  int other_level = 0;
  int spurious = 0;
  int not_stated = 0;
  bool bias_correct = false;
  double taste_recall = 0.0;
  double taste_precision = 0.0;
};

// Quality of stated tastes (a parsed persona) against the truth.
PersonaQuality CompareTastes(const Tastes& stated, const Tastes& truth);

// Parses `persona` and compares it with `truth`.
PersonaQuality MeasurePersona(std::string_view persona, const Tastes& truth, const Lexicon& lexicon, PersonaStyle style);

// Means over many personas (malformed ones count with recall and precision 0).
struct PersonaQualitySummary {
  int count = 0;
  int malformed = 0;
  double recall_sum = 0.0;
  double precision_sum = 0.0;
  double words_sum = 0.0;
  // Sums of PersonaQuality's statement counts (malformed personas state nothing).
  double exact_sum = 0.0, other_level_sum = 0.0, wrong_sign_sum = 0.0, spurious_sum = 0.0, not_stated_sum = 0.0;

  void Add(const PersonaQuality& quality);
  double malformed_rate() const { return count ? static_cast<double>(malformed) / count : 0.0; }
  double mean_recall() const { return count ? recall_sum / count : 0.0; }
  double mean_precision() const { return count ? precision_sum / count : 0.0; }
  double mean_words() const { return count ? words_sum / count : 0.0; }
  double PerPersona(double sum) const { return count ? sum / count : 0.0; }
};

}  // namespace deeper::world

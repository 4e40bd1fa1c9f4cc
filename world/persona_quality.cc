#include "world/persona_quality.h"

#include "common/error.h"
#include "world/persona.h"

namespace deeper::world {

PersonaQuality CompareTastes(const Tastes& stated, const Tastes& truth) {
  DEEPER_REQUIRE(stated.num_genres() == truth.num_genres(), "persona quality: ", stated.num_genres(),
                 " stated genres against ", truth.num_genres(), " true ones");
  PersonaQuality q;
  q.true_statements = truth.CountTastes() + 1;
  q.stated = stated.CountTastes() + 1;
  q.bias_correct = stated.bias == truth.bias;
  q.correct = q.bias_correct ? 1 : 0;
  for (int g = 0; g < truth.num_genres(); ++g) {
    const int s = stated.affinity[g];
    const int t = truth.affinity[g];
    if (s == 0) {
      q.not_stated += t != 0 ? 1 : 0;
    } else if (t == 0) {
      ++q.spurious;
    } else if (s == t) {
      ++q.exact;
    } else if (static_cast<long>(s) * t < 0) {
      ++q.wrong_sign;
    } else {
      ++q.other_level;
    }
  }
  q.correct += q.exact;
  q.taste_recall = static_cast<double>(q.correct) / q.true_statements;
  q.taste_precision = static_cast<double>(q.correct) / q.stated;
  return q;
}

PersonaQuality MeasurePersona(std::string_view persona, const Tastes& truth, const Lexicon& lexicon,
                              PersonaStyle style) {
  const PersonaParse parse = ParsePersona(persona, lexicon, style);
  PersonaQuality q;
  if (parse.ok) {
    q = CompareTastes(parse.tastes, truth);
  } else {
    q.malformed = true;
    q.error = parse.error;
    q.true_statements = truth.CountTastes() + 1;
    q.not_stated = truth.CountTastes();
  }
  q.words = PersonaWordCount(persona);
  return q;
}

void PersonaQualitySummary::Add(const PersonaQuality& quality) {
  ++count;
  malformed += quality.malformed ? 1 : 0;
  recall_sum += quality.taste_recall;
  precision_sum += quality.taste_precision;
  words_sum += quality.words;
  exact_sum += quality.exact;
  other_level_sum += quality.other_level;
  wrong_sign_sum += quality.wrong_sign;
  spurious_sum += quality.spurious;
  not_stated_sum += quality.not_stated;
}

}  // namespace deeper::world

// The persona language: rendering and parsing are inverse, every deviation from the grammar is
// malformed with a reason that names the clause, and quality metrics count what they promise.
#include <gtest/gtest.h>

#include "world/keyed_rng.h"
#include "world/persona.h"
#include "world/persona_quality.h"

namespace deeper::world {
namespace {

const Lexicon kLexicon(10);

Tastes Make(int bias, std::initializer_list<std::pair<int, int>> tastes) {
  Tastes t(10);
  t.bias = bias;
  for (const auto& [genre, level] : tastes) t.affinity[genre] = level;
  return t;
}

TEST(PersonaTest, RendersInFixedOrder) {
  // genre 0 = comedy, 1 = horror, 5 = scifi
  const Tastes t = Make(1, {{5, -1}, {0, 2}, {1, -2}});
  EXPECT_EQ(RenderPersona(t, kLexicon, PersonaStyle::kSparse),
            "generous rater . loves comedy . hates horror . dislikes scifi .");
  EXPECT_EQ(RenderPersona(Make(0, {}), kLexicon, PersonaStyle::kSparse), "fair rater .");
  EXPECT_EQ(RenderPersona(Make(-1, {{1, 1}}), kLexicon, PersonaStyle::kDense),
            "harsh rater . ignores comedy . likes horror . ignores romance . ignores action . ignores drama . "
            "ignores scifi . ignores fantasy . ignores mystery . ignores western . ignores musical .");
}

TEST(PersonaTest, ParseInvertsRenderForBothStyles) {
  KeyedRng rng(3);
  for (PersonaStyle style : {PersonaStyle::kSparse, PersonaStyle::kDense}) {
    for (int i = 0; i < 500; ++i) {
      Tastes t(10);
      t.bias = rng.UniformRange(-1, 1);
      for (int& a : t.affinity) a = rng.Bernoulli(0.3) ? rng.UniformRange(-2, 2) : 0;
      const std::string text = RenderPersona(t, kLexicon, style);
      const PersonaParse parse = ParsePersona(text, kLexicon, style);
      ASSERT_TRUE(parse.ok) << text << ": " << parse.error;
      EXPECT_EQ(parse.tastes, t) << text;
      EXPECT_EQ(PersonaWordCount(text), 3 * (1 + (style == PersonaStyle::kDense ? 10 : t.CountTastes())));
    }
  }
  // Outer whitespace, as generation leaves it, is fine.
  EXPECT_TRUE(ParsePersona("  fair rater . likes drama .\n", kLexicon, PersonaStyle::kSparse).ok);
}

std::string ErrorOf(const std::string& text, PersonaStyle style = PersonaStyle::kSparse) {
  const PersonaParse parse = ParsePersona(text, kLexicon, style);
  EXPECT_FALSE(parse.ok) << "accepted: " << text;
  return parse.error;
}

void ExpectError(const std::string& text, const std::string& needle, PersonaStyle style = PersonaStyle::kSparse) {
  const std::string error = ErrorOf(text, style);
  EXPECT_NE(error.find(needle), std::string::npos) << "'" << text << "' -> " << error;
}

TEST(PersonaTest, MalformedPersonasSayWhy) {
  ExpectError("", "empty persona");
  ExpectError(" \n ", "empty persona");
  ExpectError("fair rater . loves comedy", "last clause ('loves comedy') does not end with ' .'");
  ExpectError("fair rater.", "does not end with ' .'");
  ExpectError("fair rater .  loves comedy .", "two spaces");
  ExpectError("fair rater .\nloves comedy .", "line break");
  ExpectError("loves comedy .", "clause 1 ('loves comedy .'): a persona starts with");
  ExpectError("kind rater .", "clause 1");
  ExpectError("fair rater . . loves comedy .", "clause 2 is empty");
  ExpectError("fair rater . adores comedy .", "clause 2 ('adores comedy .'): unknown level 'adores'");
  ExpectError("fair rater . loves jazz .", "unknown genre 'jazz'");
  ExpectError("fair rater . loves western . hates comedy .", "genre 'comedy' after 'western'");
  ExpectError("fair rater . loves comedy . hates comedy .", "genre 'comedy' stated twice");
  ExpectError("fair rater . loves comedy horror .", "3 words");
  ExpectError("fair rater . generous rater .", "a second rater clause");
  ExpectError("fair rater . ignores comedy .", "'ignores' belongs to dense personas");
  // Genres outside the world's 10 are unknown even if the table has them.
  ExpectError("fair rater . loves thriller .", "unknown genre 'thriller'");
  // Item words are not genre names in personas.
  ExpectError("fair rater . loves funny .", "unknown genre 'funny'");
  ExpectError("fair rater . ignores comedy . likes romance .", "expected genre 'horror' here", PersonaStyle::kDense);
  ExpectError("fair rater . ignores comedy .", "states all 10 genres; this one states 1", PersonaStyle::kDense);
}

TEST(PersonaQualityTest, CountsCorrectStatements) {
  const Tastes truth = Make(1, {{0, 2}, {1, -2}, {5, -1}});  // 3 tastes + bias = 4 statements
  PersonaQuality exact = MeasurePersona(RenderPersona(truth, kLexicon, PersonaStyle::kSparse), truth, kLexicon,
                                        PersonaStyle::kSparse);
  EXPECT_FALSE(exact.malformed);
  EXPECT_EQ(exact.taste_recall, 1.0);
  EXPECT_EQ(exact.taste_precision, 1.0);
  EXPECT_EQ(exact.words, 12);

  // Bias right, comedy right, horror weaker (wrong level), an invented drama taste, scifi missing.
  const PersonaQuality q = MeasurePersona("generous rater . loves comedy . dislikes horror . likes drama .", truth,
                                          kLexicon, PersonaStyle::kSparse);
  EXPECT_EQ(q.correct, 2);
  EXPECT_EQ(q.true_statements, 4);
  EXPECT_EQ(q.stated, 4);
  EXPECT_DOUBLE_EQ(q.taste_recall, 0.5);
  EXPECT_DOUBLE_EQ(q.taste_precision, 0.5);
  EXPECT_EQ(q.wrong_sign, 0);
  EXPECT_TRUE(q.bias_correct);
  EXPECT_EQ(q.exact, 1);        // comedy
  EXPECT_EQ(q.other_level, 1);  // horror: dislikes for hates
  EXPECT_EQ(q.spurious, 1);     // drama
  EXPECT_EQ(q.not_stated, 1);   // the sixth genre

  const PersonaQuality flipped = MeasurePersona("harsh rater . hates comedy .", truth, kLexicon, PersonaStyle::kSparse);
  EXPECT_EQ(flipped.correct, 0);
  EXPECT_EQ(flipped.wrong_sign, 1);
  EXPECT_EQ(flipped.exact + flipped.other_level + flipped.spurious, 0);
  EXPECT_EQ(flipped.not_stated, 2);
  EXPECT_FALSE(flipped.bias_correct);
  PersonaQualitySummary statements;
  statements.Add(q);
  statements.Add(flipped);
  statements.Add(MeasurePersona("not a persona", truth, kLexicon, PersonaStyle::kSparse));  // states nothing
  EXPECT_DOUBLE_EQ(statements.PerPersona(statements.not_stated_sum), (1 + 2 + 3) / 3.0);
  EXPECT_DOUBLE_EQ(statements.PerPersona(statements.wrong_sign_sum), 1 / 3.0);
  EXPECT_EQ(flipped.taste_recall, 0.0);

  // "fair rater ." for a fair user without tastes is perfect.
  const Tastes empty = Make(0, {});
  const PersonaQuality plain = MeasurePersona("fair rater .", empty, kLexicon, PersonaStyle::kSparse);
  EXPECT_EQ(plain.taste_recall, 1.0);
  EXPECT_EQ(plain.taste_precision, 1.0);

  const PersonaQuality broken = MeasurePersona("loves everything", truth, kLexicon, PersonaStyle::kSparse);
  EXPECT_TRUE(broken.malformed);
  EXPECT_FALSE(broken.error.empty());
  EXPECT_EQ(broken.taste_recall, 0.0);
  EXPECT_EQ(broken.taste_precision, 0.0);
  EXPECT_EQ(broken.words, 2);

  PersonaQualitySummary summary;
  summary.Add(exact);
  summary.Add(q);
  summary.Add(broken);
  EXPECT_EQ(summary.count, 3);
  EXPECT_NEAR(summary.malformed_rate(), 1.0 / 3, 1e-12);
  EXPECT_NEAR(summary.mean_recall(), 0.5, 1e-12);
  EXPECT_NEAR(summary.mean_words(), (12 + 12 + 2) / 3.0, 1e-12);
}

TEST(PersonaQualityTest, DenseIgnoresAreNotStatements) {
  const Tastes truth = Make(0, {{2, 1}});
  const PersonaQuality q = MeasurePersona(RenderPersona(truth, kLexicon, PersonaStyle::kDense), truth, kLexicon,
                                          PersonaStyle::kDense);
  EXPECT_EQ(q.stated, 2);
  EXPECT_EQ(q.taste_precision, 1.0);
  EXPECT_EQ(q.words, 33);
}

}  // namespace
}  // namespace deeper::world

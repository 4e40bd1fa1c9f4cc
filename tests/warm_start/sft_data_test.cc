#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "stages/persona/rating_scale.h"
#include "stages/warm_start/sft_data.h"
#include "test_support.h"
#include "world/persona.h"
#include "world/world_tokenizer.h"

namespace deeper {
namespace {

class SftDataTest : public ::testing::Test {
 protected:
  SftDataTest()
      : config_(testing::QuickstartWorldConfig({"world.train_users=8", "world.eval_users=2"})),
        world_(world::ParseWorldSettings("train_users=8,eval_users=2")),
        files_(world::BuildWorldTokenizer(world_.lexicon(), world_.config().item_type)),
        tokenizer_(Tokenizer::FromJson(files_.tokenizer_json, files_.tokenizer_config_json, "world tokenizer")),
        teachers_(world_.lexicon(), world_.config().persona_style),
        renderer_(tokenizer_, "llama3", PromptSetFromConfig(config_)) {}

  WorldTaskContext Task() const { return {&world_, &teachers_, &renderer_, "1 to 5", 9}; }

  Config config_;
  world::SimWorld world_;
  world::TokenizerFiles files_;
  Tokenizer tokenizer_;
  world::PersonaTeachers teachers_;
  PromptRenderer renderer_;
};

TEST_F(SftDataTest, PredictorTargetsAreOneRatingTokenAndVaried) {
  PredictorDataOptions options;
  options.examples = 400;
  const auto examples = PredictorExamples(Task(), options);
  ASSERT_EQ(examples.size(), 400u);
  std::set<std::string> ratings;
  for (const auto& e : examples) {
    ASSERT_EQ(e.completion.size(), 2u);
    EXPECT_EQ(e.completion[1], renderer_.end_of_turn());
    ratings.insert(tokenizer_.Decode({static_cast<int32_t>(e.completion[0])}, false));
  }
  EXPECT_EQ(ratings, (std::set<std::string>{"1", "2", "3", "4", "5"}));
  const auto again = PredictorExamples(Task(), options);  // deterministic
  for (size_t i = 0; i < examples.size(); ++i) {
    EXPECT_EQ(examples[i].prompt, again[i].prompt);
    EXPECT_EQ(examples[i].completion, again[i].completion);
  }
}

// Packed examples: one persona prompt, then per item the rest of the unpacked conversation.
TEST_F(SftDataTest, PackedPredictorExamplesContinueOnePersonaPrompt) {
  PredictorDataOptions options;
  options.examples = 60;
  options.items_per_persona = 5;
  options.curriculum_share = 0.5;
  const auto examples = PredictorExamples(Task(), options);
  ASSERT_EQ(examples.size(), 60u);
  for (size_t i = 0; i < examples.size(); ++i) {
    const SftExample& e = examples[i];
    ASSERT_TRUE(e.packed());
    ASSERT_EQ(e.branches.size(), 5u);
    EXPECT_TRUE(e.completion.empty());
    const std::string prompt = tokenizer_.Decode(std::vector<int32_t>(e.prompt.begin(), e.prompt.end()), false);
    const size_t at = prompt.find("persona : ");
    ASSERT_NE(at, std::string::npos) << prompt;
    const std::string persona = prompt.substr(at + 10, prompt.find("<|eot_id|>") - at - 10);
    const auto parse = world::ParsePersona(persona, world_.lexicon(), world_.config().persona_style);
    if (i < 30) {  // the curriculum: one stated taste
      ASSERT_TRUE(parse.ok) << persona;
      EXPECT_EQ(parse.tastes.CountTastes(), 1) << persona;
    }
    for (const auto& b : e.branches) {
      ASSERT_EQ(b.completion.size(), 2u);
      EXPECT_EQ(b.completion[1], renderer_.end_of_turn());
      // prefix + branch is the unpacked conversation of some item: it ends with the generation prompt.
      std::vector<int64_t> whole = e.prompt;
      whole.insert(whole.end(), b.prompt.begin(), b.prompt.end());
      const std::string text = tokenizer_.Decode(std::vector<int32_t>(whole.begin(), whole.end()), false);
      EXPECT_NE(text.find("rate "), std::string::npos) << text;
      const std::string tail = "assistant<|end_header_id|>\n\n";
      EXPECT_EQ(text.substr(text.size() - tail.size()), tail) << text;
    }
  }
}

TEST_F(SftDataTest, RefinerCompletionsAreWellFormedPersonas) {
  RefinerDataOptions options;
  RefinerDataCounts counts;
  const auto examples = RefinerExamples(Task(), options, &counts);
  const int64_t users = 8, rounds = 4;  // train windows W0..W4: refine rounds 1..4
  EXPECT_EQ(counts.init, users * options.init_samples);
  EXPECT_EQ(counts.refine, users * rounds * options.refine_samples);
  EXPECT_GT(counts.hierarchical_merge, 0);
  EXPECT_LT(counts.hierarchical_merge, users * rounds);  // baseline_share 0.5 of the contexts
  EXPECT_EQ(counts.hierarchical_merge, counts.full_regeneration);
  for (const auto& e : examples) {
    ASSERT_EQ(e.completion.back(), renderer_.end_of_turn());
    std::vector<int32_t> ids(e.completion.begin(), e.completion.end() - 1);
    const std::string persona = tokenizer_.Decode(ids, false);
    EXPECT_TRUE(world::ParsePersona(persona, world_.lexicon(), world_.config().persona_style).ok) << persona;
  }
}

// The decoded prompt of every example, in order.
std::vector<std::string> Prompts(const Tokenizer& tokenizer, const std::vector<SftExample>& examples) {
  std::vector<std::string> out;
  for (const auto& e : examples) out.push_back(tokenizer.Decode(std::vector<int32_t>(e.prompt.begin(), e.prompt.end()), false));
  return out;
}

// Extra users feed the same tasks with windows the train split does not have.
TEST_F(SftDataTest, ExtraUsersAddWindowsOutsideTheTrainSplit) {
  RefinerDataOptions options;
  RefinerDataCounts counts;
  const auto base = RefinerExamples(Task(), options);
  options.extra_users = 5;
  const auto examples = RefinerExamples(Task(), options, &counts);
  EXPECT_EQ(counts.init, (8 + 5) * options.init_samples);
  EXPECT_EQ(counts.refine, (8 + 5) * 4 * options.refine_samples);
  ASSERT_GT(examples.size(), base.size());
  const auto before = Prompts(tokenizer_, base), after = Prompts(tokenizer_, examples);
  const std::set<std::string> train(before.begin(), before.end());
  // The train users' examples come first and unchanged; the extra users' windows are new.
  EXPECT_TRUE(std::equal(before.begin(), before.end(), after.begin()));
  int64_t new_prompts = 0;
  for (size_t i = before.size(); i < after.size(); ++i) new_prompts += train.count(after[i]) == 0;
  EXPECT_EQ(new_prompts, static_cast<int64_t>(after.size() - before.size()));
}

TEST_F(SftDataTest, CorruptedPersonasAreRejectedByTheGrammar) {
  world::KeyedRng rng(4);
  for (int i = 0; i < 50; ++i) {
    const std::string valid = world::RenderPersona(RandomTastes(world_.lexicon().num_genres(), &rng), world_.lexicon(),
                                                   world_.config().persona_style);
    const std::string bad = CorruptPersona(valid, world_.lexicon(), world_.config().persona_style, &rng);
    EXPECT_FALSE(world::ParsePersona(bad, world_.lexicon(), world_.config().persona_style).ok) << bad;
  }
}

}  // namespace
}  // namespace deeper

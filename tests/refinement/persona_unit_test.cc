// The torch-free pieces of the persona library and the refinement stages: templates, prompt texts,
// rating scales, persona cleaning, the reward, pair mining rules, the DPO configuration and the
// config keys each stage declares.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "common/error.h"
#include "pipeline/config.h"
#include "stages/persona/persona_text.h"
#include "stages/persona/prediction.h"
#include "stages/persona/prompt_template.h"
#include "stages/persona/prompts.h"
#include "stages/persona/rating_scale.h"
#include "stages/refinement/dpo_config.h"
#include "stages/refinement/pair_rules.h"
#include "stages/refinement/reward.h"
#include "stages/refinement/stages.h"

namespace deeper {
namespace {

Config Defaults(const std::vector<std::string>& overrides = {}) {
  return Config::FromText("models: {refiner: {path: /models/r}, predictor: {path: /models/p}}", "test", overrides);
}

TEST(PersonaPromptTemplate, SubstitutesPlaceholdersAndBraces) {
  EXPECT_EQ(RenderTemplate("a {x} b {{y}} {x}", {{"x", "1"}}, "t"), "a 1 b {y} 1");
  EXPECT_THROW(RenderTemplate("a {z}", {{"x", "1"}}, "t"), Error);
  EXPECT_THROW(RenderTemplate("a {x", {{"x", "1"}}, "t"), Error);
  EXPECT_THROW(RenderTemplate("a } b", {}, "t"), Error);
  EXPECT_EQ(TemplatePlaceholders("{a}{b}{a}", "t"), (std::vector<std::string>{"a", "b"}));
}

TEST(PersonaPrompts, DefaultsRenderAndTyposAreRefused) {
  const PromptSet set = PromptSetFromConfig(Defaults());
  EXPECT_NE(set.refine.find("{persona}"), std::string::npos);
  EXPECT_THROW(PromptSetFromConfig(Defaults({"prompts.refine=Old {persona} new {itmes}"})), Error);
  EXPECT_EQ(FormatRating(4.0), "4");
  EXPECT_EQ(FormatRating(3.5), "3.5");
  EXPECT_EQ(FormatRating(0.0), "0");
  EXPECT_EQ(FormatRatedItems(set, {"A", "B"}, {5, 0.5}), "- A: 5\n- B: 0.5");
  EXPECT_EQ(FormatRefinementItems(set, {"A"}, {4}, {3.26}), "- A: actual 4, predicted 3.3");
  EXPECT_THROW(FormatRatedItems(set, {"A"}, {}), Error);
}

TEST(PersonaPrompts, ItemLinesFollowTheirTemplates) {
  const PromptSet set = PromptSetFromConfig(
      Defaults({"prompts.rated_item=\"{rating} : {item}\"", "prompts.refinement_item=\"{rating} {predicted} : {item}\""}));
  EXPECT_EQ(FormatRatedItems(set, {"A b", "C"}, {5, 0.5}), "5 : A b\n0.5 : C");
  EXPECT_EQ(FormatRefinementItems(set, {"A"}, {4}, {3.26}), "4 3.3 : A");
  // An item line takes only its own values: {items} or a typo is refused when the config is read.
  EXPECT_THROW(PromptSetFromConfig(Defaults({"prompts.rated_item=\"{items}\""})), Error);
  EXPECT_THROW(PromptSetFromConfig(Defaults({"prompts.refinement_item=\"{item} {prediction}\""})), Error);
}

TEST(PersonaRatingScale, PerDatasetScalesAndMapping) {
  const PredictionOptions options = PredictionOptionsFromConfig(Defaults());
  EXPECT_EQ(options.ScaleFor("food_com").tokens.front(), "0");
  EXPECT_EQ(options.ScaleFor("food_com").range(), 5.0);
  EXPECT_EQ(options.ScaleFor("movielens_20m").min, 0.5);
  EXPECT_EQ(options.ScaleFor("movielens_20m").Text(), "0.5 to 5");
  EXPECT_EQ(options.ScaleFor("amazon_books").range(), 4.0);  // the default 1..5
  PredictionOptions rounding = options;
  rounding.round_to_step = true;
  EXPECT_DOUBLE_EQ(MapToScale(3.74, options.ScaleFor("movielens_20m"), rounding), 3.5);
  EXPECT_DOUBLE_EQ(MapToScale(3.76, options.ScaleFor("movielens_20m"), rounding), 4.0);
  EXPECT_DOUBLE_EQ(MapToScale(0.2, options.ScaleFor("movielens_20m"), options), 0.5);  // clamped
  EXPECT_THROW(PredictionOptionsFromConfig(Defaults({"prediction.readout=mode"})), Error);
  EXPECT_THROW(PredictionOptionsFromConfig(Defaults({"prediction.scales=[{dataset_name: x, tokens: [\"1\"], "
                                                     "values: [1, 2], min: 1, max: 5, step: 1}]"})),
               Error);
}

TEST(PersonaText, FlagsAreSetNotDropped) {
  PersonaTextOptions options;
  options.max_chars = 40;
  options.min_chars = 10;
  EXPECT_EQ(CleanPersonaText("  Likes hearty stews.  ", true, options).text, "Likes hearty stews.");
  EXPECT_EQ(CleanPersonaText("  Likes hearty stews.  ", true, options).flags, 0);
  EXPECT_EQ(CleanPersonaText(" \n ", true, options).flags, kPersonaEmpty);
  EXPECT_EQ(CleanPersonaText("Short", false, options).flags, kPersonaTruncated | kPersonaTooShort);
  const CleanPersona clipped = CleanPersonaText("A very long persona text that keeps going and going on", true, options);
  EXPECT_TRUE(clipped.flags & kPersonaClipped);
  EXPECT_LE(clipped.text.size(), 40u);
  EXPECT_EQ(clipped.text, "A very long persona text that keeps");  // cut at a word boundary
  PersonaTextOptions wide;
  EXPECT_TRUE(CleanPersonaText("the the the the the the the the the the the the the", true, wide).flags &
              kPersonaDegenerate);
  EXPECT_EQ(PersonaFlagNames(kPersonaEmpty | kPersonaClipped), "empty|clipped");
}

TEST(PersonaPrediction, SharedPrefixSplitIsExact) {
  const SharedPrefix split = SplitSharedPrefix({{1, 2, 3, 4}, {1, 2, 5}, {1, 2, 3, 6, 7}});
  EXPECT_EQ(split.prefix, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(split.suffixes[0], (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(split.suffixes[1], (std::vector<int64_t>{5}));
  const SharedPrefix same = SplitSharedPrefix({{1, 2, 3}, {1, 2, 3}});
  EXPECT_EQ(same.prefix, (std::vector<int64_t>{1, 2}));  // every suffix keeps a token
  EXPECT_EQ(same.suffixes[1], (std::vector<int64_t>{3}));
  EXPECT_DOUBLE_EQ(MeanAbsoluteError({1, 2, 3}, {2, 2, 5}), 1.0);
  EXPECT_THROW(MeanAbsoluteError({1}, {1, 2}), Error);
}

TEST(RefinementReward, MatchesTheFormula) {
  // Food.com: range 5. Old errors (1.0, 0.8, 1.2), candidate (0.9, 0.5, 1.4), weights (1, 2, 0.5).
  const Reward r = ComputeReward({1.0, 0.8, 1.2}, {0.9, 0.5, 1.4}, {1.0, 2.0, 0.5}, 5.0);
  EXPECT_NEAR(r.prev, 0.1 / 5, 1e-12);
  EXPECT_NEAR(r.curr, 2 * 0.3 / 5, 1e-12);
  EXPECT_NEAR(r.fut, 0.5 * -0.2 / 5, 1e-12);
  EXPECT_NEAR(r.total, (0.1 + 0.6 - 0.1) / 5, 1e-12);
  EXPECT_THROW(ComputeReward({}, {}, {}, 0.0), Error);
  const RewardWeights w = RewardWeightsFromConfig(Defaults({"reward_assignment.weights.fut=0.5"}));
  EXPECT_EQ(w.prev, 1.0);
  EXPECT_EQ(w.fut, 0.5);
}

std::vector<ScoredCandidate> Table(const std::vector<double>& rewards, const std::vector<int64_t>& flags = {}) {
  std::vector<ScoredCandidate> table;
  for (size_t i = 0; i < rewards.size(); ++i) {
    table.push_back({static_cast<int64_t>(i), rewards[i], flags.empty() ? 0 : flags[i]});
  }
  return table;
}

std::vector<std::pair<int64_t, int64_t>> Pairs(const std::vector<MinedPair>& mined) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto& p : mined) out.emplace_back(p.chosen, p.rejected);
  return out;
}

using PairList = std::vector<std::pair<int64_t, int64_t>>;

TEST(RefinementPairRules, IterationOneTakesBestAgainstWorst) {
  const MiningRules rules = MiningRulesFromConfig(Defaults(), 1);
  EXPECT_EQ(rules.strategy, "extremes");
  EXPECT_EQ(rules.pairs_per_context, 1);
  //            0     1     2     3     4
  auto table = Table({0.10, 0.30, -0.20, 0.05, 0.25});
  EXPECT_EQ(Pairs(MinePairs(table, rules)), (PairList{{1, 2}}));
  MiningRules two = rules;
  two.pairs_per_context = 2;
  EXPECT_EQ(Pairs(MinePairs(table, two)), (PairList{{1, 2}, {4, 3}}));
  // Below the minimum gap nothing is mined.
  MiningRules wide = rules;
  wide.min_gap = 0.6;
  EXPECT_TRUE(MinePairs(table, wide).empty());
  // A flagged best candidate is not chosen (but may still be rejected).
  auto flagged = Table({0.10, 0.30, -0.20, 0.05, 0.25}, {0, kPersonaEmpty, 0, 0, 0});
  EXPECT_EQ(Pairs(MinePairs(flagged, rules)), (PairList{{4, 2}}));
  MiningRules allow = rules;
  allow.allow_flagged_chosen = true;
  EXPECT_EQ(Pairs(MinePairs(flagged, allow)), (PairList{{1, 2}}));
  // Ties rank the lower index first.
  EXPECT_EQ(Pairs(MinePairs(Table({0.2, 0.2, 0.0}), rules)), (PairList{{0, 2}}));
}

TEST(RefinementPairRules, SummaryCountsPairsGapsAndWhichSideIsShorter) {
  PairSummary summary;
  // Context 1: chosen 1 (12 tokens) against 2 (20), gap 0.5; chosen 4 (20) against 3 (8), gap 0.2.
  summary.AddContext({{1, 2, 0.5}, {4, 3, 0.2}}, {10, 12, 20, 8, 20});
  // Context 2: no admissible pair.
  summary.AddContext({}, {5, 5});
  // Context 3: equal lengths, gap 0.3.
  summary.AddContext({{0, 1, 0.3}}, {9, 9});
  EXPECT_EQ(summary.contexts, 3);
  EXPECT_EQ(summary.contexts_without_pair, 1);
  EXPECT_EQ(summary.pairs, 3);
  EXPECT_EQ(summary.chosen_shorter, 1);
  EXPECT_EQ(summary.chosen_longer, 1);
  EXPECT_EQ(summary.Line(),
            "3 pairs from 3 contexts (1 without an admissible pair), mean reward gap 0.333; chosen shorter than "
            "rejected in 33% of pairs, longer in 33% (mean 13.7 vs 12.3 tokens)");
  EXPECT_THROW(summary.AddContext({{0, 5, 0.1}}, {1, 2}), std::out_of_range);
  EXPECT_EQ(PairSummary().Line(),
            "0 pairs from 0 contexts (0 without an admissible pair), mean reward gap 0.000; chosen shorter than "
            "rejected in 0% of pairs, longer in 0% (mean 0.0 vs 0.0 tokens)");
}

TEST(RefinementPairRules, IterationTwoTakesHarderPairsWithALargerGapAndMargin) {
  const MiningRules rules = MiningRulesFromConfig(Defaults(), 2);
  EXPECT_EQ(rules.strategy, "closest");
  EXPECT_GT(rules.min_gap, MiningRulesFromConfig(Defaults(), 1).min_gap);
  EXPECT_GT(rules.loss_margin, MiningRulesFromConfig(Defaults(), 1).loss_margin);
  //            0     1     2     3     4
  auto table = Table({0.10, 0.30, -0.20, 0.05, 0.29});
  // Best (1, 0.30): 4 is only 0.01 below (< min_gap 0.03); the closest admissible is 0 (gap 0.20).
  EXPECT_EQ(Pairs(MinePairs(table, rules)), (PairList{{1, 0}}));
  MiningRules two = rules;
  two.pairs_per_context = 2;
  // Then 4 (0.29) against the closest unused candidate 0.03 or more below: 3 (0.05).
  EXPECT_EQ(Pairs(MinePairs(table, two)), (PairList{{1, 0}, {4, 3}}));
  // max_gap keeps pairs close: nothing within [0.03, 0.1] of 0.30 or 0.29 -> 0 (0.10) against 3.
  MiningRules capped = two;
  capped.max_gap = 0.1;
  EXPECT_EQ(Pairs(MinePairs(table, capped)), (PairList{{0, 3}}));
  EXPECT_THROW(MiningRulesFromConfig(Defaults({"pair_mining.iter2.strategy=random"}), 2), Error);
  EXPECT_THROW(MiningRulesFromConfig(Defaults({"pair_mining.iter2.max_gap=0.01"}), 2), Error);
}

TEST(RefinementDpoConfig, KeysOverridesAndPipelineOwnedFields) {
  ModelSpec refiner;
  refiner.name = "refiner";
  refiner.path = "/models/r";
  refiner.chat_format = "llama3";
  DpoPaths paths{"/run/dpo_iter1/pairs.h5", "/run/dpo_iter1/training", ""};
  const Config config = Defaults({"dpo.iter1={learning_rate: 1.0e-5}", "dpo.iter2={pref_beta: 0.3}"});
  const TrainConfig one = DpoTrainConfig(config, 1, refiner, paths, 0.0);
  EXPECT_EQ(one.learning_rate, 1.0e-5);
  EXPECT_EQ(one.pref_beta, 0.2);
  EXPECT_EQ(one.pref_ftx, 0.1);
  EXPECT_EQ(one.lora_rank, 16);
  EXPECT_EQ(one.global_batch_size, 32);  // 4 x 8, whatever the number of ranks
  EXPECT_EQ(one.model_name_or_path, "/models/r");
  EXPECT_EQ(one.seed, config.Get<uint64_t>("run.seed"));
  EXPECT_TRUE(one.resume);
  EXPECT_THROW(DpoTrainConfig(Defaults({"dpo.iter1={pref_margin: 1.0}"}), 1, refiner, paths, 0.0), Error);
  EXPECT_THROW(DpoTrainConfig(Defaults({"dpo.iter1={no_such_key: 1}"}), 1, refiner, paths, 0.0), Error);
  // Iteration 2 needs iteration 1's adapter.
  paths.previous_dpo_dir = "/nonexistent/dpo_iter1";
  EXPECT_THROW(DpoTrainConfig(config, 2, refiner, paths, 0.25), Error);

  const auto keys = DpoConfigKeys(config, 2);
  EXPECT_NE(std::find(keys.begin(), keys.end(), "dpo.iter2"), keys.end());
  EXPECT_EQ(std::find(keys.begin(), keys.end(), "dpo.iter1"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "dpo.learning_rate"), keys.end());
}

// The sections each stage declares decide what a config change reruns.
TEST(RefinementStageConfigKeys, EachStageListsExactlyWhatDecidesItsOutput) {
  const Config config = Defaults();
  std::map<std::string, std::vector<std::string>> keys;
  for (const auto& stage : MakeRefinementStages(config)) keys[stage->Name()] = stage->ConfigKeys();
  auto has = [&](const std::string& stage, const std::string& key) {
    const auto& k = keys.at(stage);
    return std::find(k.begin(), k.end(), key) != k.end();
  };
  EXPECT_EQ(keys.at("pair_mining_1"), (std::vector<std::string>{"pair_mining.iter1"}));
  EXPECT_EQ(keys.at("pair_mining_2"), (std::vector<std::string>{"pair_mining.iter2"}));
  EXPECT_TRUE(has("init_persona", "prompts.init"));
  EXPECT_TRUE(has("init_persona", "models.refiner"));
  EXPECT_FALSE(has("init_persona", "models.predictor"));
  EXPECT_FALSE(has("init_persona", "prompts.refine"));
  EXPECT_TRUE(has("direction_sampling_1", "direction_sampling"));
  EXPECT_TRUE(has("direction_sampling_1", "prediction"));
  EXPECT_TRUE(has("direction_sampling_1", "models.predictor"));
  EXPECT_FALSE(has("direction_sampling_1", "reward_assignment"));
  EXPECT_TRUE(has("reward_assignment_1", "reward_assignment"));
  EXPECT_FALSE(has("reward_assignment_1", "models.refiner"));
  EXPECT_FALSE(has("reward_assignment_1", "direction_sampling"));
  EXPECT_TRUE(has("dpo_iter1", "dpo.iter1"));
  EXPECT_FALSE(has("dpo_iter1", "dpo.iter2"));
  EXPECT_FALSE(has("dpo_iter1", "pair_mining.iter1"));
  EXPECT_TRUE(has("refine_1", "direction_sampling.splits"));
  EXPECT_FALSE(has("refine_1", "direction_sampling"));
  EXPECT_FALSE(has("refine_1", "run.seed"));  // greedy
}

}  // namespace
}  // namespace deeper

// The refinement stages on tiny random llamas: keyed sampling, the columns and values of every
// stage's shards, rewards against a hand computation, the whole chain through the Runner (and a
// second run that is up to date), and config changes that rerun exactly the affected stages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>

#include "pipeline/shard.h"
#include "stages/context_building/stage.h"
#include "common/files.h"
#include "model/tokenizer/tokenizer.h"
#include "stages/persona/model_bundle.h"
#include "stages/persona/persona_generation.h"
#include "stages/persona/persona_records.h"
#include "stages/persona/prediction.h"
#include "stages/persona/rating_scale.h"
#include "stages/refinement/candidate_records.h"
#include "stages/refinement/pair_records.h"
#include "stages/refinement/reward_records.h"
#include "tests/refinement/refinement_fixture.h"
#include "train/pairs.h"

namespace deeper {
namespace {
namespace fs = std::filesystem;
using namespace refinement_testing;

// One workspace and one complete run for the whole suite: the chain takes a few seconds.
class RefinementPipeline : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeTempDir("refinement"));
    yaml_ = new std::string(MakeWorkspace(*dir_));
    first_run_ = new std::vector<StagePlan>(RunChain(WorkspaceConfig(*yaml_), RunDir()));
  }
  static void TearDownTestSuite() {
    deeper::TryRemoveTree(*dir_);
    delete dir_;
    delete yaml_;
    delete first_run_;
  }
  static std::string RunDir() { return *dir_ + "/run"; }
  static std::vector<std::string> Shards(const std::string& stage) {
    std::vector<std::string> paths;
    for (const auto& entry : fs::directory_iterator(RunDir() + "/" + stage)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("shard-", 0) == 0) paths.push_back(entry.path().string());
    }
    std::sort(paths.begin(), paths.end());
    return paths;
  }
  static std::map<std::string, UserContext> Users() {
    std::map<std::string, UserContext> users;
    for (const auto& path : Shards("context_building")) {
      for (auto& user : UsersFromShard(ShardReader(path))) users[UserKey(user.dataset_name, user.id)] = user;
    }
    return users;
  }
  static void ExpectColumns(const std::string& stage, const std::vector<std::string>& columns) {
    for (const auto& path : Shards(stage)) {
      const ShardReader reader(path);
      auto names = reader.ColumnNames();
      std::sort(names.begin(), names.end());
      auto expected = columns;
      std::sort(expected.begin(), expected.end());
      EXPECT_EQ(names, expected) << path;
    }
  }

  static std::string* dir_;
  static std::string* yaml_;
  static std::vector<StagePlan>* first_run_;
};
std::string* RefinementPipeline::dir_ = nullptr;
std::string* RefinementPipeline::yaml_ = nullptr;
std::vector<StagePlan>* RefinementPipeline::first_run_ = nullptr;

TEST_F(RefinementPipeline, TheChainRunsAndASecondRunIsUpToDate) {
  const std::vector<std::string> order = {"context_building", "init_persona", "direction_sampling_1",
                                          "reward_assignment_1", "pair_mining_1", "dpo_iter1", "refine_1",
                                          "direction_sampling_2", "reward_assignment_2", "pair_mining_2", "dpo_iter2"};
  ASSERT_EQ(first_run_->size(), order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ((*first_run_)[i].stage, order[i]);
    EXPECT_EQ((*first_run_)[i].action, "run");
  }
  for (const auto& plan : RunChain(WorkspaceConfig(*yaml_), RunDir())) EXPECT_EQ(plan.action, "up to date") << plan.stage;
  EXPECT_TRUE(fs::exists(RunDir() + "/dpo_iter1/adapter/adapter_model.safetensors"));
  EXPECT_TRUE(fs::exists(RunDir() + "/dpo_iter2/adapter/adapter_config.json"));
  EXPECT_TRUE(fs::exists(RunDir() + "/dpo_iter1/training/metrics.jsonl"));
}

TEST_F(RefinementPipeline, InitPersonaWritesOnePersonaPerUser) {
  ExpectColumns("init_persona", {"id", "dataset_name", "item_type", "split", "window", "old_persona", "predicted",
                                 "prompt_ids", "persona", "persona_ids", "finished", "flags", "flag_names"});
  std::vector<std::string> shards = Shards("init_persona");
  ASSERT_EQ(shards.size(), 2u);
  const auto records = ReadPersonaRecords(shards);
  EXPECT_EQ(records.size(), 6u);  // 3 food_com + 3 movielens_20m users
  std::set<std::string> domains;
  for (const auto& [key, r] : records) {
    domains.insert(r.dataset_name);
    EXPECT_EQ(r.window, 0);
    EXPECT_FALSE(r.prompt_ids.empty());
    EXPECT_FALSE(r.persona.token_ids.empty());
    EXPECT_LE(r.persona.token_ids.size(), 8u);
    // A random model rarely says <|eot_id|>: the persona is kept and flagged, not dropped.
    EXPECT_EQ(r.persona.stopped, !(r.persona.flags & kPersonaTruncated));
  }
  EXPECT_EQ(domains, (std::set<std::string>{"food_com", "movielens_20m"}));
}

TEST_F(RefinementPipeline, DirectionSamplingWritesNCandidatesPerContext) {
  ExpectColumns("direction_sampling_1",
                {"id", "dataset_name", "item_type", "split", "iteration", "window", "candidate", "sampling_key",
                 "old_persona", "predicted", "prompt_ids", "persona", "persona_ids", "finished", "flags", "flag_names"});
  const auto users = Users();
  const auto s0 = ReadPersonaRecords(Shards("init_persona"));
  const auto s1 = ReadPersonaRecords(Shards("refine_1"));
  for (int iteration : {1, 2}) {
    size_t contexts = 0;
    for (const auto& path : Shards("direction_sampling_" + std::to_string(iteration))) {
      const auto records = CandidateRecordsFromShard(ShardReader(path));
      for (const RowRange& range : ContextRanges(records)) {
        ++contexts;
        ASSERT_EQ(range.end - range.begin, 4u);
        std::set<std::vector<int64_t>> distinct;
        for (size_t i = range.begin; i < range.end; ++i) {
          const CandidateRecord& c = records[i];
          const std::string key = UserKey(c.dataset_name, c.id);
          EXPECT_EQ(c.candidate, static_cast<int64_t>(i - range.begin));
          EXPECT_EQ(c.iteration, iteration);
          EXPECT_EQ(c.window, iteration);
          EXPECT_EQ(c.sampling_key, PersonaKey(iteration, c.dataset_name, c.id, c.candidate));
          EXPECT_EQ(c.old_persona, (iteration == 1 ? s0 : s1).at(key).persona.text);
          EXPECT_EQ(c.predicted.size(), users.at(key).windows[iteration].items.size());
          EXPECT_EQ(c.prompt_ids, records[range.begin].prompt_ids);
          distinct.insert(c.persona.token_ids);
          for (double p : c.predicted) {
            const double lo = c.dataset_name == "food_com" ? 0.0 : 0.5;
            EXPECT_GE(p, lo);
            EXPECT_LE(p, 5.0);
          }
        }
        EXPECT_EQ(distinct.size(), 4u) << "sampled candidates should differ";
      }
    }
    EXPECT_EQ(contexts, 6u) << "iteration " << iteration;
  }
  // refine_1 starts iteration 2 from personas one window later.
  for (const auto& [key, r] : s1) {
    EXPECT_EQ(r.window, 1);
    EXPECT_EQ(r.old_persona, s0.at(key).persona.text);
    EXPECT_EQ(r.predicted.size(), 10u);
  }
}

// The refinement prompt shows the old persona and, per item of W_k, the true and predicted rating.
TEST_F(RefinementPipeline, RefinementPromptShowsPersonaTruthAndPredictions) {
  const Tokenizer tokenizer = Tokenizer::FromDirectory(TokenizerDir());
  const auto users = Users();
  const auto records = CandidateRecordsFromShard(ShardReader(Shards("direction_sampling_1")[0]));
  ASSERT_FALSE(records.empty());
  const CandidateRecord& c = records[0];
  const std::string text =
      tokenizer.Decode(std::vector<int32_t>(c.prompt_ids.begin(), c.prompt_ids.end()), /*skip_special_tokens=*/false);
  EXPECT_EQ(text.rfind("<|begin_of_text|><|start_header_id|>system<|end_header_id|>", 0), 0u) << text;
  EXPECT_NE(text.find(c.old_persona), std::string::npos);
  const Window& w1 = users.at(UserKey(c.dataset_name, c.id)).windows[1];
  const std::string scale = c.dataset_name == "food_com" ? "0 to 5" : "0.5 to 5";
  EXPECT_NE(text.find("scale of " + scale), std::string::npos) << text;
  for (size_t i = 0; i < w1.items.size(); ++i) {
    EXPECT_NE(text.find("- " + w1.items[i] + ": actual " + FormatRating(w1.ratings[i]) + ", predicted "),
              std::string::npos)
        << w1.items[i];
  }
  EXPECT_NE(text.find("<|start_header_id|>assistant<|end_header_id|>\n\n", text.size() - 60), std::string::npos);
}

TEST_F(RefinementPipeline, RewardsMatchAHandComputation) {
  ExpectColumns("reward_assignment_1",
                {"id", "dataset_name", "persona", "iteration", "window", "candidate", "flags", "rating_range",
                 "e_prev_old", "e_curr_old", "e_fut_old", "e_prev", "e_curr", "e_fut", "reward_prev", "reward_curr",
                 "reward_fut", "reward", "old_pred_prev", "old_pred_curr", "old_pred_fut", "pred_prev", "pred_curr",
                 "pred_fut"});
  const auto users = Users();
  auto mae = [](const std::vector<double>& p, const std::vector<double>& t) {
    double s = 0;
    for (size_t i = 0; i < t.size(); ++i) s += std::fabs(p[i] - t[i]);
    return s / static_cast<double>(t.size());
  };
  for (int iteration : {1, 2}) {
    const auto candidate_shards = Shards("direction_sampling_" + std::to_string(iteration));
    const auto reward_shards = Shards("reward_assignment_" + std::to_string(iteration));
    ASSERT_EQ(candidate_shards.size(), reward_shards.size());
    for (size_t s = 0; s < reward_shards.size(); ++s) {
      const auto candidates = CandidateRecordsFromShard(ShardReader(candidate_shards[s]));
      const auto rewards = RewardRecordsFromShard(ShardReader(reward_shards[s]));
      ASSERT_EQ(candidates.size(), rewards.size());
      for (size_t i = 0; i < rewards.size(); ++i) {
        const RewardRecord& r = rewards[i];
        const UserContext& user = users.at(UserKey(r.dataset_name, r.id));
        const int k = iteration;
        EXPECT_EQ(r.candidate, candidates[i].candidate);
        EXPECT_EQ(r.rating_range, r.dataset_name == "food_com" ? 5.0 : 4.5);
        EXPECT_NEAR(r.errors.prev, mae(r.predictions.prev, user.windows[k - 1].ratings), 1e-12);
        EXPECT_NEAR(r.errors.curr, mae(r.predictions.curr, user.windows[k].ratings), 1e-12);
        EXPECT_NEAR(r.errors.fut, mae(r.predictions.fut, user.windows[k + 1].ratings), 1e-12);
        EXPECT_NEAR(r.old_errors.curr, mae(r.old_predictions.curr, user.windows[k].ratings), 1e-12);
        // The old persona's predictions on W_k are the P_k the refinement prompt showed (up to float32
        // sums in another batch: the two stages group the scored items differently).
        for (size_t j = 0; j < r.old_predictions.curr.size(); ++j) {
          EXPECT_NEAR(r.old_predictions.curr[j], candidates[i].predicted[j], 1e-6);
        }
        const double hand = ((r.old_errors.prev - r.errors.prev) + (r.old_errors.curr - r.errors.curr) +
                             (r.old_errors.fut - r.errors.fut)) /
                            r.rating_range;
        EXPECT_NEAR(r.reward.total, hand, 1e-12);
        EXPECT_NEAR(r.reward.total, r.reward.prev + r.reward.curr + r.reward.fut, 1e-12);
      }
    }
  }
}

TEST_F(RefinementPipeline, PairShardsFollowTheRulesAndTheTrainerFormat) {
  for (int iteration : {1, 2}) {
    size_t pairs = 0;
    for (const auto& path : Shards("pair_mining_" + std::to_string(iteration))) {
      const ShardReader reader(path);
      EXPECT_EQ(reader.StringAttribute("strategy"), iteration == 1 ? "extremes" : "closest");
      EXPECT_DOUBLE_EQ(PairShardLossMargin(reader), iteration == 1 ? 0.0 : 0.25);
      const PairSet set = ReadPairShard(path);  // the trainer's reader accepts it
      const auto records = PairRecordsFromShard(reader);
      ASSERT_EQ(set.pairs.size(), records.size());
      for (const auto& r : records) {
        EXPECT_GE(r.chosen_reward, r.rejected_reward);
        EXPECT_NE(r.chosen_candidate, r.rejected_candidate);
        EXPECT_FALSE(r.chosen_ids.empty());
      }
      pairs += records.size();
    }
    EXPECT_EQ(pairs, 6u) << "one pair per context";
    EXPECT_EQ(ReadPairShard(RunDir() + "/dpo_iter" + std::to_string(iteration) + "/pairs.h5").pairs.size(), pairs);
  }
}

// A candidate's tokens depend on its key, not on what else is in the batch.
TEST_F(RefinementPipeline, KeyedSamplingDoesNotDependOnTheBatch) {
  const Config config = WorkspaceConfig(*yaml_);
  const auto bundle = ModelBundle::Load(ModelSpecFromConfig(config, "refiner"));
  const PromptSet prompts = PromptSetFromConfig(config);
  std::vector<PersonaRequest> requests;
  for (int j = 0; j < 3; ++j) {
    requests.push_back({InitPromptIds(*bundle, prompts, "movie", "0.5 to 5", {"Heat (1995)", "Alien (1979)"}, {4.5, 3}),
                        PersonaKey(1, "movielens_20m", "u" + std::to_string(j), 0)});
  }
  PersonaSampling sampling;
  sampling.temperature = 1.0;
  sampling.seed = 7;
  PersonaGenerationOptions wide;
  wide.max_new_tokens = 10;
  wide.max_batch = 3;
  PersonaGenerationOptions narrow = wide;
  narrow.max_batch = 1;
  const auto together = GeneratePersonas(*bundle, requests, sampling, wide);
  const auto one_by_one = GeneratePersonas(*bundle, requests, sampling, narrow);
  const auto alone = GeneratePersonas(*bundle, {requests[2]}, sampling, wide);
  for (size_t i = 0; i < requests.size(); ++i) EXPECT_EQ(together[i].token_ids, one_by_one[i].token_ids);
  EXPECT_EQ(alone[0].token_ids, together[2].token_ids);
  EXPECT_NE(together[0].token_ids, together[1].token_ids);
  // Another seed, other samples.
  sampling.seed = 8;
  EXPECT_NE(GeneratePersonas(*bundle, {requests[0]}, sampling, wide)[0].token_ids, together[0].token_ids);
}

TEST_F(RefinementPipeline, PredictionUsesTheDomainScale) {
  const Config config = WorkspaceConfig(*yaml_);
  const auto bundle = ModelBundle::Load(ModelSpecFromConfig(config, "predictor"));
  const RatingPredictor predictor(*bundle, PromptSetFromConfig(config), PredictionOptionsFromConfig(config));
  const std::vector<std::string> items = {"Pancakes", "Lentil soup", "Pancakes"};
  const auto food = predictor.PredictDetailed("Loves breakfast.", items, "recipe", "food_com");
  ASSERT_EQ(food.size(), 3u);
  EXPECT_EQ(food[0].probs.size(), 6u);  // "0".."5"
  EXPECT_NEAR(food[0].rating, food[2].rating, 1e-6);  // same item, same answer
  double sum = 0;
  for (double p : food[0].probs) sum += p;
  EXPECT_NEAR(sum, 1.0, 1e-6);
  EXPECT_EQ(predictor.PredictDetailed("x", {"Heat"}, "movie", "movielens_20m")[0].probs.size(), 5u);
}

// Scoring many personas together (prefixes prefilled in groups, items batched across personas, chunked
// by max_prefixes and max_batch) gives what scoring each persona alone gives, for mixed datasets, and
// keeps the query order; a query without items gets no predictions.
TEST_F(RefinementPipeline, PredictManyEqualsOnePersonaAtATime) {
  const Config config = WorkspaceConfig(*yaml_);
  const auto bundle = ModelBundle::Load(ModelSpecFromConfig(config, "predictor"));
  PredictionOptions grouped_options = PredictionOptionsFromConfig(config);
  grouped_options.max_prefixes = 2;
  grouped_options.max_batch = 3;
  const RatingPredictor grouped(*bundle, PromptSetFromConfig(config), grouped_options);
  const RatingPredictor alone(*bundle, PromptSetFromConfig(config), PredictionOptionsFromConfig(config));
  const std::vector<PredictionQuery> queries = {
      {"Loves breakfast.", {"Pancakes", "Lentil soup", "Pancakes"}, "recipe", "food_com"},
      {"x", {"Heat"}, "movie", "movielens_20m"},
      {"A much longer persona: soups, stews and everything warm, never anything sweet.",
       {"Lentil soup", "Pancakes", "Chili", "Oatmeal"}, "recipe", "food_com"},
      {"Nothing to rate.", {}, "recipe", "food_com"},
      {"Likes thrillers.", {"Heat", "Up", "Heat"}, "movie", "movielens_20m"}};
  const auto many = grouped.PredictMany(queries);
  ASSERT_EQ(many.size(), queries.size());
  for (size_t q = 0; q < queries.size(); ++q) {
    const auto one = alone.PredictDetailed(queries[q].persona, queries[q].items, queries[q].item_type,
                                           queries[q].dataset_name);
    ASSERT_EQ(many[q].size(), one.size()) << "query " << q;
    for (size_t i = 0; i < one.size(); ++i) {
      EXPECT_NEAR(many[q][i].expected, one[i].expected, 1e-5) << "query " << q << " item " << i;
      ASSERT_EQ(many[q][i].probs.size(), one[i].probs.size());
      for (size_t t = 0; t < one[i].probs.size(); ++t) EXPECT_NEAR(many[q][i].probs[t], one[i].probs[t], 1e-5);
    }
  }
  EXPECT_TRUE(many[3].empty());
}

// Runs last (gtest keeps declaration order): it changes the run directory.
TEST_F(RefinementPipeline, ZConfigChangesRerunExactlyTheAffectedStages) {
  auto config = WorkspaceConfig(*yaml_, {"pair_mining.iter2.pairs_per_context=2"});
  EXPECT_EQ(Actions(RunChain(config, RunDir())),
            (std::vector<std::string>{"context_building=up to date", "init_persona=up to date",
                                      "direction_sampling_1=up to date", "reward_assignment_1=up to date",
                                      "pair_mining_1=up to date", "dpo_iter1=up to date", "refine_1=up to date",
                                      "direction_sampling_2=up to date", "reward_assignment_2=up to date",
                                      "pair_mining_2=run", "dpo_iter2=run"}));
  config = WorkspaceConfig(*yaml_, {"pair_mining.iter2.pairs_per_context=2", "pair_mining.iter1.pairs_per_context=2"});
  EXPECT_EQ(Actions(RunChain(config, RunDir())),
            (std::vector<std::string>{"context_building=up to date", "init_persona=up to date",
                                      "direction_sampling_1=up to date", "reward_assignment_1=up to date",
                                      "pair_mining_1=run", "dpo_iter1=run", "refine_1=run", "direction_sampling_2=run",
                                      "reward_assignment_2=run", "pair_mining_2=run", "dpo_iter2=run"}));
  // Reward weights rerun reward assignment on, not sampling.
  config = WorkspaceConfig(*yaml_, {"pair_mining.iter2.pairs_per_context=2", "pair_mining.iter1.pairs_per_context=2",
                                    "reward_assignment.weights.fut=0.5"});
  const auto actions = Actions(RunChain(config, RunDir()));
  EXPECT_EQ(actions[2], "direction_sampling_1=up to date");
  EXPECT_EQ(actions[3], "reward_assignment_1=run");
}

}  // namespace
}  // namespace deeper

namespace deeper {
namespace {

// Full fine-tuning: each iteration leaves an HF checkpoint (with the tokenizer) that the next stages
// load, iteration 2 trains from iteration 1's weights, and reference log-probs are stored with the pairs.
TEST(RefinementFullFineTuning, IterationsHandOverHfWeights) {
  using namespace refinement_testing;
  const std::string dir = MakeTempDir("refinement-full");
  const Config config =
      WorkspaceConfig(MakeWorkspace(dir), {"dpo.finetuning_type=full", "direction_sampling.max_contexts_per_shard=1"});
  for (const auto& plan : RunChain(config, dir + "/run")) EXPECT_EQ(plan.action, "run") << plan.stage;
  for (const char* iteration : {"dpo_iter1", "dpo_iter2"}) {
    const std::string stage = dir + "/run/" + iteration;
    EXPECT_TRUE(fs::exists(stage + "/model/config.json")) << iteration;
    EXPECT_TRUE(fs::exists(stage + "/model/model.safetensors")) << iteration;
    EXPECT_TRUE(fs::exists(stage + "/model/tokenizer.json")) << iteration;
    EXPECT_FALSE(fs::exists(stage + "/adapter")) << iteration;
    const PairSet with_refs = ReadPairShard(stage + "/training/reference_logps.h5");
    ASSERT_EQ(with_refs.pairs.size(), 2u);
    EXPECT_TRUE(with_refs.pairs[0].has_ref());
  }
  const std::string state = ReadFile(dir + "/run/dpo_iter2/training/checkpoint-1/trainer_state.json");
  EXPECT_NE(state.find("dpo_iter1/model"), std::string::npos) << state;
  deeper::TryRemoveTree(dir);
}

}  // namespace
}  // namespace deeper

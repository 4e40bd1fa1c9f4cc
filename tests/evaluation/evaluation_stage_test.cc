// The evaluation stage through the Runner on tiny random llamas (Llama-3 tokenizer) and 6 users of
// data/sample/. Stand-ins for init_persona (a fixed S0 per user) and the DPO stages (other random
// weights in model/) keep the test independent of the training stages.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>

#include "common/files.h"
#include "pipeline/runner.h"
#include "pipeline/shard.h"
#include "stages/context_building/stage.h"
#include "stages/evaluation/eval_records.h"
#include "stages/evaluation/mae_table.h"
#include "stages/evaluation/stage.h"
#include "stages/persona/persona_records.h"
#include "stages/refinement/stage_support.h"
#include "tests/refinement/refinement_fixture.h"

namespace deeper {
namespace {
namespace fs = std::filesystem;
using refinement_testing::MakeTempDir;
using refinement_testing::MakeTinyLlama;
using refinement_testing::MakeWorkspace;

std::string FixedPersona(const UserContext& user) { return "Enjoys most " + user.item_type + " items and rates them kindly."; }

// init_persona's shard layout with a fixed S0 for every eval user.
class FakeInitPersona : public Stage {
 public:
  std::string Name() const override { return kInitPersona; }
  std::string Description() const override { return "test: fixed S0"; }
  std::vector<std::string> Inputs() const override { return {kContextBuilding}; }
  int NumShards(const Config& config) const override { return UserShardCount(config); }

 protected:
  void RunShard(StageContext& context, int shard) override {
    std::vector<PersonaRecord> records;
    for (const auto& user : ReadUsers(context, shard)) {
      PersonaRecord r;
      r.id = user.id;
      r.dataset_name = user.dataset_name;
      r.item_type = user.item_type;
      r.split = user.split;
      r.persona.text = FixedPersona(user);
      records.push_back(r);
    }
    PersonaRecordsToShard(records).Commit(context.ShardPath(shard));
  }
};

// dpo_iterK's result as full fine-tuning leaves it: model/ with other random weights.
class FakeDpo : public Stage {
 public:
  explicit FakeDpo(int iteration) : iteration_(iteration) {}
  std::string Name() const override { return DpoStage(iteration_); }
  std::string Description() const override { return "test: random weights"; }
  std::vector<std::string> ConfigKeys() const override { return {"run.seed"}; }
  void Run(StageContext& context) override {
    if (context.world.is_root()) MakeTinyLlama(context.stage_dir + "/model", 100 + static_cast<uint64_t>(iteration_));
  }

 private:
  int iteration_;
};

class EvaluationStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("evaluation");
    config_ = std::make_unique<Config>(Config::FromText(MakeWorkspace(dir_), "evaluation test config",
                                                        {"evaluation.rounds=2", "persona.max_new_tokens=6"}));
  }
  void TearDown() override { deeper::TryRemoveTree(dir_); }

  std::vector<StagePlan> Run() {
    std::vector<std::unique_ptr<Stage>> stages;
    stages.push_back(MakeContextBuildingStage());
    stages.push_back(std::make_unique<FakeInitPersona>());
    stages.push_back(std::make_unique<FakeDpo>(1));
    stages.push_back(std::make_unique<FakeDpo>(2));
    stages.push_back(MakeEvaluationStage(*config_));
    Runner runner(*config_, std::move(stages));
    RunOptions options;
    options.run_dir = dir_ + "/run";
    return runner.Run(options);
  }

  std::string EvalDir() const { return dir_ + "/run/evaluation"; }
  std::vector<EvalRecord> Records(const std::string& method) const {
    std::vector<EvalRecord> all;
    for (int shard = 0; shard < 2; ++shard) {
      for (auto& r : EvalRecordsFromShard(ShardReader(EvalDir() + "/" + method + "/" + ShardFileName(shard, 2)))) {
        all.push_back(std::move(r));
      }
    }
    return all;
  }

  std::string dir_;
  std::unique_ptr<Config> config_;
};

TEST_F(EvaluationStageTest, ScoresEveryMethodAndResumes) {
  auto plans = Run();
  ASSERT_EQ(plans.back().stage, "evaluation");
  EXPECT_EQ(plans.back().action, "run");

  const auto rows = ParseMaeCsv(ReadFile(EvalDir() + "/mae.csv"), "mae.csv");
  const std::vector<std::string> methods = {"deeper_base", "deeper_iter1", "deeper_iter2",     "full_regen", "slide_regen",
                                            "inc_update",  "hier_merge",   "prev_window_mean", "all_max"};
  EXPECT_EQ(MethodsOf(rows), methods);
  EXPECT_EQ(DomainsOf(rows), (std::vector<std::string>{"food_com", "movielens_20m"}));
  ASSERT_EQ(rows.size(), methods.size() * 3 * 3);  // (2 domains + ALL) x rounds 0..2
  for (const auto& method : methods) {
    for (int k = 0; k <= 2; ++k) {
      const double all = MaeOf(rows, method, kAllDomains, k);
      EXPECT_NEAR(all, (MaeOf(rows, method, "food_com", k) + MaeOf(rows, method, "movielens_20m", k)) / 2, 1e-6);
      EXPECT_TRUE(std::isfinite(all) && all >= 0 && all < 5) << method << " round " << k << ": " << all;
    }
    // Round 0 scores the same S0 with the same predictor for every persona method.
    if (method != "prev_window_mean" && method != "all_max") {
      EXPECT_NEAR(MaeOf(rows, method, kAllDomains, 0), MaeOf(rows, "deeper_base", kAllDomains, 0), 1e-9) << method;
    }
  }

  // Personas of every round are in the method shards; S0 is init_persona's.
  const auto base = Records("deeper_base");
  ASSERT_EQ(base.size(), 6u);
  for (const auto& r : base) {
    ASSERT_EQ(r.personas.size(), 3u);
    EXPECT_EQ(r.mae.size(), 3u);
    EXPECT_EQ(r.round_items, (std::vector<int64_t>{10, 10, 10}));
    EXPECT_EQ(r.predicted.size(), 30u);
    EXPECT_NE(r.personas[0].find("rates them kindly"), std::string::npos);
  }
  const auto iter1 = Records("deeper_iter1");
  bool differs = false;
  for (size_t i = 0; i < base.size(); ++i) differs = differs || base[i].personas[1] != iter1[i].personas[1];
  EXPECT_TRUE(differs) << "the iteration-1 weights wrote the same personas as the base refiner";
  for (const auto& r : Records("hier_merge")) {
    EXPECT_EQ(r.short_term.size(), 3u);
    EXPECT_TRUE(r.short_term[0].empty());
  }
  EXPECT_TRUE(FileExists(EvalDir() + "/report.md"));
  EXPECT_TRUE(FileExists(EvalDir() + "/report.html"));

  // Unchanged: up to date. Interrupted (a method shard lost, no manifest): only that shard is redone,
  // with the same bytes (greedy decoding, fixed shard layout).
  EXPECT_EQ(Run().back().action, "up to date");
  const std::string shard = EvalDir() + "/inc_update/" + ShardFileName(1, 2);
  const std::string before = ReadFile(shard);
  fs::remove(shard);
  fs::remove(EvalDir() + "/manifest.json");
  plans = Run();
  EXPECT_EQ(plans.back().action, "resume");
  EXPECT_EQ(ReadFile(shard), before);
  EXPECT_EQ(ReadFile(EvalDir() + "/mae.csv"), MaeCsv(rows));
}

TEST_F(EvaluationStageTest, RefusesUnknownMethods) {
  const Config config = Config::FromText(MakeWorkspace(dir_), "test", {"evaluation.methods=[deeper_base, magic]"});
  try {
    MakeEvaluationStage(config);
    FAIL() << "an unknown method was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown method 'magic'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace deeper

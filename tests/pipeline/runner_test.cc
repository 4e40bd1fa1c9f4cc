#include "pipeline/runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include "common/error.h"
#include "pipeline/shard.h"
#include "common/files.h"

namespace deeper {
namespace {

namespace fs = std::filesystem;

std::map<std::string, int> g_shards_written;

// Writes shard s with one value derived from a config key, counting every shard it computes.
class SourceStage : public Stage {
 public:
  std::string Name() const override { return "source"; }
  std::string Description() const override { return "test source"; }
  std::vector<std::string> ConfigKeys() const override { return {"context_building.window_length"}; }
  int NumShards(const Config&) const override { return 3; }

 protected:
  void RunShard(StageContext& ctx, int shard) override {
    ++g_shards_written[Name()];
    ShardWriter w;
    w.Add("value", Int64Column{ctx.config.Get<int64_t>("context_building.window_length") * 10 + shard});
    w.Commit(ctx.ShardPath(shard));
  }
};

// Sums the source's values into each of its shards.
class SumStage : public Stage {
 public:
  std::string Name() const override { return "sum"; }
  std::string Description() const override { return "test sum"; }
  std::vector<std::string> Inputs() const override { return {"source"}; }
  std::vector<std::string> ConfigKeys() const override { return {"run.progress_interval_seconds"}; }
  int NumShards(const Config&) const override { return 2; }

 protected:
  void RunShard(StageContext& ctx, int shard) override {
    ++g_shards_written[Name()];
    int64_t total = 0;
    for (const auto& path : ctx.InputShards("source")) total += ShardReader(path).Int64("value")[0];
    ShardWriter w;
    w.Add("total", Int64Column{total + shard});
    w.Commit(ctx.ShardPath(shard));
  }
};

class LoneStage : public SourceStage {
 public:
  std::string Name() const override { return "lone"; }
  std::vector<std::string> ConfigKeys() const override { return {"run.threads"}; }
};

// Reads the source through a `{run_dir}/source/...` path in its config (models.refiner.path), without
// declaring it in Inputs(): the reference alone must make source its input.
class ReferenceStage : public Stage {
 public:
  std::string Name() const override { return "reader"; }
  std::string Description() const override { return "test reader by reference"; }
  std::vector<std::string> ConfigKeys() const override { return {"models.refiner.path"}; }
  std::vector<std::string> ExternalInputs(const Config& config) const override {
    return {config.Get<std::string>("models.refiner.path")};
  }
  int NumShards(const Config&) const override { return 1; }

 protected:
  void RunShard(StageContext& ctx, int shard) override {
    ++g_shards_written[Name()];
    EXPECT_EQ(ctx.input_dirs.count("source"), 1u);
    const std::string path = ctx.config.Get<std::string>("models.refiner.path");
    EXPECT_EQ(path, ctx.run_dir + "/source/shard-00000-of-00003.h5");
    ShardWriter w;
    w.Add("copy", Int64Column{ShardReader(path).Int64("value")[0]});
    w.Commit(ctx.ShardPath(shard));
  }
};

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run_dir_ = (fs::temp_directory_path() / ("runner_test_" + std::to_string(::getpid()))).string();
    deeper::TryRemoveTree(run_dir_);
    g_shards_written.clear();
  }
  void TearDown() override { deeper::TryRemoveTree(run_dir_); }

  std::map<std::string, std::string> Run(const std::vector<std::string>& overrides, RunOptions options = {},
                                         bool with_reader = false) {
    auto config = Config::FromText("", "test.yaml", overrides);
    std::vector<std::unique_ptr<Stage>> stages;
    stages.push_back(std::make_unique<SourceStage>());
    stages.push_back(std::make_unique<SumStage>());
    stages.push_back(std::make_unique<LoneStage>());
    if (with_reader) stages.push_back(std::make_unique<ReferenceStage>());
    Runner runner(config, std::move(stages));
    options.run_dir = run_dir_;
    std::map<std::string, std::string> actions;
    for (const auto& plan : runner.Run(options)) actions[plan.stage] = plan.action;
    return actions;
  }

  std::string run_dir_;
};

TEST_F(RunnerTest, SecondRunSkipsEverything) {
  auto first = Run({});
  EXPECT_EQ(first["source"], "run");
  EXPECT_EQ(first["sum"], "run");
  EXPECT_EQ(g_shards_written["source"], 3);
  EXPECT_EQ(ShardReader(run_dir_ + "/sum/shard-00001-of-00002.h5").Int64("total")[0], 100 + 101 + 102 + 1);
  auto second = Run({});
  EXPECT_EQ(second["source"], "up to date");
  EXPECT_EQ(second["sum"], "up to date");
  EXPECT_EQ(g_shards_written["source"], 3);
  EXPECT_EQ(g_shards_written["sum"], 2);
}

TEST_F(RunnerTest, ConfigChangeRerunsThatStageAndWhatDependsOnIt) {
  Run({});
  auto after_source_change = Run({"context_building.window_length=5"});
  EXPECT_EQ(after_source_change["source"], "run");
  EXPECT_EQ(after_source_change["sum"], "run");
  EXPECT_EQ(after_source_change["lone"], "up to date");
  EXPECT_EQ(ShardReader(run_dir_ + "/sum/shard-00000-of-00002.h5").Int64("total")[0], 50 + 51 + 52);

  auto after_sum_change = Run({"context_building.window_length=5", "run.progress_interval_seconds=3"});
  EXPECT_EQ(after_sum_change["source"], "up to date");
  EXPECT_EQ(after_sum_change["sum"], "run");
  EXPECT_EQ(after_sum_change["lone"], "up to date");
}

TEST_F(RunnerTest, InterruptedStageResumesFromItsShards) {
  Run({});
  // What a kill leaves: no manifest, some shards renamed into place, the plan file.
  fs::remove(run_dir_ + "/source/manifest.json");
  fs::remove(run_dir_ + "/source/shard-00001-of-00003.h5");
  g_shards_written.clear();
  auto actions = Run({});
  EXPECT_EQ(actions["source"], "resume");
  EXPECT_EQ(g_shards_written["source"], 1);
  // The rebuilt shard is byte-identical, so what depends on it is still current.
  EXPECT_EQ(actions["sum"], "up to date");
}

TEST_F(RunnerTest, ShardsOfAnotherConfigAreNeverMixedIn) {
  Run({});
  fs::remove(run_dir_ + "/source/manifest.json");
  fs::remove(run_dir_ + "/source/shard-00001-of-00003.h5");
  g_shards_written.clear();
  auto actions = Run({"context_building.window_length=7"});
  EXPECT_EQ(actions["source"], "run");
  EXPECT_EQ(g_shards_written["source"], 3);  // every shard recomputed, none reused from the old config
  EXPECT_EQ(ShardReader(run_dir_ + "/source/shard-00000-of-00003.h5").Int64("value")[0], 70);
}

TEST_F(RunnerTest, OnlyRefusesStaleInputsAndRunsJustThatStage) {
  Run({});
  try {
    Run({"context_building.window_length=4"}, RunOptions{"", "", "sum"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("inputs are missing or stale for this config: source"), std::string::npos)
        << e.what();
  }
  g_shards_written.clear();
  auto actions = Run({}, RunOptions{"", "", "sum", /*force=*/true});
  EXPECT_EQ(actions["sum"], "run");
  EXPECT_EQ(actions["source"], "up to date");
  EXPECT_EQ(g_shards_written["sum"], 2);
  EXPECT_EQ(g_shards_written["source"], 0);
}

TEST_F(RunnerTest, FromRerunsTheStageAndItsDescendantsOnly) {
  Run({});
  g_shards_written.clear();
  auto actions = Run({}, RunOptions{"", "source"});
  EXPECT_EQ(actions["source"], "run");
  EXPECT_EQ(actions["sum"], "run");
  EXPECT_EQ(actions["lone"], "up to date");
  EXPECT_EQ(g_shards_written["source"], 3);
  EXPECT_EQ(g_shards_written["lone"], 0);
}

TEST_F(RunnerTest, UnknownStageNamesTheStages) {
  try {
    Run({}, RunOptions{"", "nope"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown stage 'nope'; stages are: source sum lone"), std::string::npos)
        << e.what();
  }
}

constexpr char kReference[] = "models.refiner.path=\"{run_dir}/source/shard-00000-of-00003.h5\"";

TEST_F(RunnerTest, RunDirReferenceIsAnInput) {
  auto first = Run({kReference}, {}, /*with_reader=*/true);
  EXPECT_EQ(first["reader"], "run");
  EXPECT_EQ(ShardReader(run_dir_ + "/reader/shard-00000-of-00001.h5").Int64("copy")[0], 100);
  // Up to date on a rerun, and rerun when the referenced stage's outputs change.
  EXPECT_EQ(Run({kReference}, {}, true)["reader"], "up to date");
  auto changed = Run({kReference, "context_building.window_length=3"}, {}, true);
  EXPECT_EQ(changed["source"], "run");
  EXPECT_EQ(changed["reader"], "run");
  EXPECT_EQ(changed["lone"], "up to date");
  EXPECT_EQ(ShardReader(run_dir_ + "/reader/shard-00000-of-00001.h5").Int64("copy")[0], 30);
  // --from the referenced stage reruns the reader; --only refuses a stale reference.
  g_shards_written.clear();
  auto from = Run({kReference, "context_building.window_length=3"}, RunOptions{"", "source"}, true);
  EXPECT_EQ(from["reader"], "run");
  EXPECT_EQ(g_shards_written["reader"], 1);
  EXPECT_THROW(Run({kReference, "context_building.window_length=4"}, RunOptions{"", "", "reader"}, true), Error);
}

TEST_F(RunnerTest, PlanHashKeepsThePlaceholderSoARunDirectoryCanMove) {
  Run({kReference}, {}, true);
  const std::string moved = run_dir_ + "-moved";
  deeper::TryRemoveTree(moved);
  fs::rename(run_dir_, moved);
  run_dir_ = moved;  // TearDown removes it
  auto actions = Run({kReference}, {}, true);
  EXPECT_EQ(actions["source"], "up to date");
  EXPECT_EQ(actions["reader"], "up to date");
}

TEST_F(RunnerTest, ReferenceToAStageNotInTheGraphIsRefused) {
  try {
    Run({"models.refiner.path=\"{run_dir}/warm_start/refiner\""}, {}, true);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("stage 'reader' reads 'warm_start' (its config refers to {run_dir}/warm_start)"),
              std::string::npos)
        << e.what();
  }
}

TEST(StageInputs, DeclaredThenReferencedWithoutDuplicates) {
  auto config = Config::FromText("", "test.yaml", {"models.refiner.path=\"{run_dir}/source/x\""});
  ReferenceStage reader;
  EXPECT_EQ(StageInputs(reader, config), std::vector<std::string>{"source"});
  SumStage sum;  // declares source, refers to nothing
  EXPECT_EQ(StageInputs(sum, config), std::vector<std::string>{"source"});
}

// A stage whose output also depends on data compiled into the binary (Stage::BuiltinInputsDigest).
class BuiltinStage : public LoneStage {
 public:
  explicit BuiltinStage(std::string digest) : digest_(std::move(digest)) {}
  std::string BuiltinInputsDigest(const Config&) const override { return digest_; }

 private:
  std::string digest_;
};

TEST(PlanHash, ChangesWithTheBuiltinInputsDigest) {
  auto config = Config::FromText("", "test.yaml", {});
  const std::map<std::string, std::string> no_inputs;
  const std::string none = PlanHash(LoneStage(), config, no_inputs);
  EXPECT_EQ(PlanHash(BuiltinStage(""), config, no_inputs), none);
  EXPECT_NE(PlanHash(BuiltinStage("abc"), config, no_inputs), none);
  EXPECT_NE(PlanHash(BuiltinStage("abc"), config, no_inputs), PlanHash(BuiltinStage("abd"), config, no_inputs));
  EXPECT_EQ(PlanHash(BuiltinStage("abc"), config, no_inputs), PlanHash(BuiltinStage("abc"), config, no_inputs));
}

}  // namespace
}  // namespace deeper

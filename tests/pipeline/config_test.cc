#include "pipeline/config.h"

#include <gtest/gtest.h>

namespace deeper {
namespace {

std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ConfigTest, FileOverlaysDefaultsKeyByKey) {
  auto config = Config::FromText("run: {seed: 7}\ncontext_building: {num_shards: 3}\n", "test.yaml");
  EXPECT_EQ(config.Get<int>("run.seed"), 7);
  EXPECT_EQ(config.Get<int>("context_building.num_shards"), 3);
  // Untouched keys keep their defaults.
  EXPECT_EQ(config.Get<int>("context_building.window_length"), 10);
  EXPECT_TRUE(config.Get<bool>("context_building.unescape_html"));
}

TEST(ConfigTest, SetOverridesWinAndParseYamlValues) {
  auto config = Config::FromText("run: {seed: 7}\n", "test.yaml",
                                 {"run.seed=9", "context_building.sources=[{format: deeper_csv, path: x.csv}]"});
  EXPECT_EQ(config.Get<int>("run.seed"), 9);
  auto sources = config.At("context_building.sources");
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources[0]["path"].as<std::string>(), "x.csv");
}

TEST(ConfigTest, UnknownKeysAreRefusedWithTheirPath) {
  EXPECT_NE(Message([] { Config::FromText("run: {sede: 1}\n", "my.yaml"); })
                .find("my.yaml: unknown config key 'run.sede'"),
            std::string::npos);
  EXPECT_NE(Message([] { Config::FromText("", "my.yaml", {"run.nope=1"}); }).find("unknown config key 'run.nope'"),
            std::string::npos);
  EXPECT_NE(Message([] { Config::FromText("", "my.yaml", {"run.seed"}); }).find("expected key=value"),
            std::string::npos);
}

TEST(ConfigTest, InvalidYamlNamesTheLine) {
  EXPECT_NE(Message([] { Config::FromText("run:\n  seed: [1, 2\n", "bad.yaml"); }).find("bad.yaml:"),
            std::string::npos);
}

TEST(ConfigTest, WrongTypeIsReported) {
  auto config = Config::FromText("run: {seed: abc}\n", "t.yaml");
  EXPECT_NE(Message([&] { config.Get<int>("run.seed"); }).find("'run.seed' has a value of the wrong type"),
            std::string::npos);
}

TEST(ConfigTest, DumpRoundTripsAndCanonicalTextTracksChanges) {
  auto a = Config::FromText("run: {seed: 7}\n", "a.yaml");
  auto b = Config::FromText(a.Dump(), "dump");
  EXPECT_EQ(a.Dump(), b.Dump());
  EXPECT_EQ(a.CanonicalText({"context_building"}), b.CanonicalText({"context_building"}));
  auto c = Config::FromText("context_building: {window_length: 5}\n", "c.yaml");
  EXPECT_NE(a.CanonicalText({"context_building"}), c.CanonicalText({"context_building"}));
  EXPECT_NE(a.CanonicalText({"run.seed"}), c.CanonicalText({"run.seed"}));
}

TEST(ConfigTest, EmbeddedQuickstartIsTheWorldQuickstart) {
  auto config = Config::Resolve("", {});
  EXPECT_TRUE(config.Get<bool>("world.enabled"));
  EXPECT_GT(config.At("context_building.sources").size(), 0u);
  EXPECT_EQ(config.Get<std::string>("models.predictor.path"), "{run_dir}/warm_start/predictor");
}

TEST(ConfigTest, RunDirIsExpandedForReadersButNotForPlanHashes) {
  auto config = Config::FromText(
      "models: {refiner: {path: \"{run_dir}/warm_start/refiner\"}}\n"
      "context_building: {sources: [{format: deeper_csv, path: \"{run_dir}/world/a.csv\"}, {format: deeper_csv, path: b.csv}]}\n",
      "test.yaml");
  const std::string raw_text = config.CanonicalText({"models.refiner", "context_building"});
  EXPECT_EQ(config.Get<std::string>("models.refiner.path"), "{run_dir}/warm_start/refiner");  // no run dir yet
  config.SetRunDir("/tmp/r");
  EXPECT_EQ(config.run_dir(), "/tmp/r");
  EXPECT_EQ(config.Get<std::string>("models.refiner.path"), "/tmp/r/warm_start/refiner");
  EXPECT_EQ(config.At("context_building.sources")[0]["path"].as<std::string>(), "/tmp/r/world/a.csv");
  EXPECT_EQ(config.At("context_building.sources")[1]["path"].as<std::string>(), "b.csv");
  EXPECT_EQ(config.Get<int>("context_building.num_shards"), 4);  // other values unchanged
  EXPECT_EQ(config.CanonicalText({"models.refiner", "context_building"}), raw_text);
  EXPECT_NE(config.Dump().find("{run_dir}/warm_start/refiner"), std::string::npos);
  // Overrides after SetRunDir are expanded too.
  config.Override("models.predictor.path=\"{run_dir}/warm_start/predictor\"");
  EXPECT_EQ(config.Get<std::string>("models.predictor.path"), "/tmp/r/warm_start/predictor");
}

TEST(ConfigTest, RunDirReferencesNameTheStages) {
  auto config = Config::FromText(
      "models: {refiner: {path: \"{run_dir}/warm_start/refiner\"}, predictor: {path: \"{run_dir}/warm_start\"}}\n"
      "context_building: {sources: [{format: deeper_jsonl, path: \"{run_dir}/world/test_iterations\"}]}\n",
      "test.yaml");
  EXPECT_EQ(config.RunDirReferences({"models"}), std::vector<std::string>{"warm_start"});
  EXPECT_EQ(config.RunDirReferences({"models.refiner", "context_building", "run.seed"}),
            (std::vector<std::string>{"warm_start", "world"}));
  EXPECT_TRUE(config.RunDirReferences({"prompts", "no.such.key"}).empty());
}

}  // namespace
}  // namespace deeper

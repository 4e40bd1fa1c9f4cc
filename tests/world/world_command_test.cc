// `deeper-tool world`: writes the world's files, honours --seed and --set, refuses bad settings.
#include <gflags/gflags.h>
#include <gtest/gtest.h>

#include "apps/command_registry.h"
#include "apps/tool_flags.h"
#include "common/error.h"
#include "common/files.h"
#include "tests/world/world_test_util.h"

namespace deeper {
namespace {

using world::testing::ScratchDir;

// SetCommandLineOption marks --seed as given, as on a real command line.
int RunWorld(const std::string& out, const std::string& set, const char* seed) {
  FLAGS_out = out;
  FLAGS_set = set;
  gflags::SetCommandLineOption("seed", seed);
  char name[] = "world";
  char* argv[] = {name, nullptr};
  return ToolCommands().at("world").run(1, argv);
}

TEST(WorldCommandTest, WritesTheWorldAndHonoursSeedAndSettings) {
  ScratchDir a, b, c;
  const std::string small = "train_users=12,eval_users=8";
  ASSERT_EQ(RunWorld(a.path(), small, "5"), 0);
  ASSERT_EQ(RunWorld(b.path(), small, "5"), 0);
  ASSERT_EQ(RunWorld(c.path(), small + ",seed=6", "5"), 0);
  for (const char* file : {"/split_data/train_dataset.csv", "/test_iterations/test_iteration_4.jsonl", "/truth.jsonl",
                           "/world.json", "/tokenizer/tokenizer.json", "/tokenizer/tokenizer_config.json"}) {
    ASSERT_TRUE(FileExists(a.path() + file)) << file;
    EXPECT_EQ(ReadFile(a.path() + file), ReadFile(b.path() + file)) << file;
  }
  EXPECT_NE(ReadFile(a.path() + "/truth.jsonl"), ReadFile(c.path() + "/truth.jsonl"));
  EXPECT_NE(ReadFile(a.path() + "/world.json").find("\"seed\": 5"), std::string::npos);
  EXPECT_NE(ReadFile(c.path() + "/world.json").find("\"seed\": 6"), std::string::npos);
  EXPECT_FALSE(FileExists(a.path() + "/test_iterations/test_iteration_5.jsonl"));
}

TEST(WorldCommandTest, BadSettingIsAnErrorAndWritesNothing) {
  ScratchDir dir;
  try {
    RunWorld(dir.path() + "/out", "noise=loud", "1");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("noise=loud"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(FileExists(dir.path() + "/out"));
  FLAGS_out = "";
  EXPECT_THROW(ToolCommands().at("world").run(1, nullptr), Error);
}

}  // namespace
}  // namespace deeper

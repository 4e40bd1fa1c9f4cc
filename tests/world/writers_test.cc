// The world's files: the split CSV and round files read back unchanged through the pipeline's
// readers, the truth file round-trips, and the written directory is byte-identical per seed.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "common/files.h"
#include "stages/context_building/deeper_csv_reader.h"
#include "stages/context_building/deeper_rounds_reader.h"
#include "tests/world/world_test_util.h"
#include "world/deeper_csv_writer.h"
#include "world/truth_file.h"
#include "world/world.h"
#include "world/world_files.h"

namespace deeper::world {
namespace {

using testing::ScratchDir;
using testing::SmallConfig;

void ExpectSameContexts(const std::vector<UserContext>& got, const std::vector<UserContext>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t u = 0; u < want.size(); ++u) {
    EXPECT_EQ(got[u].id, want[u].id);
    EXPECT_EQ(got[u].item_type, want[u].item_type);
    EXPECT_EQ(got[u].split, want[u].split);
    EXPECT_EQ(got[u].dataset_name, want[u].dataset_name);
    EXPECT_EQ(got[u].source_url, want[u].source_url);
    ASSERT_EQ(got[u].windows.size(), want[u].windows.size()) << want[u].id;
    for (size_t k = 0; k < want[u].windows.size(); ++k) {
      EXPECT_EQ(got[u].windows[k].items, want[u].windows[k].items) << want[u].id << " W" << k;
      EXPECT_EQ(got[u].windows[k].ratings, want[u].windows[k].ratings) << want[u].id << " W" << k;
      EXPECT_TRUE(got[u].windows[k].integer_ratings);
    }
  }
}

TEST(WorldWritersTest, CsvAndRoundsReadBackThroughThePipelineReaders) {
  const SimWorld world(SmallConfig());
  ScratchDir dir;
  const WorldFiles files = WriteWorldFiles(world, dir.path());
  ExpectSameContexts(ReadDeeperCsv(files.train_csv), world.Contexts(world.train_users()));
  ASSERT_EQ(files.round_files.size(), 4u);  // eval_windows 6: rounds 1..4
  for (const std::string& path : files.round_files) EXPECT_TRUE(FileExists(path)) << path;
  ExpectSameContexts(ReadDeeperRounds(files.rounds_dir), world.Contexts(world.eval_users()));
  EXPECT_TRUE(FileExists(files.world_json));
  // world.json gives back the config, so later stages can rebuild the lexicon and the persona style.
  EXPECT_EQ(WorldConfigJson(ReadWorldConfig(files.world_json)), WorldConfigJson(world.config()));
  EXPECT_TRUE(FileExists(files.tokenizer_dir + "/tokenizer.json"));
  EXPECT_TRUE(FileExists(files.tokenizer_dir + "/tokenizer_config.json"));
}

TEST(WorldWritersTest, TruthFileRoundTrips) {
  const SimWorld world(SmallConfig());
  ScratchDir dir;
  const WorldFiles files = WriteWorldFiles(world, dir.path());
  const std::vector<UserTruth> truth = ReadTruthJsonl(files.truth, world.lexicon());
  ASSERT_EQ(truth.size(), world.train_users().size() + world.eval_users().size());
  size_t i = 0;
  int drifted = 0;
  for (const auto* group : {&world.train_users(), &world.eval_users()}) {
    for (const SimUser& user : *group) {
      const UserTruth& t = truth[i++];
      EXPECT_EQ(t.id, user.id);
      EXPECT_EQ(t.split, user.split);
      EXPECT_EQ(t.tastes, user.tastes) << user.id;
      EXPECT_EQ(t.drift.kind, user.drift.kind);
      EXPECT_EQ(t.drift.window, user.drift.window);
      EXPECT_EQ(t.drift.genre, user.drift.genre);
      EXPECT_EQ(t.drift.from_level, user.drift.from_level);
      EXPECT_EQ(t.drift.to_level, user.drift.to_level);
      drifted += user.drift.kind != DriftKind::kNone;
    }
  }
  EXPECT_GT(drifted, 0);
  try {
    ParseTruthJsonl("{\"id\": \"x\", \"split\": \"eval\", \"windows\": [{\"bias\": 1, \"tastes\": {\"jazz\": 2}}], "
                    "\"drift\": {\"kind\": \"none\", \"window\": -1, \"genre\": null, \"from\": 0, \"to\": 0}}\n",
                    world.lexicon(), "truth.jsonl");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("truth.jsonl:1: a taste names unknown genre 'jazz'"), std::string::npos)
        << e.what();
  }
}

std::map<std::string, std::string> DirectoryContents(const std::string& dir) {
  std::map<std::string, std::string> contents;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      contents[std::filesystem::relative(entry.path(), dir).string()] = ReadFile(entry.path().string());
    }
  }
  return contents;
}

TEST(WorldWritersTest, SameSeedGivesByteIdenticalFiles) {
  ScratchDir a, b, c;
  WriteWorldFiles(SimWorld(SmallConfig(11)), a.path());
  WriteWorldFiles(SimWorld(SmallConfig(11)), b.path());
  WriteWorldFiles(SimWorld(SmallConfig(12)), c.path());
  const auto first = DirectoryContents(a.path());
  EXPECT_EQ(first.size(), 9u);  // csv, 4 rounds, truth, world.json, 2 tokenizer files
  EXPECT_EQ(first, DirectoryContents(b.path()));
  const auto other = DirectoryContents(c.path());
  ASSERT_EQ(other.size(), first.size());
  for (const char* name : {"split_data/train_dataset.csv", "test_iterations/test_iteration_1.jsonl", "truth.jsonl"}) {
    EXPECT_NE(other.at(name), first.at(name)) << name;
  }
  // The tokenizer depends on the words only, not on the seed.
  EXPECT_EQ(other.at("tokenizer/tokenizer.json"), first.at("tokenizer/tokenizer.json"));
}

TEST(WorldWritersTest, ConfigJsonRoundTripsAndRefusesBadValues) {
  WorldConfig config = SmallConfig(123456789012345ULL);
  config.noise = 0.3;
  config.persona_style = PersonaStyle::kDense;
  config.item_type = "book";
  config.clause_tokens = false;
  EXPECT_EQ(WorldConfigJson(WorldConfigFromJson(WorldConfigJson(config), "x")), WorldConfigJson(config));
  EXPECT_FALSE(WorldConfigFromJson(WorldConfigJson(config), "x").clause_tokens);
  EXPECT_EQ(WorldConfigFromJson("{}", "x").train_users, WorldConfig().train_users);
  try {
    WorldConfigFromJson("{\"noise\": -2}", "world.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("world.json: world setting noise"), std::string::npos) << e.what();
  }
  EXPECT_THROW(WorldConfigFromJson("{\"genres\": [1]}", "x"), Error);
  EXPECT_THROW(WorldConfigFromJson("not json", "x"), Error);
}

TEST(WorldWritersTest, CsvQuotesLikePython) {
  std::string s;
  AppendPythonString("plain", &s);
  AppendPythonString("it's", &s);
  AppendPythonString("say \"hi\" it's", &s);
  AppendPythonString("back\\slash\n", &s);
  EXPECT_EQ(s, "'plain'\"it's\"'say \"hi\" it\\'s''back\\\\slash\\n'");

  UserContext user;
  user.id = "u1";
  user.item_type = "movie";
  user.split = "train";
  user.dataset_name = "d";
  user.source_url = "s";
  Window w;
  w.items = {"a, b", "it's"};
  w.ratings = {4.5, 3};
  user.windows = {w};
  const std::string csv = FormatDeeperCsv({user});
  EXPECT_EQ(csv, "id,item_type,split,dataset_name,source_url,windows_0\n"
                 "u1,movie,train,d,s,\"{'items': ['a, b', \"\"it's\"\"], 'ratings': [4.5, 3.0]}\"\n");
  ScratchDir dir;
  WriteFileAtomic(dir.path() + "/x.csv", csv);
  ContextReadOptions options;
  options.window_length = 2;
  const std::vector<UserContext> back = ReadDeeperCsv(dir.path() + "/x.csv", options);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].windows[0].items, w.items);
  EXPECT_EQ(back[0].windows[0].ratings, w.ratings);
}

}  // namespace
}  // namespace deeper::world

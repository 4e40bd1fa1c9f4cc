#include "pipeline/shard.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>

#include "common/error.h"
#include "common/files.h"

namespace deeper {
namespace {

namespace fs = std::filesystem;

class ShardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("shard_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { deeper::TryRemoveTree(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  static ShardWriter Sample() {
    ShardWriter w;
    w.Add("id", StringColumn{"u1", "ü2 — ✓", ""});
    w.Add("count", Int64Column{1, -2, 1LL << 40});
    w.Add("score", Float32Column{0.5f, -1.25f, 3e-8f});
    w.Add("mean", Float64Column{0.1, 2.0 / 3.0, -7});
    w.Add("items", RaggedStringColumn{{"a", "b"}, {}, {"c'\"d", "e"}});
    w.Add("ratings", RaggedFloat64Column{{5, 4.5}, {}, {1}});
    w.Add("tokens", RaggedInt64Column{{1}, {2, 3, 4}, {}});
    w.Add("logps", RaggedFloat32Column{{}, {-1.5f}, {0}});
    w.SetAttribute("stage", "context_building");
    w.SetAttribute("window_length", int64_t{10});
    return w;
  }

  fs::path dir_;
};

TEST_F(ShardTest, RoundTripsEveryColumnKind) {
  Sample().Commit(Path("a.h5"));
  ShardReader r(Path("a.h5"));
  EXPECT_EQ(r.rows(), 3);
  EXPECT_EQ(r.Strings("id"), (StringColumn{"u1", "ü2 — ✓", ""}));
  EXPECT_EQ(r.Int64("count"), (Int64Column{1, -2, 1LL << 40}));
  EXPECT_EQ(r.Float32("score"), (Float32Column{0.5f, -1.25f, 3e-8f}));
  EXPECT_EQ(r.Float64("mean"), (Float64Column{0.1, 2.0 / 3.0, -7}));
  EXPECT_EQ(r.RaggedStrings("items"), (RaggedStringColumn{{"a", "b"}, {}, {"c'\"d", "e"}}));
  EXPECT_EQ(r.RaggedFloat64("ratings"), (RaggedFloat64Column{{5, 4.5}, {}, {1}}));
  EXPECT_EQ(r.RaggedInt64("tokens"), (RaggedInt64Column{{1}, {2, 3, 4}, {}}));
  EXPECT_EQ(r.RaggedFloat32("logps"), (RaggedFloat32Column{{}, {-1.5f}, {0}}));
  EXPECT_EQ(r.StringAttribute("stage"), "context_building");
  EXPECT_EQ(r.IntAttribute("window_length"), 10);
  EXPECT_EQ(r.ColumnKind("items"), "ragged string");
  EXPECT_EQ(r.ColumnKind("score"), "float32");
  EXPECT_EQ(r.ColumnNames().size(), 8u);
}

TEST_F(ShardTest, IdenticalContentGivesIdenticalBytes) {
  Sample().Commit(Path("a.h5"));
  ::sleep(1);  // Object times, if they were recorded, would now differ.
  Sample().Commit(Path("b.h5"));
  EXPECT_EQ(Sha256File(Path("a.h5")), Sha256File(Path("b.h5")));
}

TEST_F(ShardTest, EmptyShardRoundTrips) {
  ShardWriter w;
  w.Add("id", StringColumn{});
  w.Add("items", RaggedStringColumn{});
  w.Commit(Path("empty.h5"));
  ShardReader r(Path("empty.h5"));
  EXPECT_EQ(r.rows(), 0);
  EXPECT_TRUE(r.Strings("id").empty());
  EXPECT_TRUE(r.RaggedStrings("items").empty());
}

TEST_F(ShardTest, RefusesColumnsOfDifferentLengths) {
  ShardWriter w;
  w.Add("a", Int64Column{1, 2});
  try {
    w.Add("b", Int64Column{1});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'b' has 1 rows, others have 2"), std::string::npos) << e.what();
  }
}

TEST_F(ShardTest, ErrorsNameTheFileAndColumn) {
  Sample().Commit(Path("a.h5"));
  ShardReader r(Path("a.h5"));
  try {
    r.Int64("nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("a.h5: no column 'nope'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(r.Float32("count"), Error);  // wrong type
  EXPECT_THROW(r.Int64("id"), Error);
  WriteFileAtomic(Path("junk.h5"), "not hdf5 at all");
  try {
    ShardReader bad(Path("junk.h5"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("junk.h5: not a readable HDF5 shard"), std::string::npos) << e.what();
  }
}

TEST_F(ShardTest, CommitLeavesNothingWhenWritingFails) {
  ShardWriter w;
  w.Add("a", Int64Column{1});
  // The directory does not exist: the temporary cannot be created, and no file may appear.
  EXPECT_THROW(w.Commit(Path("missing/dir/a.h5")), Error);
  EXPECT_FALSE(fs::exists(Path("missing/dir/a.h5")));
  for (const auto& entry : fs::directory_iterator(dir_)) ADD_FAILURE() << "left behind: " << entry.path();
}

}  // namespace
}  // namespace deeper

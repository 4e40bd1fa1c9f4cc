// The release's round files: food_com's official files round-trip byte for byte through reading
// (merged per user into W0..W6) and writing; disagreements and corruptions are refused.
#include "stages/context_building/deeper_rounds_reader.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "stages/context_building/deeper_csv_reader.h"
#include "stages/context_building/round_writer.h"
#include "test_support.h"

namespace deeper {
namespace {

using testing::DataPath;
using testing::ExpectError;
using testing::ScratchDir;

std::string RoundFile(const std::string& dir, int k) {
  return dir + "/test_iteration_" + std::to_string(k) + ".jsonl";
}

const std::string kOfficialDir = DataPath("deeper/food_com/test_iterations");

TEST(DeeperRoundsTest, OfficialRoundsRoundTripByteForByte) {
  const std::vector<UserContext> users = ReadDeeperRounds(kOfficialDir);
  ASSERT_EQ(users.size(), 356u);
  for (const UserContext& user : users) ASSERT_EQ(user.windows.size(), 7u) << user.id;
  for (int round = 1; round <= 5; ++round) {
    EXPECT_TRUE(FormatRoundJsonl(users, round) == ReadFile(RoundFile(kOfficialDir, round))) << "round " << round;
  }
}

TEST(DeeperRoundsTest, MergedWindowsAgreeWithTheSplitCsv) {
  const std::vector<UserContext> rounds = ReadDeeperRounds(kOfficialDir);
  const std::vector<UserContext> csv = ReadDeeperCsv(DataPath("deeper/food_com/test_dataset.csv"));
  ASSERT_EQ(rounds.size(), csv.size());
  for (size_t u = 0; u < csv.size(); ++u) {
    ASSERT_EQ(rounds[u].id, csv[u].id);
    EXPECT_EQ(rounds[u].source_url, csv[u].source_url);
    for (size_t k = 0; k < csv[u].windows.size(); ++k) {
      EXPECT_EQ(rounds[u].windows[k].items, csv[u].windows[k].items);
      EXPECT_EQ(rounds[u].windows[k].ratings, csv[u].windows[k].ratings);
    }
  }
}

TEST(DeeperRoundsTest, OneFileGivesItsThreeWindows) {
  const std::vector<UserContext> users = ReadDeeperRounds(RoundFile(kOfficialDir, 4));
  ASSERT_EQ(users.size(), 356u);
  ASSERT_EQ(users[0].windows.size(), 6u);
  EXPECT_TRUE(users[0].windows[2].empty());
  EXPECT_FALSE(users[0].windows[3].empty());
  EXPECT_TRUE(FormatRoundJsonl(users, 4) == ReadFile(RoundFile(kOfficialDir, 4)));
  size_t written = 1;
  EXPECT_TRUE(FormatRoundJsonl(users, 3, &written).empty());  // W2 is a gap.
}

TEST(DeeperRoundsTest, EmptyDirectoryIsRefused) {
  ScratchDir dir;
  ExpectError([&] { ReadDeeperRounds(dir.path()); }, {"no test_iteration_K.jsonl files"});
}

// A copy of the official files, to corrupt.
class CorruptRoundsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int k = 1; k <= 5; ++k) {
      std::istringstream in(ReadFile(RoundFile(kOfficialDir, k)));
      for (std::string line; std::getline(in, line);) files_[k].push_back(line);  // Lines keep their '\r'.
    }
  }

  std::vector<UserContext> ReadCopy() {
    for (int k = 1; k <= 5; ++k) {
      std::string bytes;
      for (const std::string& line : files_[k]) bytes += line + "\n";
      WriteFileAtomic(RoundFile(dir_.path(), k), bytes);
    }
    return ReadDeeperRounds(dir_.path());
  }

  void Edit(int k, int line, const std::string& pattern, const std::string& replacement) {
    std::string& text = files_[k][line - 1];
    const std::string edited = std::regex_replace(text, std::regex(pattern), replacement,
                                                  std::regex_constants::format_first_only);
    ASSERT_NE(edited, text) << "pattern " << pattern << " not in round " << k << " line " << line;
    text = edited;
  }

  std::string UserId(int line) const {
    const std::string& text = files_[1][line - 1];
    return text.substr(8, 32);  // {"id": "<32 hex digits>"
  }

  std::vector<std::string> files_[6];
  ScratchDir dir_;
};

TEST_F(CorruptRoundsTest, PristineCopyParses) { EXPECT_EQ(ReadCopy().size(), 356u); }

TEST_F(CorruptRoundsTest, DisagreeingRatingNamesUserAndBothFiles) {
  Edit(3, 10, "\"U3\": \\[\\d", "\"U3\": [9");
  ExpectError([&] { ReadCopy(); }, {"user '" + UserId(10) + "'", "window W3", "test_iteration_2.jsonl:10",
                                    "test_iteration_3.jsonl:10", "rating 1:"});
}

TEST_F(CorruptRoundsTest, DisagreeingItemNamesUserAndBothFiles) {
  Edit(5, 7, "\"I4\": \\[\"", "\"I4\": [\"changed ");
  ExpectError([&] { ReadCopy(); }, {"user '" + UserId(7) + "'", "window W4", "test_iteration_3.jsonl:7",
                                    "test_iteration_5.jsonl:7", "item 1 '"});
}

TEST_F(CorruptRoundsTest, DisagreeingMetadata) {
  Edit(2, 5, "\"split\": \"eval\"", "\"split\": \"train\"");
  ExpectError([&] { ReadCopy(); }, {"user '" + UserId(5) + "'", "test_iteration_1.jsonl:5", "test_iteration_2.jsonl:5"});
}

TEST_F(CorruptRoundsTest, BrokenJson) {
  files_[2][19] = files_[2][19].substr(0, 300);
  ExpectError([&] { ReadCopy(); }, {"test_iteration_2.jsonl:20:", "broken JSON"});
}

TEST_F(CorruptRoundsTest, MissingKey) {
  Edit(1, 3, ", \"I2\": \\[[^\\]]*\\]", "");
  ExpectError([&] { ReadCopy(); }, {"test_iteration_1.jsonl:3:", "missing key 'I2'"});
}

TEST_F(CorruptRoundsTest, UnknownKey) {
  Edit(1, 3, "\"I2\":", "\"I7\":");
  ExpectError([&] { ReadCopy(); }, {"test_iteration_1.jsonl:3:", "unknown key 'I7'"});
}

TEST_F(CorruptRoundsTest, IterationDiffersFromFileName) {
  Edit(4, 8, "\"iteration\": 4", "\"iteration\": 2");
  ExpectError([&] { ReadCopy(); }, {"test_iteration_4.jsonl:8:", "iteration 2 in the file of round 4"});
}

TEST_F(CorruptRoundsTest, WrongWindowLength) {
  Edit(1, 3, "\"U1\": \\[\\d, ", "\"U1\": [");
  ExpectError([&] { ReadCopy(); }, {"test_iteration_1.jsonl:3:", "wrong window length", "U1 has 9 ratings"});
}

TEST_F(CorruptRoundsTest, NonNumericRating) {
  Edit(1, 3, "\"U1\": \\[\\d", "\"U1\": [\"5\"");
  ExpectError([&] { ReadCopy(); }, {"test_iteration_1.jsonl:3:", "non-numeric rating \"5\" (rating 1)"});
}

TEST_F(CorruptRoundsTest, InvalidUtf8) {
  Edit(1, 3, "\"I0\": \\[\"", "\"I0\": [\"\xFF");
  ExpectError([&] { ReadCopy(); }, {"test_iteration_1.jsonl:3:", "invalid UTF-8 (byte 0xFF"});
}

}  // namespace
}  // namespace deeper

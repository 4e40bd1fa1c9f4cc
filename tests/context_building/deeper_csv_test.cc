// The release's split CSVs: every copy in tests/data parses with no rejected row and matches the
// pandas reference (tools/context_building/bench_contexts_pandas.py) byte for byte; food_com rebuilds
// the official round files; corrupted copies are refused with FILE:LINE and the reason.
#include "stages/context_building/deeper_csv_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "stages/context_building/round_writer.h"
#include "test_support.h"

namespace deeper {
namespace {

namespace fs = std::filesystem;
using testing::DataPath;
using testing::ExpectError;
using testing::ScratchDir;

// Records counted without any CSV parsing: the release never puts a newline inside a record.
size_t CountDataLines(const std::string& bytes) {
  const size_t lines = std::count(bytes.begin(), bytes.end(), '\n') + (bytes.empty() || bytes.back() == '\n' ? 0 : 1);
  return lines - 1;  // The header.
}

struct ExpectedDigest {
  std::string sha256;
  int round;
  std::string relative_path;
};

// Lines "SHA256  ROUND  PATH" written by the pandas reference.
std::vector<ExpectedDigest> ReadDigests(const std::string& path) {
  std::istringstream in(ReadFile(path));
  std::vector<ExpectedDigest> digests;
  ExpectedDigest d;
  while (in >> d.sha256 >> d.round >> d.relative_path) digests.push_back(d);
  return digests;
}

// Parses every file of a digest list under `root` and compares counts and round digests.
void CheckAgainstDigests(const std::string& root, const std::string& digest_file) {
  const std::vector<ExpectedDigest> digests = ReadDigests(digest_file);
  ASSERT_FALSE(digests.empty());
  std::string parsed_path;
  std::vector<UserContext> users;
  for (const ExpectedDigest& d : digests) {
    const std::string path = root + "/" + d.relative_path;
    if (path != parsed_path) {
      users = ReadDeeperCsv(path);
      parsed_path = path;
      EXPECT_EQ(users.size(), CountDataLines(ReadFile(path))) << path;
      for (const UserContext& user : users) {
        ASSERT_EQ(user.windows.size(), 5u) << path << " " << user.id;
        for (const Window& w : user.windows) ASSERT_EQ(w.items.size(), 10u);
      }
    }
    EXPECT_EQ(Sha256Hex(FormatRoundJsonl(users, d.round)), d.sha256) << path << " round " << d.round;
  }
}

TEST(DeeperCsvTest, EveryCsvParsesWithNoRejectedRowAndMatchesTheReference) {
  CheckAgainstDigests(DataPath("deeper"), DataPath("deeper/expected_rounds_sha256.txt"));
}

TEST(DeeperCsvTest, EveryCsvInTestDataIsCovered) {
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(DataPath("deeper"))) {
    files += entry.path().extension() == ".csv";
  }
  EXPECT_EQ(files * 3, ReadDigests(DataPath("deeper/expected_rounds_sha256.txt")).size());
}

// The whole release, where it is present next to the repository (or at $DEEPER_RELEASE_DIR).
TEST(DeeperCsvTest, FullReleaseWhenPresent) {
  const char* env = std::getenv("DEEPER_RELEASE_DIR");
  const std::string root = env != nullptr ? env : DEEPER_RELEASE_DIR_DEFAULT;
  if (!fs::is_directory(root)) GTEST_SKIP() << "no release directory at " << root;
  CheckAgainstDigests(root, DataPath("deeper/release_rounds_sha256.txt"));
}

TEST(DeeperCsvTest, FoodComRebuildsTheOfficialRoundFiles) {
  const std::vector<UserContext> users = ReadDeeperCsv(DataPath("deeper/food_com/test_dataset.csv"));
  ASSERT_EQ(users.size(), 356u);
  EXPECT_TRUE(users[0].windows[0].integer_ratings);
  for (int round = 1; round <= 3; ++round) {
    const std::string official =
        ReadFile(DataPath("deeper/food_com/test_iterations/test_iteration_" + std::to_string(round) + ".jsonl"));
    EXPECT_TRUE(FormatRoundJsonl(users, round) == official) << "round " << round;
  }
}

TEST(DeeperCsvTest, HtmlEntitiesAreUnescapedUnlessDisabled) {
  const std::string path = DataPath("deeper/amazon_book/test_dataset_head200.csv");
  auto count_amp = [](const std::vector<UserContext>& users) {
    size_t n = 0;
    for (const auto& u : users) {
      for (const auto& w : u.windows) {
        for (const auto& item : w.items) n += item.find("&amp;") != std::string::npos;
      }
    }
    return n;
  };
  EXPECT_EQ(count_amp(ReadDeeperCsv(path)), 0u);
  ContextReadOptions raw;
  raw.unescape_html = false;
  EXPECT_GT(count_amp(ReadDeeperCsv(path, raw)), 0u);
}

TEST(DeeperCsvTest, WindowLengthIsValidated) {
  ContextReadOptions options;
  options.window_length = 0;
  ExpectError([&] { ReadDeeperCsv(DataPath("deeper/food_com/test_dataset.csv"), options); }, {"window length"});
  options.window_length = 9;
  ExpectError([&] { ReadDeeperCsv(DataPath("deeper/food_com/test_dataset.csv"), options); },
              {"test_dataset.csv:2:", "wrong window length", "expected 9"});
}

// Corrupted copies of food_com/test_dataset.csv.
class CorruptCsvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::istringstream in(ReadFile(DataPath("deeper/food_com/test_dataset.csv")));
    for (std::string line; std::getline(in, line);) lines_.push_back(line);
  }

  // Writes the lines (1-based line i is lines_[i - 1]) to a copy and reads it.
  void ReadCopy(const std::string& tail = "") {
    std::string bytes;
    for (const std::string& line : lines_) bytes += line + "\n";
    WriteFileAtomic(dir_.File("test_dataset.csv"), bytes + tail);
    ReadDeeperCsv(dir_.File("test_dataset.csv"));
  }

  // Replaces the first match of `pattern` on line `line`.
  void Edit(int line, const std::string& pattern, const std::string& replacement) {
    std::string& text = lines_[line - 1];
    const std::string edited = std::regex_replace(text, std::regex(pattern), replacement,
                                                  std::regex_constants::format_first_only);
    ASSERT_NE(edited, text) << "pattern " << pattern << " not on line " << line;
    text = edited;
  }

  std::vector<std::string> lines_;
  ScratchDir dir_;
};

TEST_F(CorruptCsvTest, PristineCopyParses) { EXPECT_NO_THROW(ReadCopy()); }

TEST_F(CorruptCsvTest, TruncatedRow) {
  lines_[41] = lines_[41].substr(0, lines_[41].find(",\"{"));
  ExpectError([&] { ReadCopy(); }, {"test_dataset.csv:42:", "wrong number of fields: 5, expected 10"});
}

TEST_F(CorruptCsvTest, FileCutInsideAQuotedCell) {
  const std::string half = lines_[42].substr(0, lines_[42].size() / 2);
  lines_.resize(42);
  ExpectError([&] { ReadCopy(half); }, {"test_dataset.csv:43:", "unterminated quoted field"});
}

TEST_F(CorruptCsvTest, BrokenRepr) {
  Edit(42, "'ratings': \\[", "'ratings' [");
  ExpectError([&] { ReadCopy(); }, {"test_dataset.csv:42:", "windows_0", "expected ':' after a key"});
}

TEST_F(CorruptCsvTest, UnbalancedBracket) {
  Edit(42, "\\]\\}\",\"\\{", "}\",\"{");
  ExpectError([&] { ReadCopy(); }, {"test_dataset.csv:42:", "windows_0", "expected ',' or ']'"});
}

TEST_F(CorruptCsvTest, NonNumericRating) {
  Edit(42, "'ratings': \\[\\d", "'ratings': ['five'");
  ExpectError([&] { ReadCopy(); }, {"test_dataset.csv:42:", "windows_0", "non-numeric rating 'five' (rating 1)"});
}

TEST_F(CorruptCsvTest, WrongWindowLength) {
  Edit(42, "'ratings': \\[\\d, ", "'ratings': [");
  ExpectError([&] { ReadCopy(); },
              {"test_dataset.csv:42:", "windows_0", "wrong window length: 10 items and 9 ratings, expected 10"});
}

TEST_F(CorruptCsvTest, InvalidUtf8) {
  Edit(42, "'items': \\['", "'items': ['\xC3(");
  ExpectError([&] { ReadCopy(); }, {"test_dataset.csv:42:", "invalid UTF-8 (byte 0xC3"});
}

TEST_F(CorruptCsvTest, UnknownColumn) {
  Edit(1, "source_url", "source_link");
  ExpectError([&] { ReadCopy(); }, {"test_dataset.csv:1:", "unknown column 'source_link'"});
}

TEST_F(CorruptCsvTest, MissingColumn) {
  Edit(1, ",windows_4", "");
  for (size_t i = 1; i < lines_.size(); ++i) lines_[i] = lines_[i].substr(0, lines_[i].rfind(",\"{"));
  EXPECT_NO_THROW(ReadCopy());  // Four windows are a valid layout.
  Edit(1, ",windows_2", "");
  ExpectError([&] { ReadCopy(); }, {"test_dataset.csv:1:", "missing column 'windows_2'"});
}

TEST_F(CorruptCsvTest, RepeatedUser) {
  lines_.insert(lines_.begin() + 42, lines_[41]);
  ExpectError([&] { ReadCopy(); }, {"test_dataset.csv:43:", "appears again (first on line 42)"});
}

TEST_F(CorruptCsvTest, StrayQuote) {
  Edit(42, ",recipe,", ",rec\"ipe,");
  ExpectError([&] { ReadCopy(); }, {"test_dataset.csv:42:", "quote inside unquoted field 2"});
}

}  // namespace
}  // namespace deeper

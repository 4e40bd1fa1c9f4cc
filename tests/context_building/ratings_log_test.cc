// Contexts from a raw ratings log: MovieLens ml-latest-small checked against an independent count
// and against the pandas reference's round files; formats, options and corruptions.
#include "stages/context_building/ratings_log_reader.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "stages/context_building/round_writer.h"
#include "test_support.h"

namespace deeper {
namespace {

using testing::DataPath;
using testing::ExpectError;
using testing::ScratchDir;

const std::string kRatings = DataPath("movielens/ratings.csv");
const std::string kMovies = DataPath("movielens/movies.csv");

RatingsLogOptions MovieLensOptions() {
  RatingsLogOptions options;
  options.dataset_name = "movielens_latest_small";
  options.item_type = "movie";
  options.split = "eval";
  options.source_url = "https://grouplens.org/datasets/movielens/latest/";
  return options;
}

// Ratings per user straight from the text: the user id is everything before the first comma.
std::map<std::string, size_t> CountRatingsPerUser(const std::string& path) {
  std::istringstream in(ReadFile(path));
  std::map<std::string, size_t> counts;
  std::string line;
  std::getline(in, line);  // Header.
  while (std::getline(in, line)) {
    if (!line.empty()) ++counts[line.substr(0, line.find(','))];
  }
  return counts;
}

size_t TotalWindows(const std::vector<UserContext>& users) {
  size_t n = 0;
  for (const auto& u : users) n += u.windows.size();
  return n;
}

TEST(RatingsLogTest, MovieLensUsersAndWindowsMatchAnIndependentCount) {
  size_t expected_users = 0, expected_windows = 0, capped_windows = 0;
  for (const auto& [user, count] : CountRatingsPerUser(kRatings)) {
    if (count > 50) {
      ++expected_users;
      expected_windows += count / 10;
      capped_windows += std::min<size_t>(count / 10, 7);
    }
  }
  RatingsLogStats stats;
  const std::vector<UserContext> users = ReadRatingsLog(kRatings, kMovies, MovieLensOptions(), &stats);
  EXPECT_EQ(users.size(), expected_users);
  EXPECT_EQ(TotalWindows(users), expected_windows);
  EXPECT_EQ(expected_users, 378u);  // As the dataset's README numbers imply; a guard on the count itself.
  EXPECT_EQ(stats.rows, 100837u);
  // The copy carries one extra rating of an item movies.csv lacks, by a user with one rating.
  EXPECT_EQ(stats.unknown_item_rows, 1u);
  EXPECT_EQ(stats.first_unknown_item_line, 100838);

  RatingsLogOptions capped = MovieLensOptions();
  capped.max_windows = 7;
  EXPECT_EQ(TotalWindows(ReadRatingsLog(kRatings, kMovies, capped)), capped_windows);
}

TEST(RatingsLogTest, MovieLensMatchesThePandasReference) {
  const std::vector<UserContext> users = ReadRatingsLog(kRatings, kMovies, MovieLensOptions());
  for (int round : {1, 3}) {
    const std::string golden = ReadFile(DataPath("movielens/golden_round_" + std::to_string(round) + ".jsonl"));
    EXPECT_TRUE(FormatRoundJsonl(users, round) == golden) << "round " << round;
  }
}

TEST(RatingsLogTest, MinRatingsIsStrict) {
  const auto counts = CountRatingsPerUser(kRatings);
  RatingsLogOptions options = MovieLensOptions();
  options.min_ratings = 0;
  const std::vector<UserContext> all = ReadRatingsLog(kRatings, kMovies, options);
  size_t users_with_a_window = 0;
  for (const auto& [user, count] : counts) users_with_a_window += count >= 10;
  EXPECT_EQ(all.size(), users_with_a_window);
}

// A small log written by the test.
class SmallLogTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = dir_.File(name);
    WriteFileAtomic(path, bytes);
    return path;
  }

  // Two users: "a" with 4 ratings (times out of order, a tie), "b" with 2.
  RatingsLogOptions SmallOptions() {
    RatingsLogOptions options;
    options.read.window_length = 2;
    options.min_ratings = 1;
    options.user_column = "user";
    options.item_column = "item";
    options.rating_column = "stars";
    options.time_column = "time";
    options.items.id_column = "id";
    options.items.name_column = "name";
    return options;
  }

  std::string Items() { return Write("items.csv", "id,name\ni1,One\ni2,\"Two, &amp; more\"\ni3,Three\ni4,Four\n"); }

  ScratchDir dir_;
};

TEST_F(SmallLogTest, SortsByTimeStablyAndCutsFullWindows) {
  const std::string log = Write("log.csv",
                                "user,item,stars,time\n"
                                "a,i1,5,30\n"
                                "b,i1,1,10\n"
                                "a,i2,4,10\n"
                                "a,i3,3,20\n"
                                "a,i4,2,10\n"
                                "b,i2,2,5\n"
                                "c,i1,1,1\n");
  const std::vector<UserContext> users = ReadRatingsLog(log, Items(), SmallOptions());
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].id, "a");
  ASSERT_EQ(users[0].windows.size(), 2u);
  // Times 10 (i2), 10 (i4: same time, later in the log), 20 (i3), 30 (i1).
  EXPECT_EQ(users[0].windows[0].items, (std::vector<std::string>{"Two, & more", "Four"}));
  EXPECT_EQ(users[0].windows[1].items, (std::vector<std::string>{"Three", "One"}));
  EXPECT_EQ(users[0].windows[1].ratings, (std::vector<double>{3, 5}));
  EXPECT_TRUE(users[0].windows[0].integer_ratings);
  EXPECT_EQ(users[1].windows[0].items, (std::vector<std::string>{"Two, & more", "One"}));
}

TEST_F(SmallLogTest, OptionsForWindowsMetadataAndNames) {
  const std::string log = Write("log.csv", "user,item,stars,time\na,i1,4.5,1\na,i2,4,2\na,i3,3,3\na,i4,2,4\n");
  RatingsLogOptions options = SmallOptions();
  options.max_windows = 1;
  options.dataset_name = "demo";
  options.item_type = "thing";
  options.split = "train";
  options.read.unescape_html = false;
  const std::vector<UserContext> users = ReadRatingsLog(log, Items(), options);
  ASSERT_EQ(users.size(), 1u);
  ASSERT_EQ(users[0].windows.size(), 1u);
  EXPECT_EQ(users[0].windows[0].items[1], "Two, &amp; more");
  EXPECT_FALSE(users[0].windows[0].integer_ratings);  // 4.5 makes the column a float column.
  EXPECT_EQ(users[0].dataset_name, "demo");
  EXPECT_EQ(users[0].item_type, "thing");
  EXPECT_EQ(users[0].split, "train");
  // Without an item table the ids are the names; without a time column the log order stands.
  options.time_column.clear();
  const std::vector<UserContext> plain = ReadRatingsLog(log, "", options);
  EXPECT_EQ(plain[0].windows[0].items, (std::vector<std::string>{"i1", "i2"}));
}

TEST_F(SmallLogTest, TsvAndJsonlGiveTheSameContextsAsCsv) {
  const std::string csv = Write("log.csv",
                                "user,item,stars,time\na,i1,5.0,3\na,i2,4.5,2\na,i3,3.0,1\na,i4,2.0,4\n"
                                "a,i1,1.0,5\na,i2,1.5,6\n");
  const std::string tsv = Write("log.tsv",
                                "user\titem\tstars\ttime\na\ti1\t5.0\t3\na\ti2\t4.5\t2\na\ti3\t3.0\t1\na\ti4\t2.0\t4\n"
                                "a\ti1\t1.0\t5\na\ti2\t1.5\t6\n");
  const std::string jsonl = Write("log.jsonl",
                                  "{\"user\": \"a\", \"item\": \"i1\", \"stars\": 5.0, \"time\": 3}\n"
                                  "{\"user\": \"a\", \"item\": \"i2\", \"stars\": 4.5, \"time\": 2}\n\n"
                                  "{\"time\": 1, \"user\": \"a\", \"item\": \"i3\", \"stars\": 3.0, \"extra\": null}\n"
                                  "{\"user\": \"a\", \"item\": \"i4\", \"stars\": 2.0, \"time\": 4}\n"
                                  "{\"user\": \"a\", \"item\": \"i1\", \"stars\": 1.0, \"time\": 5}\n"
                                  "{\"user\": \"a\", \"item\": \"i2\", \"stars\": 1.5, \"time\": 6}\r\n");
  const std::string items_jsonl = Write("items.jsonl",
                                        "{\"id\": \"i1\", \"name\": \"One\"}\n{\"id\": \"i2\", \"name\": \"Two\"}\n"
                                        "{\"id\": \"i3\", \"name\": \"Three\"}\n{\"id\": \"i4\", \"name\": \"Four\"}\n");
  const std::string expected = FormatRoundJsonl(ReadRatingsLog(csv, items_jsonl, SmallOptions()), 1);
  EXPECT_NE(expected.find("\"U0\": [3.0, 4.5], \"U1\": [5.0, 2.0], \"U2\": [1.0, 1.5]"), std::string::npos)
      << expected;
  EXPECT_EQ(FormatRoundJsonl(ReadRatingsLog(tsv, items_jsonl, SmallOptions()), 1), expected);
  EXPECT_EQ(FormatRoundJsonl(ReadRatingsLog(jsonl, items_jsonl, SmallOptions()), 1), expected);
}

TEST_F(SmallLogTest, BadRowsAreRefusedWithFileLineAndReason) {
  const std::string items = Items();
  const RatingsLogOptions options = SmallOptions();
  auto expect = [&](const std::string& log_text, std::initializer_list<std::string> pieces) {
    const std::string log = Write("bad.csv", log_text);
    ExpectError([&] { ReadRatingsLog(log, items, options); }, pieces);
  };
  expect("user,item,stars,time\na,i1,5,1\na,i2,five,2\n", {"bad.csv:3:", "non-numeric rating 'five'"});
  expect("user,item,stars,time\na,i1,5,1\na,i2,,2\n", {"bad.csv:3:", "non-numeric rating ''"});
  expect("user,item,stars,time\na,i1,5,1\na,i2,4\n", {"bad.csv:3:", "wrong number of fields: 3, expected 4"});
  expect("user,item,rating,time\na,i1,5,1\n", {"bad.csv:1:", "unknown column 'stars'"});
  expect("user,item,stars,time\na,i1,5,1\na,i2,4,yesterday\n", {"bad.csv:3:", "time 'yesterday' is not an integer"});
  expect("user,item,stars,time\na,i1,5,1\na,i2,4,2\nb,\xE9,4,2\n", {"bad.csv:4:", "invalid UTF-8 (byte 0xE9"});
  expect("user,item,stars,time\na,i1,5,1\na,i9,4,2\n", {"bad.csv:3:", "item 'i9' is not in the item table"});
  expect("user,item,stars,time\na,i1,5,1\n\"a,i2,4,2\n", {"bad.csv:3:", "unterminated quoted field"});
  // An unknown item in a row that no window uses is counted, not refused.
  const std::string log = Write("ok.csv", "user,item,stars,time\na,i1,5,1\na,i2,4,2\nz,i9,4,2\n");
  RatingsLogStats stats;
  EXPECT_EQ(ReadRatingsLog(log, items, options, &stats).size(), 1u);
  EXPECT_EQ(stats.unknown_item_rows, 1u);
  EXPECT_EQ(stats.first_unknown_item_line, 4);
}

TEST_F(SmallLogTest, BadJsonlRowsAndItemTables) {
  const RatingsLogOptions options = SmallOptions();
  const std::string items = Items();
  const std::string broken = Write("bad.jsonl", "{\"user\": \"a\", \"item\": \"i1\", \"stars\": 5, \"time\": 1}\n{\"user\": \n");
  ExpectError([&] { ReadRatingsLog(broken, items, options); }, {"bad.jsonl:2:", "broken JSON"});
  const std::string missing = Write("missing.jsonl", "{\"user\": \"a\", \"item\": \"i1\", \"time\": 1}\n");
  ExpectError([&] { ReadRatingsLog(missing, items, options); }, {"missing.jsonl:1:", "unknown column 'stars'"});
  const std::string log = Write("log.csv", "user,item,stars,time\na,i1,5,1\n");
  const std::string twice = Write("twice.csv", "id,name\ni1,One\ni2,Two\ni1,Again\n");
  ExpectError([&] { ReadRatingsLog(log, twice, options); }, {"twice.csv:4:", "item id 'i1' listed twice (first on line 2)"});
  const std::string no_name = Write("noname.csv", "id,title\ni1,One\n");
  ExpectError([&] { ReadRatingsLog(log, no_name, options); }, {"noname.csv:1:", "unknown column 'name'"});
  RatingsLogOptions bad = options;
  bad.min_ratings = -1;
  ExpectError([&] { ReadRatingsLog(log, items, bad); }, {"min_ratings"});
  bad = options;
  bad.read.window_length = 0;
  ExpectError([&] { ReadRatingsLog(log, items, bad); }, {"window length"});
}

}  // namespace
}  // namespace deeper

namespace deeper {
namespace {

// Logs of at least parallel_min_bytes are read by two threads; the results must not change.
RatingsLogOptions Parallel(RatingsLogOptions options) {
  options.parallel_min_bytes = 1;
  return options;
}

RatingsLogOptions Sequential(RatingsLogOptions options) {
  options.parallel_min_bytes = 0;
  return options;
}

TEST(ParallelReadTest, MovieLensIsTheSameReadByTwoThreads) {
  RatingsLogStats stats;
  const std::vector<UserContext> users = ReadRatingsLog(kRatings, kMovies, Parallel(MovieLensOptions()), &stats);
  for (int round : {1, 3}) {
    const std::string golden = ReadFile(DataPath("movielens/golden_round_" + std::to_string(round) + ".jsonl"));
    EXPECT_TRUE(FormatRoundJsonl(users, round) == golden) << "round " << round;
  }
  EXPECT_EQ(stats.rows, 100837u);
  EXPECT_EQ(stats.users, 611u);
  EXPECT_EQ(stats.unknown_item_rows, 1u);
  EXPECT_EQ(stats.first_unknown_item_line, 100838);
}

TEST(ParallelReadTest, ItemsWithoutATableAreNumberedAsByOneThread) {
  RatingsLogOptions options = MovieLensOptions();
  options.min_ratings = 0;
  const auto one = FormatRoundJsonl(ReadRatingsLog(kRatings, "", Sequential(options)), 1);
  const auto two = FormatRoundJsonl(ReadRatingsLog(kRatings, "", Parallel(options)), 1);
  EXPECT_TRUE(one == two);
}

class ParallelErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::istringstream in(ReadFile(kRatings));
    for (std::string line; std::getline(in, line);) lines_.push_back(line);
  }
  std::string Write() {
    std::string bytes;
    for (const std::string& line : lines_) bytes += line + "\n";
    WriteFileAtomic(dir_.File("ratings.csv"), bytes);
    return dir_.File("ratings.csv");
  }
  std::vector<std::string> lines_;
  ScratchDir dir_;
};

TEST_F(ParallelErrorTest, ErrorInTheSecondHalfNamesItsLine) {
  lines_[90000 - 1] = "1,31,2.5x,964982703";
  const std::string path = Write();
  ExpectError([&] { ReadRatingsLog(path, kMovies, Parallel(MovieLensOptions())); },
              {"ratings.csv:90000:", "non-numeric rating '2.5x'"});
}

TEST_F(ParallelErrorTest, TheFirstHalfsErrorComesFirst) {
  lines_[90000 - 1] = "1,31,2.5x,964982703";
  lines_[20000 - 1] = "1,31,2.5,yesterday";
  const std::string path = Write();
  ExpectError([&] { ReadRatingsLog(path, kMovies, Parallel(MovieLensOptions())); },
              {"ratings.csv:20000:", "time 'yesterday' is not an integer"});
}

TEST_F(ParallelErrorTest, InvalidUtf8InTheSecondHalf) {
  lines_[80000 - 1] = "1,31,2.5,96498\xFF";
  const std::string path = Write();
  ExpectError([&] { ReadRatingsLog(path, kMovies, Parallel(MovieLensOptions())); },
              {"ratings.csv:80000:", "invalid UTF-8"});
}

TEST_F(ParallelErrorTest, UnknownItemInAWindowOfTheSecondHalf) {
  // The last user (610) has far more than 50 ratings; their window items come from the second half.
  ASSERT_EQ(lines_[100000 - 1].substr(0, 4), "610,");
  lines_[100000 - 1] = "610,999998," + lines_[100000 - 1].substr(lines_[100000 - 1].find(',', 4) + 1);
  const std::string path = Write();
  ExpectError([&] { ReadRatingsLog(path, kMovies, Parallel(MovieLensOptions())); },
              {"ratings.csv:100000:", "item '999998' is not in the item table"});
}

TEST_F(ParallelErrorTest, ALogWithQuotesIsReadByOneThreadAndStaysCorrect) {
  // A quoted field with a newline right across the middle of the file.
  lines_[50000 - 1] = "\"1\",\"31\",\"2.5\",\"964982703\"";
  lines_[50400 - 1] = "\"1\",\"31\",\"2.5\",\"96498";
  lines_[50400] = "2703\"";
  const std::string path = Write();
  ExpectError([&] { ReadRatingsLog(path, kMovies, Parallel(MovieLensOptions())); },
              {"ratings.csv:50400:", "time '96498\n2703' is not an integer"});
}

}  // namespace
}  // namespace deeper

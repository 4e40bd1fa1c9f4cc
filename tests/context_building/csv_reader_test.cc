#include "stages/context_building/csv_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "test_support.h"

namespace deeper {
namespace {

using testing::ExpectError;

std::vector<std::vector<std::string>> ReadAll(const std::string& bytes, char delimiter = ',',
                                              std::vector<int64_t>* lines = nullptr) {
  SourceText text = SourceText::FromString("mem.csv", bytes);
  CsvReader reader(&text, delimiter);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string_view> fields;
  while (reader.Next(&fields)) {
    rows.emplace_back(fields.begin(), fields.end());
    if (lines != nullptr) lines->push_back(reader.line());
  }
  return rows;
}

using Rows = std::vector<std::vector<std::string>>;

TEST(CsvReaderTest, PlainAndQuotedFields) {
  EXPECT_EQ(ReadAll("a,b,c\n1,\"two, 2\",3\n"), (Rows{{"a", "b", "c"}, {"1", "two, 2", "3"}}));
}

TEST(CsvReaderTest, DoubledQuotesStandForOne) {
  EXPECT_EQ(ReadAll("\"say \"\"hi\"\"\",\"\"\"\"\n"), (Rows{{"say \"hi\"", "\""}}));
}

TEST(CsvReaderTest, NewlinesInsideQuotesAndLineNumbers) {
  std::vector<int64_t> lines;
  const Rows rows = ReadAll("h1,h2\n\"multi\nline\r\nfield\",x\nlast,row\n", ',', &lines);
  EXPECT_EQ(rows, (Rows{{"h1", "h2"}, {"multi\nline\r\nfield", "x"}, {"last", "row"}}));
  EXPECT_EQ(lines, (std::vector<int64_t>{1, 2, 5}));
}

TEST(CsvReaderTest, CrlfRecordsEmptyFieldsAndNoFinalNewline) {
  EXPECT_EQ(ReadAll("a,,c\r\n,\r\n\"\",x"), (Rows{{"a", "", "c"}, {"", ""}, {"", "x"}}));
}

TEST(CsvReaderTest, SkipsBlankLinesAndByteOrderMark) {
  std::vector<int64_t> lines;
  EXPECT_EQ(ReadAll("\xEF\xBB\xBFid\n\n1\r\n\r\n2\n", ',', &lines), (Rows{{"id"}, {"1"}, {"2"}}));
  EXPECT_EQ(lines, (std::vector<int64_t>{1, 3, 5}));
}

TEST(CsvReaderTest, TabSeparated) {
  EXPECT_EQ(ReadAll("a\tb,c\n\"x\ty\"\tz\n", '\t'), (Rows{{"a", "b,c"}, {"x\ty", "z"}}));
}

TEST(CsvReaderTest, UnterminatedQuoteNamesTheLineItOpensOn) {
  ExpectError([] { ReadAll("a,b\n1,2\n3,\"never\nclosed\n"); }, {"mem.csv:3:", "unterminated quoted field"});
}

TEST(CsvReaderTest, TextAfterClosingQuoteIsRefused) {
  ExpectError([] { ReadAll("a,b\n\"x\"y,2\n"); }, {"mem.csv:2:", "after the closing quote"});
}

TEST(CsvReaderTest, QuoteInsideUnquotedFieldIsRefused) {
  ExpectError([] { ReadAll("a,b\n1,x\"y\n"); }, {"mem.csv:2:", "quote inside unquoted field 2"});
}

}  // namespace
}  // namespace deeper

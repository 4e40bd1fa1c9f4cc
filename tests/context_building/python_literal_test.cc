#include "stages/context_building/python_literal.h"

#include <gtest/gtest.h>

#include <string>

#include "test_support.h"

namespace deeper {
namespace {

using testing::ExpectError;

Window Parse(const std::string& text, int length) {
  Window window;
  ParseWindowLiteral(text, length, &window);
  return window;
}

std::string ParseOneString(const std::string& literal) {
  PyLiteralParser parser(literal);
  std::string out;
  parser.ParseString(&out);
  EXPECT_TRUE(parser.AtEnd()) << literal;
  return out;
}

TEST(PythonLiteralTest, ReleaseStyleWindow) {
  const Window w = Parse(R"({'items': ['a', "b's", 'c'], 'ratings': [5, 4, 0]})", 3);
  EXPECT_EQ(w.items, (std::vector<std::string>{"a", "b's", "c"}));
  EXPECT_EQ(w.ratings, (std::vector<double>{5, 4, 0}));
  EXPECT_TRUE(w.integer_ratings);
}

TEST(PythonLiteralTest, FloatsAndKeyOrderAndTrailingCommas) {
  const Window w = Parse("{ 'ratings' : [4.0, 3.5,\n 0.5 ,], \"items\": ('x', 'y', 'z',), }", 3);
  EXPECT_EQ(w.ratings, (std::vector<double>{4.0, 3.5, 0.5}));
  EXPECT_FALSE(w.integer_ratings);
  EXPECT_EQ(w.items, (std::vector<std::string>{"x", "y", "z"}));
}

TEST(PythonLiteralTest, StringEscapes) {
  EXPECT_EQ(ParseOneString(R"('it\'s')"), "it's");
  EXPECT_EQ(ParseOneString(R"("say \"hi\"")"), "say \"hi\"");
  EXPECT_EQ(ParseOneString(R"('a\\b')"), "a\\b");
  EXPECT_EQ(ParseOneString(R"('n\nt\tr\r')"), "n\nt\tr\r");
  EXPECT_EQ(ParseOneString(R"('\a\b\f\v')"), "\a\b\f\v");
  EXPECT_EQ(ParseOneString(R"('\xa0\xad')"), "\xC2\xA0\xC2\xAD");  // Code points, not bytes.
  EXPECT_EQ(ParseOneString(R"('\u200e\u00e9')"), "\xE2\x80\x8E\xC3\xA9");
  EXPECT_EQ(ParseOneString(R"('\U0001F600')"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(ParseOneString(R"('\101\0')"), std::string("A\0", 2));  // Octal.
  EXPECT_EQ(ParseOneString(R"('\q')"), "\\q");  // Unknown escapes stay as written.
  EXPECT_EQ(ParseOneString("'line \\\ncontinued'"), "line continued");
}

TEST(PythonLiteralTest, RawUnicodePrefixesTripleQuotesAndConcatenation) {
  EXPECT_EQ(ParseOneString("'caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC'"), "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC");
  EXPECT_EQ(ParseOneString(R"(r'a\nb\'')"), R"(a\nb\')");
  EXPECT_EQ(ParseOneString(R"(u'x')"), "x");
  EXPECT_EQ(ParseOneString("'''two\nlines'''"), "two\nlines");
  EXPECT_EQ(ParseOneString(R"("""has "quotes" inside""")"), R"(has "quotes" inside)");
  EXPECT_EQ(ParseOneString(R"('a' "b" 'c')"), "abc");
}

TEST(PythonLiteralTest, Numbers) {
  auto number = [](const std::string& text, bool* integer) {
    PyLiteralParser parser(text);
    const double v = parser.ParseNumber(integer);
    EXPECT_TRUE(parser.AtEnd()) << text;
    return v;
  };
  bool integer = false;
  EXPECT_EQ(number("5", &integer), 5);
  EXPECT_TRUE(integer);
  EXPECT_EQ(number("-2", &integer), -2);
  EXPECT_TRUE(integer);
  EXPECT_EQ(number("1_000", &integer), 1000);
  EXPECT_EQ(number("0x1F", &integer), 31);
  EXPECT_TRUE(integer);
  EXPECT_EQ(number("4.5", &integer), 4.5);
  EXPECT_FALSE(integer);
  EXPECT_EQ(number("1e-05", &integer), 1e-05);
  EXPECT_FALSE(integer);
  EXPECT_EQ(number(".5", &integer), 0.5);
  EXPECT_EQ(number("5.", &integer), 5.0);
  EXPECT_EQ(number("+ 3", &integer), 3);
  EXPECT_EQ(number("0", &integer), 0);
  EXPECT_EQ(number("00", &integer), 0);
}

TEST(PythonLiteralTest, MixedIntsAndFloatsAreFloats) {
  EXPECT_FALSE(Parse("{'items': ['a', 'b'], 'ratings': [5, 4.5]}", 2).integer_ratings);
}

TEST(PythonLiteralTest, BrokenLiteralsAreRefusedWithAReason) {
  ExpectError([] { Parse("{'items': ['a', 'b'], 'ratings': [5, 4]", 2); }, {"expected ',' or '}'"});
  // Adjacent literals join ('b' 'ratings' is 'bratings'), so the ':' is where it breaks.
  ExpectError([] { Parse("{'items': ['a', 'b' 'ratings': [5, 4]}", 2); }, {"expected ',' or ']', found ':'"});
  ExpectError([] { Parse("{'items' ['a', 'b'], 'ratings': [5, 4]}", 2); }, {"column 10: expected ':'"});
  ExpectError([] { Parse("{'items': ['a, 'b'], 'ratings': [5, 4]}", 2); }, {"column"});
  ExpectError([] { Parse("{'items': ['a', 'b'], 'ratings': [5, 4]} extra", 2); }, {"unexpected text"});
  ExpectError([] { Parse("{'items': ['a', 'b'], 'ratings': [5, 4], 'other': []}", 2); }, {"unexpected key 'other'"});
  ExpectError([] { Parse("{'items': ['a', 'b']}", 2); }, {"missing key 'ratings'"});
  ExpectError([] { Parse("{'items': ['a', 'b'], 'items': ['a', 'b']}", 2); }, {"duplicate key 'items'"});
  ExpectError([] { Parse("{'items': ['a', 'b'], 'ratings': [5, 'five']}", 2); },
              {"non-numeric rating 'five' (rating 2)"});
  ExpectError([] { Parse("{'items': ['a', 'b'], 'ratings': [5, None]}", 2); }, {"non-numeric rating 'None' (rating 2)"});
  ExpectError([] { Parse("{'items': ['a', 7], 'ratings': [5, 4]}", 2); }, {"item 2 is not a string"});
  ExpectError([] { Parse("{'items': ['a'], 'ratings': [5]}", 2); }, {"wrong window length: 1 items and 1 ratings"});
  ExpectError([] { Parse("{'items': ['a', 'b'], 'ratings': [5, 4e]}", 2); }, {"malformed number '4e'"});
  ExpectError([] { Parse("{'items': ['a', 'b'], 'ratings': [5, 07]}", 2); }, {"malformed number '07'"});
  ExpectError([] { Parse("{'items': ['\\ud800', 'b'], 'ratings': [5, 4]}", 2); }, {"lone surrogate"});
  ExpectError([] { Parse("{'items': ['\\x4', 'b'], 'ratings': [5, 4]}", 2); }, {"truncated \\xNN escape"});
  ExpectError([] { Parse("{'items': ['a\nb', 'c'], 'ratings': [5, 4]}", 2); }, {"newline inside"});
  ExpectError([] { Parse("{'items': [b'a', 'c'], 'ratings': [5, 4]}", 2); }, {"bytes literal"});
  ExpectError([] { Parse("", 2); }, {"expected '{'"});
}

}  // namespace
}  // namespace deeper

// JSON text must match Python's json.dumps byte for byte (expected values printed by CPython 3).
#include "stages/context_building/json_text.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace deeper {
namespace {

std::string Float(double v) {
  std::string out;
  AppendPythonFloat(v, &out);
  return out;
}

TEST(JsonTextTest, FloatsAsPythonRepr) {
  const std::vector<std::pair<double, const char*>> cases = {
      {4.0, "4.0"},
      {3.5, "3.5"},
      {0.1, "0.1"},
      {1e-05, "1e-05"},
      {0.0001, "0.0001"},
      {0.00012, "0.00012"},
      {1e16, "1e+16"},
      {1234567890123456.0, "1234567890123456.0"},
      {-0.0, "-0.0"},
      {0.0, "0.0"},
      {0.3, "0.3"},
      {1.0 / 3.0, "0.3333333333333333"},
      {2.5e-300, "2.5e-300"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {5e-324, "5e-324"},
      {123456789.125, "123456789.125"},
      {1e22, "1e+22"},
      {-2.75, "-2.75"},
      {100.0, "100.0"},
  };
  for (const auto& [value, expected] : cases) EXPECT_EQ(Float(value), expected);
}

TEST(JsonTextTest, IntegersAndFloatsKeepTheirType) {
  std::string out;
  AppendJsonNumber(5, true, &out);
  out += ' ';
  AppendJsonNumber(5, false, &out);
  out += ' ';
  AppendJsonNumber(0, true, &out);
  out += ' ';
  AppendJsonNumber(-3, true, &out);
  EXPECT_EQ(out, "5 5.0 0 -3");
}

TEST(JsonTextTest, StringsWithEnsureAscii) {
  std::string out;
  AppendJsonString("caf\xC3\xA9 \xF0\x9F\x98\x80 \x7F \x01 \t\n\r\b\f \"q\" \\ / <>", &out);
  EXPECT_EQ(out, R"("caf\u00e9 \ud83d\ude00 \u007f \u0001 \t\n\r\b\f \"q\" \\ / <>")");
}

TEST(JsonTextTest, EmptyString) {
  std::string out;
  AppendJsonString("", &out);
  EXPECT_EQ(out, "\"\"");
}

}  // namespace
}  // namespace deeper

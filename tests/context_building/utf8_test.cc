#include "stages/context_building/utf8.h"

#include <gtest/gtest.h>

namespace deeper {
namespace {

constexpr size_t kValid = std::string_view::npos;

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_EQ(FindInvalidUtf8(""), kValid);
  EXPECT_EQ(FindInvalidUtf8("plain ascii text longer than eight bytes"), kValid);
  EXPECT_EQ(FindInvalidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), kValid);
  EXPECT_EQ(FindInvalidUtf8("\xF4\x8F\xBF\xBF"), kValid);  // U+10FFFF
}

TEST(Utf8Test, FindsTheFirstBadByte) {
  EXPECT_EQ(FindInvalidUtf8("abc\xFF"), 3u);
  EXPECT_EQ(FindInvalidUtf8("0123456789\x80"), 10u);         // Stray continuation byte.
  EXPECT_EQ(FindInvalidUtf8("ab\xC3"), 2u);                  // Truncated sequence at the end.
  EXPECT_EQ(FindInvalidUtf8("ab\xC3z"), 2u);                 // Truncated sequence.
  EXPECT_EQ(FindInvalidUtf8("\xC0\xAF"), 0u);                // Overlong '/'.
  EXPECT_EQ(FindInvalidUtf8("\xE0\x80\xAF"), 0u);            // Overlong.
  EXPECT_EQ(FindInvalidUtf8("x\xED\xA0\x80"), 1u);           // Surrogate U+D800.
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0u);        // Above U+10FFFF.
  EXPECT_EQ(FindInvalidUtf8("\xF5\x80\x80\x80"), 0u);
}

TEST(Utf8Test, EncodesAndDecodes) {
  std::string out;
  EXPECT_TRUE(AppendUtf8(U'A', &out));
  EXPECT_TRUE(AppendUtf8(0xE9, &out));
  EXPECT_TRUE(AppendUtf8(0x20AC, &out));
  EXPECT_TRUE(AppendUtf8(0x1F600, &out));
  EXPECT_EQ(out, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_FALSE(AppendUtf8(0xD800, &out));
  EXPECT_FALSE(AppendUtf8(0x110000, &out));
  size_t pos = 0;
  EXPECT_EQ(DecodeUtf8(out, &pos), U'A');
  EXPECT_EQ(DecodeUtf8(out, &pos), char32_t{0xE9});
  EXPECT_EQ(DecodeUtf8(out, &pos), char32_t{0x20AC});
  EXPECT_EQ(DecodeUtf8(out, &pos), char32_t{0x1F600});
  EXPECT_EQ(pos, out.size());
}

}  // namespace
}  // namespace deeper

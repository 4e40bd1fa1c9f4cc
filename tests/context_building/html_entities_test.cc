// Expected values agree with Python's html.unescape, except that a reference needs its ';'.
#include "stages/context_building/html_entities.h"

#include <gtest/gtest.h>

namespace deeper {
namespace {

TEST(HtmlEntitiesTest, DecodesNamedAndNumericReferences) {
  EXPECT_EQ(UnescapeHtml("Tom &amp; Jerry"), "Tom & Jerry");
  EXPECT_EQ(UnescapeHtml("It&#39;s"), "It's");
  EXPECT_EQ(UnescapeHtml("&#x27;x&#X27;"), "'x'");
  EXPECT_EQ(UnescapeHtml("&quot;Q&quot;"), "\"Q\"");
  EXPECT_EQ(UnescapeHtml("Am&eacute;lie"), "Am\xC3\xA9lie");
  EXPECT_EQ(UnescapeHtml("&nbsp;"), "\xC2\xA0");
  EXPECT_EQ(UnescapeHtml("&apos;"), "'");
  EXPECT_EQ(UnescapeHtml("&trade;"), "\xE2\x84\xA2");
}

TEST(HtmlEntitiesTest, KeepsWhatIsNotAReference) {
  EXPECT_EQ(UnescapeHtml("AT&T"), "AT&T");
  EXPECT_EQ(UnescapeHtml("&Trade;"), "&Trade;");  // Names are case-sensitive.
  EXPECT_EQ(UnescapeHtml("a & b; c"), "a & b; c");
  EXPECT_EQ(UnescapeHtml("&#;"), "&#;");
  EXPECT_EQ(UnescapeHtml("&#x;"), "&#x;");
  EXPECT_EQ(UnescapeHtml("&&amp;"), "&&");
  EXPECT_EQ(UnescapeHtml("no entities"), "no entities");
}

TEST(HtmlEntitiesTest, DecodesOncePerPass) {
  EXPECT_EQ(UnescapeHtml("&amp;lt;"), "&lt;");
}

TEST(HtmlEntitiesTest, InvalidCodePointsBecomeReplacementCharacters) {
  EXPECT_EQ(UnescapeHtml("&#0; &#xD800; &#1114112;"), "\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD");
}

TEST(HtmlEntitiesTest, InPlaceLeavesPlainTextAlone) {
  std::string text = "plain";
  UnescapeHtmlInPlace(&text);
  EXPECT_EQ(text, "plain");
  text = "R&amp;B";
  UnescapeHtmlInPlace(&text);
  EXPECT_EQ(text, "R&B");
}

}  // namespace
}  // namespace deeper

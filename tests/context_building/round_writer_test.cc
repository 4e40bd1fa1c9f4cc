#include "stages/context_building/round_writer.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace deeper {
namespace {

Window MakeWindow(std::vector<std::string> items, std::vector<double> ratings, bool integer) {
  Window w;
  w.items = std::move(items);
  w.ratings = std::move(ratings);
  w.integer_ratings = integer;
  return w;
}

UserContext MakeUser() {
  UserContext user;
  user.id = "u\"1";
  user.item_type = "movie";
  user.split = "eval";
  user.dataset_name = "demo";
  user.source_url = "https://example.org/x?a=1";
  user.windows = {MakeWindow({"A"}, {5}, true), MakeWindow({"B\xC3\xA9"}, {4.5}, false),
                  MakeWindow({"C"}, {3}, false)};
  return user;
}

TEST(RoundWriterTest, KeyOrderAndFormatOfTheRelease) {
  std::string out;
  ASSERT_TRUE(AppendRoundLine(MakeUser(), 1, &out));
  EXPECT_EQ(out,
            "{\"id\": \"u\\\"1\", \"iteration\": 1, \"item_type\": \"movie\", \"split\": \"eval\", "
            "\"dataset_name\": \"demo\", \"source_url\": \"https://example.org/x?a=1\", "
            "\"U0\": [5], \"U1\": [4.5], \"U2\": [3.0], \"I0\": [\"A\"], \"I1\": [\"B\\u00e9\"], \"I2\": [\"C\"]}\r\n");
}

TEST(RoundWriterTest, UsersWithoutTheThreeWindowsAreSkipped) {
  UserContext gap = MakeUser();
  gap.windows[1] = Window();
  std::vector<UserContext> users = {MakeUser(), gap, MakeUser()};
  size_t written = 0;
  const std::string round1 = FormatRoundJsonl(users, 1, &written);
  EXPECT_EQ(written, 2u);
  EXPECT_TRUE(FormatRoundJsonl(users, 2, &written).empty());
  EXPECT_EQ(written, 0u);
  testing::ExpectError([&] { FormatRoundJsonl(users, 0); }, {"round must be at least 1"});
}

}  // namespace
}  // namespace deeper

// The keyed generator: reproducible per key, independent across keys, and with the moments the
// world relies on.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "world/keyed_rng.h"

namespace deeper::world {
namespace {

TEST(KeyedRngTest, SameKeySameStreamOtherKeyOtherStream) {
  KeyedRng a({1, 2, 3}), b({1, 2, 3}), c({1, 2, 4}), d({2, 1, 3});
  int differ_c = 0, differ_d = 0;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differ_c += x != c.Next();
    differ_d += x != d.Next();
  }
  EXPECT_EQ(differ_c, 100);
  EXPECT_EQ(differ_d, 100);
}

// Pins the stream: a change of the mixing would silently change every world.
TEST(KeyedRngTest, StreamIsPinned) {
  KeyedRng rng(HashKey({20250101, HashText("catalog")}));
  const uint64_t first = rng.Next();
  KeyedRng again(HashKey({20250101, HashText("catalog")}));
  EXPECT_EQ(first, again.Next());
  EXPECT_EQ(Mix64(0), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(HashText(""), Mix64(0xCBF29CE484222325ULL));
}

TEST(KeyedRngTest, UniformIntCoversRangeEvenly) {
  KeyedRng rng(42);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    const int v = rng.UniformInt(7);
    ASSERT_GE(v, 0);
    ASSERT_LT(v, 7);
    ++counts[v];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
  for (int i = 0; i < 1000; ++i) {
    const int v = rng.UniformRange(-2, 2);
    EXPECT_GE(v, -2);
    EXPECT_LE(v, 2);
  }
}

TEST(KeyedRngTest, NormalHasUnitVariance) {
  KeyedRng rng(9);
  double sum = 0, sum2 = 0;
  const int n = 50000;
  for (int i = 0; i < n; ++i) {
    const double x = rng.Normal();
    sum += x;
    sum2 += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.02);
  EXPECT_NEAR(sum2 / n, 1.0, 0.03);
}

}  // namespace
}  // namespace deeper::world

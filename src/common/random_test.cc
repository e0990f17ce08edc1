#include "common/random.h"

#include <gtest/gtest.h>

#include <array>

#include "common/clock.h"

namespace tessera {
namespace {

TEST(RandomTest, SeededIsDeterministic) {
  SeededRandom a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.Next64();
    EXPECT_EQ(x, b.Next64());
    differs |= x != c.Next64();
  }
  EXPECT_TRUE(differs);
}

TEST(RandomTest, UniformStaysInRangeAndCoversIt) {
  SeededRandom r(7);
  std::array<int, 10> counts{};
  for (int i = 0; i < 10000; ++i) {
    uint64_t v = r.Uniform(10);
    ASSERT_LT(v, 10u);
    counts[v]++;
  }
  for (int c : counts) EXPECT_GT(c, 800);
  for (int i = 0; i < 1000; ++i) {
    uint64_t v = r.Range(5, 7);
    ASSERT_GE(v, 5u);
    ASSERT_LE(v, 7u);
  }
  EXPECT_FALSE(r.Chance(0));
  EXPECT_TRUE(r.Chance(1));
}

TEST(ClockTest, SimClockMovesOnlyWhenAdvanced) {
  SimClock c(100);
  EXPECT_EQ(c.NowNanos(), 100);
  c.Advance(50);
  EXPECT_EQ(c.NowNanos(), 150);
  EXPECT_DEATH(c.Advance(-1), "never goes backwards");
  auto* sys = SystemClock::Default();
  int64_t t0 = sys->NowNanos();
  EXPECT_GE(sys->NowNanos(), t0);
}

}  // namespace
}  // namespace tessera

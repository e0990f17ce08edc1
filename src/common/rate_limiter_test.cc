// RateLimiter against a SimClock: the burst passes at once, beyond it the waits add up to the
// rate, idle time refills up to the burst and no further, and no fraction of a byte is lost.
#include "common/rate_limiter.h"

#include <gtest/gtest.h>

namespace tessera {
namespace {

constexpr int64_t kSec = 1'000'000'000;

TEST(RateLimiterTest, BurstPassesThenWaitsFollowTheRate) {
  SimClock clock;
  RateLimiter rl(/*bytes_per_sec=*/1000, /*burst_bytes=*/500, &clock);
  EXPECT_EQ(rl.Reserve(500), 0);
  // 100 bytes of debt at 1000 B/s: 100 ms.
  EXPECT_EQ(rl.Reserve(100), kSec / 10);
  // Another 100 bytes queue behind the first: 200 ms from now.
  EXPECT_EQ(rl.Reserve(100), 2 * kSec / 10);
  clock.Advance(2 * kSec / 10);
  EXPECT_EQ(rl.Reserve(0), 0);  // debt repaid exactly
  EXPECT_EQ(rl.Reserve(1), kSec / 1000);
}

TEST(RateLimiterTest, IdleTimeRefillsUpToTheBurstOnly) {
  SimClock clock;
  RateLimiter rl(1000, 500, &clock);
  EXPECT_EQ(rl.Reserve(500), 0);
  clock.Advance(100 * kSec);  // would earn 100000 bytes; the bucket holds 500
  EXPECT_EQ(rl.Reserve(500), 0);
  EXPECT_EQ(rl.Reserve(1000), kSec);
}

TEST(RateLimiterTest, PacesALongStreamToTheRate) {
  SimClock clock;
  const uint64_t rate = 64ull << 20;
  RateLimiter rl(rate, 1 << 20, &clock);
  // 256 MiB in 1 MiB chunks, waiting as told: the stream takes (256 - 1) / 64 seconds.
  for (int i = 0; i < 256; ++i) clock.Advance(rl.Reserve(1 << 20));
  const int64_t expect = static_cast<int64_t>((255.0 / 64.0) * kSec);
  EXPECT_NEAR(static_cast<double>(clock.NowNanos()), static_cast<double>(expect), 1000.0);
}

TEST(RateLimiterTest, SmallStepsLoseNoFractions) {
  SimClock clock;
  RateLimiter rl(3, 1, &clock);  // 3 bytes per second: one byte every 333333333.3 ns
  EXPECT_EQ(rl.Reserve(1), 0);
  // Tiny advances that each earn less than a byte must still add up.
  for (int i = 0; i < 3000; ++i) {
    clock.Advance(kSec / 3000);
    EXPECT_EQ(rl.Reserve(0), 0);
  }
  EXPECT_EQ(rl.Reserve(1), 0);  // one full second: the bucket (capacity 1) is full again
  EXPECT_GT(rl.Reserve(1), 0);
}

}  // namespace
}  // namespace tessera

#include "common/histogram.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace tessera {
namespace {

TEST(HistogramTest, ObservationsLandInTheFirstBucketAtOrAboveThem) {
  Histogram h({1, 2, 4});
  for (double v : {0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 100.0}) h.Observe(v);
  const Histogram::Snapshot s = h.Snap();
  EXPECT_EQ(s.bounds, (std::vector<double>{1, 2, 4}));
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{2, 2, 2, 2}));
  EXPECT_EQ(s.count(), 8u);
  EXPECT_DOUBLE_EQ(s.sum, 117.0);
}

TEST(HistogramTest, NanosAreRecordedAsSeconds) {
  Histogram h(Histogram::LatencyBounds());
  h.ObserveNanos(300'000);  // 0.3 ms: the 0.5 ms bucket
  const Histogram::Snapshot s = h.Snap();
  EXPECT_EQ(s.counts[2], 1u);
  EXPECT_DOUBLE_EQ(s.sum, 0.0003);
}

TEST(HistogramTest, ConcurrentObservationsAreAllCounted) {
  Histogram h(Histogram::SizeBounds());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) h.Observe(static_cast<double>(i % 8));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.Snap().count(), 40000u);
  EXPECT_DOUBLE_EQ(h.Snap().sum, 4 * 1250 * 28.0);
}

TEST(HistogramTest, SnapshotsAddUp) {
  Histogram a({1, 2}), b({1, 2});
  a.Observe(0.5);
  b.Observe(1.5);
  b.Observe(9);
  Histogram::Snapshot total;  // empty: takes the first one's bounds
  total.Add(a.Snap());
  total.Add(b.Snap());
  EXPECT_EQ(total.bounds, (std::vector<double>{1, 2}));
  EXPECT_EQ(total.counts, (std::vector<uint64_t>{1, 1, 1}));
  EXPECT_DOUBLE_EQ(total.sum, 11.0);
  EXPECT_DEATH(total.Add(Histogram({1, 3}).Snap()), "different bounds");
}

TEST(HistogramDeathTest, BoundsMustAscend) {
  EXPECT_DEATH(Histogram({}), "at least one");
  EXPECT_DEATH(Histogram({1, 1}), "ascending");
}

}  // namespace
}  // namespace tessera

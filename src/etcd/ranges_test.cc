// etcd (key, range_end) pairs onto KeyRange, and the interval arithmetic.
#include "etcd/ranges.h"

#include <gtest/gtest.h>

namespace tessera::etcd {
namespace {

const std::string kZero(1, '\0');

TEST(RangesTest, MapsEtcdRangeEnds) {
  auto single = ToEtcdRange("a", "");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->range, (KeyRange{"a", std::nullopt}));
  EXPECT_FALSE(single->inverted);

  auto from = ToEtcdRange("a", kZero);
  ASSERT_TRUE(from.ok());
  EXPECT_EQ(from->range, (KeyRange{"a", ""}));

  auto all = ToEtcdRange(kZero, kZero);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->range, (KeyRange{kZero, ""}));

  auto span = ToEtcdRange("a", "b");
  ASSERT_TRUE(span.ok());
  EXPECT_EQ(span->range, (KeyRange{"a", "b"}));
}

TEST(RangesTest, InvertedAndEmptyRangesHoldNothing) {
  for (const char* end : {"a", "0"}) {
    auto r = ToEtcdRange("a", end);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->inverted) << end;
    EXPECT_EQ(r->range, (KeyRange{"a", std::nullopt}));
  }
}

TEST(RangesTest, EmptyKeyIsRefusedWithEtcdsMessage) {
  auto r = ToEtcdRange("", "b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "etcdserver: key is not provided");
  EXPECT_TRUE(r.status().Is(Status::Code::kInvalidArgument));
}

TEST(RangesTest, Contains) {
  EXPECT_TRUE(RangeContains({"a", std::nullopt}, "a"));
  EXPECT_FALSE(RangeContains({"a", std::nullopt}, "a" + kZero));
  EXPECT_TRUE(RangeContains({"a", "c"}, "b"));
  EXPECT_FALSE(RangeContains({"a", "c"}, "c"));
  EXPECT_TRUE(RangeContains({"a", ""}, "\xff\xff"));
  EXPECT_FALSE(RangeContains({"b", ""}, "a"));
}

TEST(RangesTest, Overlaps) {
  EXPECT_TRUE(RangesOverlap({"a", std::nullopt}, {"a", std::nullopt}));
  EXPECT_FALSE(RangesOverlap({"a", std::nullopt}, {"a" + kZero, std::nullopt}));
  EXPECT_TRUE(RangesOverlap({"b", std::nullopt}, {"a", "c"}));
  EXPECT_FALSE(RangesOverlap({"c", std::nullopt}, {"a", "c"}));
  EXPECT_TRUE(RangesOverlap({"a", "c"}, {"b", ""}));
  EXPECT_FALSE(RangesOverlap({"a", "b"}, {"b", "c"}));
  EXPECT_TRUE(RangesOverlap({"a", ""}, {"z", ""}));
}

}  // namespace
}  // namespace tessera::etcd

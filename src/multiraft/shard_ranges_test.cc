#include "multiraft/shard_ranges.h"

#include <gtest/gtest.h>

namespace tessera::multiraft {
namespace {

ShardDescriptor D(uint64_t id, std::string start, std::string end) {
  ShardDescriptor d;
  d.id = ShardId(id);
  d.start_key = std::move(start);
  d.end_key = std::move(end);
  return d;
}

TEST(ShardRangesTest, FindsOverlapsAndIgnoresTheShardItself) {
  ShardRanges r;
  r.Set(D(1, "", "f"));
  r.Set(D(2, "f", "m"));
  r.Set(D(3, "t", ""));
  EXPECT_EQ(r.Overlap("a", "b", ShardId()), ShardId(1));
  EXPECT_EQ(r.Overlap("e", "g", ShardId(1)), ShardId(2));
  EXPECT_EQ(r.Overlap("m", "t", ShardId()), std::nullopt);  // the gap
  EXPECT_EQ(r.Overlap("n", "", ShardId()), ShardId(3));
  EXPECT_EQ(r.Overlap("", "", ShardId()), ShardId(1));
  EXPECT_EQ(r.Overlap("a", "f", ShardId(1)), std::nullopt);  // touching is not overlapping
  EXPECT_EQ(r.Overlap("zz", "", ShardId(3)), std::nullopt);
}

TEST(ShardRangesTest, SetReplacesARangeAndRemoveForgetsIt) {
  ShardRanges r;
  r.Set(D(1, "", ""));
  EXPECT_EQ(r.Overlap("x", "y", ShardId()), ShardId(1));
  r.Set(D(1, "", "m"));  // a split shrinks the shard
  r.Set(D(9, "m", ""));
  EXPECT_EQ(r.Overlap("x", "y", ShardId()), ShardId(9));
  EXPECT_EQ(r.Overlap("a", "b", ShardId()), ShardId(1));
  r.Remove(ShardId(9));
  EXPECT_EQ(r.Overlap("x", "y", ShardId()), std::nullopt);
  EXPECT_EQ(r.size(), 1u);
}

}  // namespace
}  // namespace tessera::multiraft

#include "client/route_cache.h"

#include <gtest/gtest.h>

namespace tessera::client {
namespace {

Route R(uint64_t id, std::string start, std::string end, uint64_t version, uint64_t leader = 0) {
  Route r;
  r.desc.id = ShardId(id);
  r.desc.start_key = std::move(start);
  r.desc.end_key = std::move(end);
  r.desc.epoch = multiraft::Epoch{1, version};
  r.desc.voters = {NodeId(1), NodeId(2), NodeId(3)};
  r.leader = NodeId(leader);
  return r;
}

TEST(RouteCacheTest, LooksUpTheShardHoldingAKey) {
  RouteCache c;
  c.Insert(R(1, "", "g", 1));
  c.Insert(R(2, "g", "p", 1));
  c.Insert(R(3, "p", "", 1));
  EXPECT_EQ(c.Lookup("a")->desc.id, ShardId(1));
  EXPECT_EQ(c.Lookup("g")->desc.id, ShardId(2));
  EXPECT_EQ(c.Lookup("o\xff")->desc.id, ShardId(2));
  EXPECT_EQ(c.Lookup("zzz")->desc.id, ShardId(3));
  EXPECT_EQ(c.Lookup("")->desc.id, ShardId(1));
}

TEST(RouteCacheTest, MissesOutsideCachedRanges) {
  RouteCache c;
  c.Insert(R(2, "g", "p", 1));
  EXPECT_FALSE(c.Lookup("a"));
  EXPECT_FALSE(c.Lookup("p"));
  EXPECT_TRUE(c.Lookup("h"));
}

TEST(RouteCacheTest, ASplitReplacesTheOldRange) {
  RouteCache c;
  c.Insert(R(1, "", "", 1, 2));
  // After a split shard 1 keeps ["", "m") and shard 4 takes ["m", "").
  c.Insert(R(4, "m", "", 2));
  EXPECT_FALSE(c.Lookup("a")) << "the old whole-range route overlapped and must be gone";
  EXPECT_EQ(c.Lookup("z")->desc.id, ShardId(4));
  c.Insert(R(1, "", "m", 2));
  EXPECT_EQ(c.Lookup("a")->desc.id, ShardId(1));
  EXPECT_EQ(c.size(), 2u);
}

TEST(RouteCacheTest, AMergeReplacesBothHalves) {
  RouteCache c;
  c.Insert(R(1, "", "m", 2));
  c.Insert(R(4, "m", "", 2));
  c.Insert(R(1, "", "", 3));
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.Lookup("z")->desc.id, ShardId(1));
}

TEST(RouteCacheTest, AnOlderEpochOfACachedShardIsIgnored) {
  RouteCache c;
  c.Insert(R(1, "", "m", 2));
  c.Insert(R(1, "", "", 1));  // a late answer from before the split
  EXPECT_FALSE(c.Lookup("z"));
  EXPECT_EQ(c.Lookup("a")->desc.epoch.version, 2u);
}

TEST(RouteCacheTest, LeadersAreRecordedAndRoutesInvalidated) {
  RouteCache c;
  c.Insert(R(1, "", "m", 1));
  c.Insert(R(2, "m", "", 1));
  c.SetLeader(ShardId(2), NodeId(3));
  EXPECT_EQ(c.Lookup("x")->leader, NodeId(3));
  EXPECT_FALSE(c.Lookup("a")->leader);
  c.Invalidate(ShardId(2));
  EXPECT_FALSE(c.Lookup("x"));
  EXPECT_TRUE(c.Lookup("a"));
}

TEST(RouteCacheTest, LookupBeforeFindsTheShardBelowAnEnd) {
  RouteCache c;
  c.Insert(R(1, "", "g", 1));
  c.Insert(R(2, "g", "p", 1));
  c.Insert(R(3, "p", "", 1));
  EXPECT_EQ(c.LookupBefore("")->desc.id, ShardId(3));
  EXPECT_EQ(c.LookupBefore("p")->desc.id, ShardId(2)) << "keys below p live in shard 2";
  EXPECT_EQ(c.LookupBefore("h")->desc.id, ShardId(2));
  EXPECT_EQ(c.LookupBefore("g")->desc.id, ShardId(1));
  c.Invalidate(ShardId(3));
  EXPECT_FALSE(c.LookupBefore(""));
  EXPECT_FALSE(c.LookupBefore("q"));
}

}  // namespace
}  // namespace tessera::client

// Hot shards: a node leading much more than its share of the load gives its hottest movable
// leader to a cooler voter; a shard hot on its own stays (split by load is for that).
#include <gtest/gtest.h>

#include "pd/schedulers.h"
#include "pd/test_views.h"

namespace tessera::pd {
namespace {

using namespace test;

constexpr const char* kKind = "hot-shard";

// Shards 1-3 led by node 1 (400, 300, 200 write ops/s), shard 4 by node 2 (100), shard 5 by
// node 3 (0): loads 900, 100, 0, mean 333, hot above 500 (no minimum load).
ClusterView HotNodeOne() {
  ClusterView v = MakeView(3);
  v.config.hot_node_min_ops_per_sec = 0;
  const double writes[] = {400, 300, 200, 100, 0};
  const uint64_t leaders[] = {1, 1, 1, 2, 3};
  AddShards(
      v, 1, 5,
      [](int) {
        return std::vector<uint64_t>{1, 2, 3};
      },
      [&](int i) { return leaders[i]; });
  for (int i = 0; i < 5; ++i) v.shards[i].stats.write_ops_per_sec = writes[i];
  return v;
}

TEST(HotShardsTest, HottestLeaderMovesToTheCoolestVoter) {
  ClusterView v = HotNodeOne();
  std::vector<Operator> ops = ScheduleHotShards(v);
  ASSERT_EQ(ops.size(), 1u);
  // Node 3 (0 + 400 < 900 - 400); node 2 would not do (100 + 400 is not below 500).
  ExpectOp(v, ops[0], 1, kKind, {Transfer(3)});
  EXPECT_EQ(ops[0].priority, kPriorityHot);
}

TEST(HotShardsTest, LoadBelowTheMinimumIsNoise) {
  ClusterView v = HotNodeOne();
  v.config.hot_node_min_ops_per_sec = 1000;  // node 1's 900 ops/s is not hot
  EXPECT_TRUE(ScheduleHotShards(v).empty());
  v.config.hot_node_min_ops_per_sec = 899;
  EXPECT_EQ(ScheduleHotShards(v).size(), 1u);
}

TEST(HotShardsTest, ALeaderInFlightLoadsItsNewNode) {
  ClusterView v = HotNodeOne();
  // Shard 1 (400) is already on its way to node 3: loads 500, 100, 400 (mean 333, hot above
  // 500): nothing more to move.
  v.busy_shards = {ShardId(1)};
  v.leaders_in_flight[ShardId(1)] = NodeId(3);
  EXPECT_TRUE(ScheduleHotShards(v).empty());
  v.leaders_in_flight.clear();  // counted on node 1, shard 2 would go too
  EXPECT_EQ(ScheduleHotShards(v).size(), 1u);
}

TEST(HotShardsTest, ReadsCountToo) {
  ClusterView v = HotNodeOne();
  for (ShardInfo& s : v.shards) std::swap(s.stats.read_ops_per_sec, s.stats.write_ops_per_sec);
  std::vector<Operator> ops = ScheduleHotShards(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {Transfer(3)});
}

TEST(HotShardsTest, NextHottestWhenTheHottestCannotMove) {
  ClusterView v = HotNodeOne();
  v.busy_shards = {ShardId(1)};
  Node(v, 3).stats.busy = true;
  // Node 1 is 900 (mean 333); shard 2 (300) to node 2: 100 + 300 < 900 - 300.
  std::vector<Operator> ops = ScheduleHotShards(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 2, kKind, {Transfer(2)});
}

TEST(HotShardsTest, ALoneHotShardStays) {
  ClusterView v = MakeView(3);
  AddShards(
      v, 1, 3,
      [](int) {
        return std::vector<uint64_t>{1, 2, 3};
      },
      [](int i) { return i + 1; });
  v.shards[0].stats.write_ops_per_sec = 10'000;  // moving it would only move the hot spot
  EXPECT_TRUE(ScheduleHotShards(v).empty());
}

TEST(HotShardsTest, NothingWithoutLoadOrWhenBalanced) {
  ClusterView v = HotNodeOne();
  for (ShardInfo& s : v.shards) s.stats.write_ops_per_sec = 0;
  EXPECT_TRUE(ScheduleHotShards(v).empty());
  for (ShardInfo& s : v.shards) s.stats.write_ops_per_sec = 100;  // 300, 100, 100: under 1.5x
  Shard(v, 4).stats.write_ops_per_sec = 200;                      // 300, 200, 100
  EXPECT_TRUE(ScheduleHotShards(v).empty());
}

}  // namespace
}  // namespace tessera::pd

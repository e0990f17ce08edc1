// Merge: small shards fold into a neighbour with the same voters; placements are matched first;
// nothing when the result would be too big, when learners or busy shards are involved.
#include <gtest/gtest.h>

#include "pd/schedulers.h"
#include "pd/test_views.h"

namespace tessera::pd {
namespace {

using namespace test;

constexpr const char* kKind = "merge";

// Three shards on nodes 1-3 led by node 1: 1 and 3 small (1 MiB, 10 keys), 2 big (50 MiB,
// 500,000 keys: above the merge limits, below the split limits).
ClusterView ThreeShards() {
  ClusterView v = MakeView(4);
  AddShard(v, 1, "", "f", {1, 2, 3}, 1).stats = {.approximate_size_bytes = kMiB,
                                                 .approximate_keys = 10};
  AddShard(v, 2, "f", "m", {1, 2, 3}, 1).stats = {.approximate_size_bytes = 50 * kMiB,
                                                  .approximate_keys = 500'000};
  AddShard(v, 3, "m", "", {1, 2, 3}, 1).stats = {.approximate_size_bytes = kMiB,
                                                 .approximate_keys = 10};
  return v;
}

TEST(MergeTest, SmallShardsMergeRightwardsAndTheLastOneLeftwards) {
  ClusterView v = ThreeShards();
  std::vector<Operator> ops = MergeSmallShards(v);
  ASSERT_EQ(ops.size(), 1u);  // shard 3's only neighbour, 2, is already taken
  ExpectOp(v, ops[0], 1, kKind, {MergeStep(2)});
  EXPECT_EQ(ops[0].priority, kPriorityBalance);
  v.busy_shards = {ShardId(1)};
  ops = MergeSmallShards(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 3, kKind, {MergeStep(2)});
}

TEST(MergeTest, TwoSmallNeighboursMergeOnceACall) {
  ClusterView v = ThreeShards();
  Shard(v, 2).stats = {.approximate_size_bytes = kMiB, .approximate_keys = 10};
  std::vector<Operator> ops = MergeSmallShards(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {MergeStep(2)});
}

TEST(MergeTest, NotWhenTheResultWouldBeSplit) {
  ClusterView v = ThreeShards();
  Shard(v, 2).stats.approximate_size_bytes = v.config.max_shard_size_bytes - kMiB;
  Shard(v, 3).leader = NodeId();  // keep shard 3 out of this test
  EXPECT_TRUE(MergeSmallShards(v).empty());
  Shard(v, 2).stats.approximate_size_bytes = 50 * kMiB;
  Shard(v, 2).stats.approximate_keys = v.config.max_shard_keys - 5;
  EXPECT_TRUE(MergeSmallShards(v).empty());
  Shard(v, 2).stats.approximate_keys = 500'000;
  EXPECT_EQ(MergeSmallShards(v).size(), 1u);
}

TEST(MergeTest, NotWithLearnersPendingReplicasBusyOrLeaderlessTarget) {
  ClusterView v = ThreeShards();
  Shard(v, 3).leader = NodeId();
  Shard(v, 2).desc.learners = Ids({4});
  EXPECT_TRUE(MergeSmallShards(v).empty());
  Shard(v, 2).desc.learners.clear();
  Shard(v, 1).pending_replicas = Ids({3});
  EXPECT_TRUE(MergeSmallShards(v).empty());
  Shard(v, 1).pending_replicas.clear();
  v.busy_shards = {ShardId(2)};
  EXPECT_TRUE(MergeSmallShards(v).empty());
  v.busy_shards.clear();
  Shard(v, 2).leader = NodeId();
  EXPECT_TRUE(MergeSmallShards(v).empty());
  Shard(v, 2).leader = NodeId(1);
  EXPECT_EQ(MergeSmallShards(v).size(), 1u);
}

TEST(MergeTest, NotAcrossAGapOrWhenDisabled) {
  ClusterView v = ThreeShards();
  Shard(v, 3).leader = NodeId();
  Shard(v, 2).desc.start_key = "g";  // PD has not heard of the shard covering [f, g)
  EXPECT_TRUE(MergeSmallShards(v).empty());
  Shard(v, 2).desc.start_key = "f";
  v.config.merge_max_size_bytes = 0;
  EXPECT_TRUE(MergeSmallShards(v).empty());
}

TEST(MergeTest, NotRightAfterASplitNorWhileTheLoadLasts) {
  ClusterView v = ThreeShards();
  Shard(v, 3).leader = NodeId();  // keep shard 3 out of this test
  ASSERT_EQ(MergeSmallShards(v).size(), 1u);
  // Shard 1's range changed (a split) less than split_merge_interval_ms ago: its size and load
  // are not known yet.
  Shard(v, 1).range_changed_ms = v.now_ms - v.config.split_merge_interval_ms + 1;
  EXPECT_TRUE(MergeSmallShards(v).empty());
  Shard(v, 1).range_changed_ms = v.now_ms - v.config.split_merge_interval_ms;
  ASSERT_EQ(MergeSmallShards(v).size(), 1u);
  // The pair's writes are half the split-by-load threshold: no merge (it would split again).
  Shard(v, 1).stats.write_ops_per_sec = v.config.split_load_ops_per_sec / 4;
  Shard(v, 2).stats.write_ops_per_sec = v.config.split_load_ops_per_sec / 4;
  EXPECT_TRUE(MergeSmallShards(v).empty());
  Shard(v, 2).stats.write_ops_per_sec = 0;
  ASSERT_EQ(MergeSmallShards(v).size(), 1u);
  Shard(v, 2).stats.read_bytes_per_sec = v.config.split_load_bytes_per_sec;
  EXPECT_TRUE(MergeSmallShards(v).empty());
  // Without split by load, load does not hold a merge back.
  v.config.split_load_ops_per_sec = v.config.split_load_bytes_per_sec = 0;
  EXPECT_EQ(MergeSmallShards(v).size(), 1u);
}

TEST(MergeTest, DifferentVotersAreMatchedFirst) {
  ClusterView v = ThreeShards();
  Shard(v, 3).leader = NodeId();
  Shard(v, 2).desc.voters = Ids({1, 2, 4});
  std::vector<Operator> ops = MergeSmallShards(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {AddLearner(4), Promote(4), Remove(3)});
  Node(v, 4).stats.busy = true;  // the target's node cannot take the replica
  EXPECT_TRUE(MergeSmallShards(v).empty());
  Node(v, 4).stats.busy = false;
  Apply(v, ops[0]);
  ops = MergeSmallShards(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {MergeStep(2)});
}

}  // namespace
}  // namespace tessera::pd

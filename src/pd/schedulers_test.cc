// Schedule(): the schedulers together under the limits: priority order, one operator per shard,
// max_operators (busy shards included), per kind, snapshots per node, switches.
#include "pd/schedulers.h"

#include <gtest/gtest.h>

#include "pd/test_views.h"

namespace tessera::pd {
namespace {

using namespace test;

std::vector<uint64_t> Shards(const std::vector<Operator>& ops) {
  std::vector<uint64_t> ids;
  for (const Operator& op : ops) ids.push_back(op.shard.value());
  return ids;
}

// Only the replica checker (drain has no switch, and acts only on draining nodes).
void OnlyReplicaChecker(ScheduleConfig& c) {
  c.enable_split = c.enable_merge = c.enable_hot_shards = false;
  c.enable_balance_replicas = c.enable_balance_leaders = false;
}

// Four nodes; shard 1 lacks a voter (node 4, empty, takes it), shards 2-5 are complete and all
// led by node 1. With only the replica checker and the leader balancer on.
ClusterView RepairAndBalance() {
  ClusterView v = MakeView(4);
  AddShard(v, 1, "", "b", {1, 2}, 1);
  AddShards(
      v, 2, 4,
      [](int) {
        return std::vector<uint64_t>{1, 2, 3};
      },
      [](int) { return 1; });
  v.shards[1].desc.start_key = "b";
  OnlyReplicaChecker(v.config);
  v.config.enable_balance_leaders = true;
  return v;
}

TEST(ScheduleTest, HigherPriorityFirst) {
  ClusterView v = RepairAndBalance();
  std::vector<Operator> all = Schedule(v);
  // The leader balancer's first transfer (shard 1 to node 2) loses to the repair of shard 1.
  ASSERT_EQ(all.size(), 3u);
  ExpectOp(v, all[0], 1, "replica-checker", {AddLearner(4), Promote(4)});
  ExpectOp(v, all[1], 2, "balance-leader", {Transfer(3)});
  ExpectOp(v, all[2], 3, "balance-leader", {Transfer(2)});
  EXPECT_EQ(all[0].priority, kPriorityRepair);
  v.config.max_operators = 1;
  std::vector<Operator> one = Schedule(v);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].kind, "replica-checker");
  EXPECT_EQ(Schedule(v).size(), 1u);  // deterministic
  EXPECT_EQ(Schedule(v)[0].steps, one[0].steps);
}

TEST(ScheduleTest, BusyShardsCountTowardsMaxOperators) {
  ClusterView v = RepairAndBalance();
  v.config.max_operators = 3;
  v.busy_shards = {ShardId(4), ShardId(5)};
  std::vector<Operator> ops = Schedule(v);
  EXPECT_EQ(Shards(ops), std::vector<uint64_t>{1});
  v.busy_shards = {ShardId(4), ShardId(5), ShardId(9)};
  EXPECT_TRUE(Schedule(v).empty());
}

TEST(ScheduleTest, OneOperatorPerShardTheMostUrgent) {
  ClusterView v = MakeView(4);
  ShardInfo& s = AddShard(v, 1, "", "m", {1, 2}, 1);
  s.stats.approximate_size_bytes = 1ull << 40;  // split by size wants it
  s.stats.write_ops_per_sec = 1e6;              // so does split by load
  AddShard(v, 2, "m", "", {1, 2, 3}, 1).stats.write_ops_per_sec = 1e6;
  std::vector<Operator> ops = Schedule(v);
  ASSERT_EQ(ops.size(), 2u);
  ExpectOp(v, ops[0], 1, "replica-checker", {AddLearner(4), Promote(4)});
  ExpectOp(v, ops[1], 2, "split-load", {SplitStep()});
}

TEST(ScheduleTest, PerKindLimit) {
  ClusterView v = MakeView(3);
  AddShards(
      v, 1, 5,
      [](int) {
        return std::vector<uint64_t>{1, 2, 3};
      },
      [](int i) { return i % 3 + 1; });
  for (ShardInfo& s : v.shards) s.stats.approximate_size_bytes = 1ull << 40;
  v.config.max_operators_per_kind = 2;
  std::vector<Operator> ops = Schedule(v);
  EXPECT_EQ(Shards(ops), (std::vector<uint64_t>{1, 2}));
  for (const Operator& op : ops) EXPECT_EQ(op.kind, "split-size");
  v.kinds_in_flight["split-size"] = 1;  // counted against the limit too
  EXPECT_EQ(Shards(Schedule(v)), std::vector<uint64_t>{1});
  v.kinds_in_flight = {{"split-load", 2}};  // another kind's limit
  EXPECT_EQ(Shards(Schedule(v)), (std::vector<uint64_t>{1, 2}));
}

TEST(ScheduleTest, SnapshotsPerNodeCountThoseInFlight) {
  ClusterView v = MakeView(4);
  AddShards(
      v, 1, 3,
      [](int) {
        return std::vector<uint64_t>{1, 2};
      },
      [](int) { return 1; });
  Node(v, 3).stats.busy = true;  // node 4 is the only place for the missing voters
  OnlyReplicaChecker(v.config);
  v.config.max_snapshots_per_node = 2;
  std::vector<Operator> ops = Schedule(v);
  EXPECT_EQ(Shards(ops), (std::vector<uint64_t>{1, 2}));
  v.snapshots_in_flight[NodeId(4)] = 1;
  ops = Schedule(v);
  ASSERT_EQ(Shards(ops), std::vector<uint64_t>{1});
  ExpectOp(v, ops[0], 1, "replica-checker", {AddLearner(4), Promote(4)});
  v.snapshots_in_flight[NodeId(4)] = 2;
  EXPECT_TRUE(Schedule(v).empty());
}

TEST(ScheduleTest, SwitchesTurnSchedulersOff) {
  ClusterView v = RepairAndBalance();
  v.config.enable_replica_checker = false;
  for (const Operator& op : Schedule(v)) EXPECT_EQ(op.kind, "balance-leader");
  v.config.enable_balance_leaders = false;
  EXPECT_TRUE(Schedule(v).empty());
}

TEST(ScheduleTest, AMergeTargetTakenByAnotherOperatorBlocksTheMerge) {
  ClusterView v = MakeView(3);
  // Shard 1 is small; 2-4 are not. Leaders: 1 on node 2, the rest on node 1, which gives a
  // leader transfer for shard 2: the merge target.
  AddShards(
      v, 1, 4,
      [](int) {
        return std::vector<uint64_t>{1, 2, 3};
      },
      [](int i) { return i == 0 ? 2 : 1; });
  for (ShardInfo& s : v.shards) s.stats = {.approximate_size_bytes = 50 * kMiB};
  Shard(v, 1).stats = {.approximate_size_bytes = kMiB, .approximate_keys = 10};
  EXPECT_EQ(Shards(MergeSmallShards(v)), std::vector<uint64_t>{1});
  std::vector<Operator> ops = Schedule(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 2, "balance-leader", {Transfer(3)});
  v.config.enable_balance_leaders = false;
  ops = Schedule(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, "merge", {MergeStep(2)});
}

}  // namespace
}  // namespace tessera::pd

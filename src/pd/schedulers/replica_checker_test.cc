// The replica checker: adding missing voters, replacing dead ones, removing extra replicas and
// stray learners, and doing nothing when nothing safe can be done.
#include <gtest/gtest.h>

#include "pd/schedulers.h"
#include "pd/test_views.h"

namespace tessera::pd {
namespace {

using namespace test;

constexpr int64_t kMinute = 60 * 1000;
constexpr const char* kKind = "replica-checker";

// Five nodes; shard 1 is under-replicated on {1, 2}; shards 2 and 3 are complete and give nodes
// 1-3 two replicas each, nodes 4 and 5 one.
ClusterView UnderReplicated() {
  ClusterView v = MakeView(5);
  AddShard(v, 1, "", "f", {1, 2}, 1);
  AddShard(v, 2, "f", "m", {1, 2, 3}, 1);
  AddShard(v, 3, "m", "", {3, 4, 5}, 3);
  return v;
}

TEST(ReplicaCheckerTest, UnderReplicatedShardGetsALearnerOnTheEmptiestNodeThenPromotes) {
  ClusterView v = UnderReplicated();
  Node(v, 3).stats.used_bytes = 0;  // fewest bytes, but more replicas than 4 and 5
  Node(v, 4).stats.used_bytes = 500;
  Node(v, 5).stats.used_bytes = 100;  // same replica count as 4, fewer bytes
  std::vector<Operator> ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {AddLearner(5), Promote(5)});
  EXPECT_EQ(ops[0].priority, kPriorityRepair);
}

TEST(ReplicaCheckerTest, EqualNodesAreChosenByIdAndUnusableOnesSkipped) {
  ClusterView v = UnderReplicated();
  std::vector<Operator> ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {AddLearner(4), Promote(4)});
  Node(v, 4).stats.busy = true;
  ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {AddLearner(5), Promote(5)});
  Node(v, 5).state = NodeState::kDraining;
  ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {AddLearner(3), Promote(3)});
  Silence(v, 3, 21 * 1000);               // disconnected
  EXPECT_TRUE(CheckReplicas(v).empty());  // no usable node left: nothing, no crash
}

TEST(ReplicaCheckerTest, NewReplicasOfOneCallSpreadOut) {
  ClusterView v = MakeView(5);
  AddShard(v, 1, "", "f", {1, 2}, 1);
  AddShard(v, 2, "f", "", {1, 2}, 1);
  std::vector<Operator> ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 2u);
  ExpectOp(v, ops[0], 1, kKind, {AddLearner(3), Promote(3)});
  ExpectOp(v, ops[1], 2, kKind, {AddLearner(4), Promote(4)});
}

TEST(ReplicaCheckerTest, DeadVoterIsReplacedOnlyAfterMaxNodeDownTime) {
  ClusterView v = MakeView(5);
  AddShard(v, 1, "", "", {1, 2, 3}, 1);
  Silence(v, 3, 10 * kMinute);  // disconnected, not yet down
  EXPECT_TRUE(CheckReplicas(v).empty());
  Silence(v, 3, 31 * kMinute);
  std::vector<Operator> ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {AddLearner(4), Promote(4), Remove(3)});
}

TEST(ReplicaCheckerTest, TombstoneVoterIsReplacedAtOnce) {
  ClusterView v = MakeView(4);
  AddShard(v, 1, "", "", {1, 2, 3}, 3);  // a stale leader on the dead node
  Node(v, 3).state = NodeState::kTombstone;
  std::vector<Operator> ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {AddLearner(4), Promote(4), Transfer(4), Remove(3)});
}

TEST(ReplicaCheckerTest, DeadVoterWithoutAUsableNodeGetsNothing) {
  ClusterView v = MakeView(3);
  AddShard(v, 1, "", "", {1, 2, 3}, 1);
  Silence(v, 3, 31 * kMinute);
  EXPECT_TRUE(CheckReplicas(v).empty());
}

TEST(ReplicaCheckerTest, CaughtUpLearnerReplacesADeadVoter) {
  ClusterView v = MakeView(5);
  AddShard(v, 1, "", "", {1, 2, 3}, 1).desc.learners = Ids({4});  // a cancelled move's learner
  Silence(v, 3, 31 * kMinute);
  std::vector<Operator> ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {Promote(4), Remove(3)});
}

TEST(ReplicaCheckerTest, NothingWithoutAQuorumOfAliveVoters) {
  ClusterView v = MakeView(5);
  AddShard(v, 1, "", "", {1, 2, 3}, 1);
  Silence(v, 2, 31 * kMinute);
  Silence(v, 3, 31 * kMinute);
  EXPECT_TRUE(CheckReplicas(v).empty());
}

TEST(ReplicaCheckerTest, ExtraVoterOnTheFullestNodeIsRemoved) {
  ClusterView v = MakeView(4);
  AddShard(v, 1, "", "m", {1, 2, 3, 4}, 1);
  AddShard(v, 2, "m", "", {2, 3, 4}, 2);  // nodes 2-4 hold two replicas, node 1 one
  std::vector<Operator> ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {Remove(2)});  // equal counts: the lowest id
}

TEST(ReplicaCheckerTest, ExtraVoterOnADownThenDrainingNodeGoesFirst) {
  ClusterView v = MakeView(5);
  AddShard(v, 1, "", "m", {1, 2, 3, 4}, 1);
  AddShard(v, 2, "m", "", {2, 3, 5}, 2);  // nodes 2 and 3 are the fullest
  Node(v, 4).state = NodeState::kDraining;
  std::vector<Operator> ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {Remove(4)});  // draining beats fullest (2 and 3)
  Silence(v, 3, 21 * 1000);
  ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {Remove(3)});  // not alive beats draining
}

TEST(ReplicaCheckerTest, ExtraLeaderHandsLeadershipOverBeforeRemoval) {
  ClusterView v = MakeView(5);
  AddShard(v, 1, "", "f", {1, 2, 3, 4}, 4);
  AddShard(v, 2, "f", "m", {3, 4, 5}, 5);
  AddShard(v, 3, "m", "", {1, 4, 5}, 5);  // node 4 is the fullest
  std::vector<Operator> ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {Transfer(1), Remove(4)});
}

TEST(ReplicaCheckerTest, StrayLearnersArePromotedOrRemoved) {
  ClusterView v = MakeView(4);
  AddShard(v, 1, "", "f", {1, 2}, 1).desc.learners = Ids({3});
  AddShard(v, 2, "f", "m", {1, 2, 3}, 1).desc.learners = Ids({4});
  ShardInfo& pending = AddShard(v, 3, "m", "t", {1, 2, 3}, 1);
  pending.desc.learners = Ids({4});
  pending.pending_replicas = Ids({4});  // still catching up: left alone
  ShardInfo& waiting = AddShard(v, 4, "t", "", {1, 2}, 1);
  waiting.desc.learners = Ids({4});
  waiting.pending_replicas = Ids({4});  // will be promoted once caught up: no second learner
  std::vector<Operator> ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 2u);
  ExpectOp(v, ops[0], 1, kKind, {Promote(3)});
  ExpectOp(v, ops[1], 2, kKind, {Remove(4)});
}

TEST(ReplicaCheckerTest, DeadLearnerIsRemoved) {
  ClusterView v = MakeView(4);
  AddShard(v, 1, "", "", {1, 2, 3}, 1).desc.learners = Ids({4});
  v.shards[0].pending_replicas = Ids({4});
  Silence(v, 4, 31 * kMinute);
  std::vector<Operator> ops = CheckReplicas(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {Remove(4)});
}

TEST(ReplicaCheckerTest, BusyAndLeaderlessShardsAreSkipped) {
  ClusterView v = UnderReplicated();
  v.busy_shards = {ShardId(1)};
  EXPECT_TRUE(CheckReplicas(v).empty());
  v.busy_shards.clear();
  v.shards[0].leader = NodeId();
  EXPECT_TRUE(CheckReplicas(v).empty());
}

}  // namespace
}  // namespace tessera::pd

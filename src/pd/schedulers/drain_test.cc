// Drain: replicas on a draining node move to usable nodes, leadership first when it leads.
#include <gtest/gtest.h>

#include "pd/schedulers.h"
#include "pd/test_views.h"

namespace tessera::pd {
namespace {

using namespace test;

constexpr const char* kKind = "drain";

TEST(DrainTest, DrainingNodeIsEvacuated) {
  ClusterView v = MakeView(5);
  AddShard(v, 1, "", "f", {1, 2, 3}, 1);
  AddShard(v, 2, "f", "m", {2, 3, 4}, 3);  // led by the draining node
  AddShard(v, 3, "m", "", {1, 2, 4}, 1);   // nothing on node 3
  Node(v, 3).state = NodeState::kDraining;
  std::vector<Operator> ops = DrainNodes(v);
  ASSERT_EQ(ops.size(), 2u);
  ExpectOp(v, ops[0], 1, kKind, {AddLearner(5), Promote(5), Remove(3)});
  // Node 5 now counts the replica placed just before, and still has fewer than node 1.
  ExpectOp(v, ops[1], 2, kKind, {AddLearner(5), Promote(5), Transfer(5), Remove(3)});
  EXPECT_EQ(ops[0].priority, kPriorityRepair);
  // Carried out, the node is empty and nothing more is proposed.
  for (const Operator& op : ops) Apply(v, op);
  for (const ShardInfo& s : v.shards) EXPECT_FALSE(s.HasReplicaOn(NodeId(3)));
  EXPECT_TRUE(DrainNodes(v).empty());
}

TEST(DrainTest, LearnerOnADrainingNodeIsRemoved) {
  ClusterView v = MakeView(4);
  AddShard(v, 1, "", "", {1, 2, 3}, 1).desc.learners = Ids({4});
  Node(v, 4).state = NodeState::kDraining;
  std::vector<Operator> ops = DrainNodes(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {Remove(4)});
}

TEST(DrainTest, NothingWithoutAUsableNodeOrForBusyShards) {
  ClusterView v = MakeView(4);
  AddShard(v, 1, "", "m", {1, 2, 3}, 1);
  AddShard(v, 2, "m", "", {1, 2, 3}, 1);
  Node(v, 3).state = NodeState::kDraining;
  Node(v, 4).stats.busy = true;
  EXPECT_TRUE(DrainNodes(v).empty());
  // Leading there, a shard at least hands its leadership away while the replica must wait.
  Shard(v, 2).leader = NodeId(3);
  std::vector<Operator> lead = DrainNodes(v);
  ASSERT_EQ(lead.size(), 1u);
  ExpectOp(v, lead[0], 2, kKind, {Transfer(1)});
  Shard(v, 2).leader = NodeId(1);
  Node(v, 4).stats.busy = false;
  v.busy_shards = {ShardId(1)};
  std::vector<Operator> ops = DrainNodes(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 2, kKind, {AddLearner(4), Promote(4), Remove(3)});
}

TEST(DrainTest, OneOperatorPerShardWithTwoDrainingReplicas) {
  ClusterView v = MakeView(5);
  AddShard(v, 1, "", "", {1, 2, 3}, 1);
  Node(v, 2).state = NodeState::kDraining;
  Node(v, 3).state = NodeState::kDraining;
  std::vector<Operator> ops = DrainNodes(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 1, kKind, {AddLearner(4), Promote(4), Remove(2)});
}

}  // namespace
}  // namespace tessera::pd

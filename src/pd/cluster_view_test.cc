// ClusterView's node states and lookups: which nodes are down, connected, usable.
#include "pd/cluster_view.h"

#include <gtest/gtest.h>

#include "pd/test_views.h"

namespace tessera::pd {
namespace {

using namespace test;

constexpr int64_t kMinute = 60 * 1000;

TEST(ClusterViewTest, NodeIsDownAfterMaxDownTimeAndDisconnectedBefore) {
  ClusterView v = MakeView(3);
  Silence(v, 1, 30 * kMinute);      // exactly max_node_down_time_ms
  Silence(v, 2, 30 * kMinute - 1);  // just short of it, but past node_disconnected_ms
  EXPECT_TRUE(v.IsNodeDown(Node(v, 1)));
  EXPECT_FALSE(v.IsNodeDown(Node(v, 2)));
  EXPECT_FALSE(v.IsNodeConnected(Node(v, 2)));
  EXPECT_FALSE(v.IsNodeUsable(Node(v, 2)));
  EXPECT_TRUE(v.IsNodeUsable(Node(v, 3)));
}

TEST(ClusterViewTest, SilenceCountsFromPdLeadershipAtTheEarliest) {
  ClusterView v = MakeView(2);
  Node(v, 1).last_heartbeat_ms = 0;  // never heard from since PD's leader took over
  Silence(v, 2, 60 * kMinute);       // heard long before that
  v.leader_since_ms = kNowMs - 10 * 1000;
  EXPECT_FALSE(v.IsNodeDown(Node(v, 1)));
  EXPECT_TRUE(v.IsNodeUsable(Node(v, 1)));  // 10 s: not yet disconnected
  EXPECT_FALSE(v.IsNodeDown(Node(v, 2)));
  v.leader_since_ms = kNowMs - 25 * 1000;
  EXPECT_FALSE(v.IsNodeUsable(Node(v, 1)));
  EXPECT_FALSE(v.IsNodeDown(Node(v, 1)));
}

TEST(ClusterViewTest, DrainingTombstoneAndBusyNodesAreNotUsable) {
  ClusterView v = MakeView(4);
  Node(v, 1).state = NodeState::kDraining;
  Node(v, 2).state = NodeState::kTombstone;
  Node(v, 3).stats.busy = true;
  EXPECT_FALSE(v.IsNodeUsable(Node(v, 1)));
  EXPECT_TRUE(v.IsNodeConnected(Node(v, 1)));
  EXPECT_FALSE(v.IsNodeUsable(Node(v, 2)));
  EXPECT_FALSE(v.IsNodeConnected(Node(v, 2)));
  EXPECT_FALSE(v.IsNodeUsable(Node(v, 3)));
  EXPECT_TRUE(v.IsNodeConnected(Node(v, 3)));
  EXPECT_TRUE(v.IsNodeUsable(Node(v, 4)));
  EXPECT_STREQ(NodeStateName(NodeState::kDraining), "draining");
}

TEST(ClusterViewTest, LookupsAndReplicas) {
  ClusterView v = MakeView(3);
  ShardInfo& s = AddShard(v, 7, "", "", {3, 1}, 1);
  s.desc.learners = Ids({2});
  EXPECT_EQ(s.Replicas(), Ids({1, 2, 3}));
  EXPECT_TRUE(s.HasReplicaOn(NodeId(2)));
  EXPECT_FALSE(s.HasReplicaOn(NodeId(4)));
  ASSERT_NE(v.FindNode(NodeId(2)), nullptr);
  EXPECT_EQ(v.FindNode(NodeId(2))->id, NodeId(2));
  EXPECT_EQ(v.FindNode(NodeId(9)), nullptr);
  v.busy_shards = {ShardId(7)};
  EXPECT_TRUE(v.IsBusy(ShardId(7)));
  EXPECT_FALSE(v.IsBusy(ShardId(8)));
}

TEST(ClusterViewTest, WellFormedNeedsOrderedNodesAndDisjointShards) {
  ClusterView v = MakeView(3);
  AddShard(v, 1, "", "f", {1}, 1);
  AddShard(v, 2, "m", "", {1}, 1);  // a gap between f and m is allowed
  EXPECT_TRUE(v.IsWellFormed());
  ClusterView overlap = v;
  overlap.shards[1].desc.start_key = "e";
  EXPECT_FALSE(overlap.IsWellFormed());
  ClusterView unordered = v;
  std::swap(unordered.nodes[0], unordered.nodes[1]);
  EXPECT_FALSE(unordered.IsWellFormed());
  ClusterView twice = v;
  twice.nodes[1].id = NodeId(1);
  EXPECT_FALSE(twice.IsWellFormed());
}

}  // namespace
}  // namespace tessera::pd

// Balance replicas: moves from the fullest node to the emptiest, weighted by size, without
// oscillating, and converges when run round after round.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "pd/schedulers.h"
#include "pd/test_views.h"

namespace tessera::pd {
namespace {

using namespace test;

constexpr const char* kKind = "balance-replica";

// Per node (connected and up), the sum of (size + 1 MiB) of its replicas.
std::map<NodeId, uint64_t> Scores(const ClusterView& v) {
  std::map<NodeId, uint64_t> score;
  for (const NodeInfo& n : v.nodes) score[n.id] = 0;
  for (const ShardInfo& s : v.shards) {
    for (NodeId r : s.Replicas()) score[r] += s.stats.approximate_size_bytes + kMiB;
  }
  return score;
}

// Runs BalanceReplicas and applies its operators until it proposes nothing. Returns the rounds.
int RunToFixpoint(ClusterView& v, int max_rounds) {
  for (int round = 0; round < max_rounds; ++round) {
    std::vector<Operator> ops = BalanceReplicas(v);
    if (ops.empty()) return round;
    for (const Operator& op : ops) Apply(v, op);
  }
  return max_rounds;
}

void ExpectWellPlaced(const ClusterView& v) {
  for (const ShardInfo& s : v.shards) {
    EXPECT_EQ(s.desc.voters.size(), v.config.replicas) << DescribeShard(s.desc);
    EXPECT_TRUE(s.desc.learners.empty()) << DescribeShard(s.desc);
    EXPECT_EQ(std::adjacent_find(s.desc.voters.begin(), s.desc.voters.end()), s.desc.voters.end());
  }
}

void ExpectSpreadWithin(const ClusterView& v, double fraction) {
  std::map<NodeId, uint64_t> score = Scores(v);
  uint64_t lo = UINT64_MAX, hi = 0, total = 0;
  for (const auto& [id, s] : score) {
    lo = std::min(lo, s);
    hi = std::max(hi, s);
    total += s;
  }
  const double mean = static_cast<double>(total) / static_cast<double>(score.size());
  EXPECT_LE(static_cast<double>(hi - lo), fraction * mean) << "max " << hi << " min " << lo;
}

// Three empty shards on nodes 1-3 (led by node 2); node 4 holds nothing.
ClusterView ThreeShardsAndAnEmptyNode() {
  ClusterView v = MakeView(4);
  AddShards(
      v, 1, 3,
      [](int) {
        return std::vector<uint64_t>{1, 2, 3};
      },
      [](int) { return 2; });
  return v;
}

TEST(BalanceReplicasTest, MovesFromTheFullestNodeToTheEmptiest) {
  ClusterView v = ThreeShardsAndAnEmptyNode();
  std::vector<Operator> ops = BalanceReplicas(v);
  // Scores 3, 3, 3, 0 MiB: node 1 gives shard 1, node 2 (leader) shard 2; then 2, 2, 3, 2 is
  // within what one more move could improve without overshooting.
  ASSERT_EQ(ops.size(), 2u);
  ExpectOp(v, ops[0], 1, kKind, {AddLearner(4), Promote(4), Remove(1)});
  ExpectOp(v, ops[1], 2, kKind, {AddLearner(4), Promote(4), Transfer(4), Remove(2)});
  EXPECT_EQ(ops[0].priority, kPriorityBalance);
}

TEST(BalanceReplicasTest, MovesInFlightCountAsMade) {
  ClusterView v = ThreeShardsAndAnEmptyNode();
  // The two moves of the test above are under way (shard 1's learner already added on node 4).
  Shard(v, 1).desc.learners = Ids({4});
  v.busy_shards = {ShardId(1), ShardId(2)};
  v.replicas_arriving[NodeId(4)] = {ShardId(1), ShardId(2)};
  v.replicas_leaving[NodeId(1)] = {ShardId(1)};
  v.replicas_leaving[NodeId(2)] = {ShardId(2)};
  EXPECT_TRUE(BalanceReplicas(v).empty()) << "planned the same surplus twice";
  // Without them, shard 3 would move to node 4 (2 shards stay busy).
  v.replicas_arriving.clear();
  v.replicas_leaving.clear();
  EXPECT_EQ(BalanceReplicas(v).size(), 1u);
}

TEST(BalanceReplicasTest, SizeOutweighsCount) {
  ClusterView v = MakeView(3);
  v.config.replicas = 1;
  // Node 1 holds two 15 MiB shards, node 2 three empty ones, node 3 nothing.
  AddShard(v, 1, "", "b", {1}, 1).stats.approximate_size_bytes = 15 * kMiB;
  AddShard(v, 2, "b", "c", {2}, 2);
  AddShard(v, 3, "c", "d", {2}, 2);
  AddShard(v, 4, "d", "e", {2}, 2);
  AddShard(v, 5, "e", "", {1}, 1).stats.approximate_size_bytes = 15 * kMiB;
  std::vector<Operator> ops = BalanceReplicas(v);
  ASSERT_EQ(ops.size(), 1u);  // 32, 3, 0 MiB becomes 16, 3, 16: no move shrinks it further
  ExpectOp(v, ops[0], 1, kKind, {AddLearner(3), Promote(3), Transfer(3), Remove(1)});
}

TEST(BalanceReplicasTest, NothingWithinTolerance) {
  ClusterView v = MakeView(4);
  // Every node holds three of the four shards.
  AddShards(
      v, 1, 4,
      [](int i) {
        std::vector<uint64_t> all{1, 2, 3, 4};
        all.erase(all.begin() + i);
        return all;
      },
      [](int i) { return i == 0 ? 2 : 1; });
  EXPECT_TRUE(BalanceReplicas(v).empty());
}

TEST(BalanceReplicasTest, OnlySettledShardsMoveAndOnlyToUsableNodes) {
  ClusterView v = MakeView(5);
  AddShards(
      v, 1, 6,
      [](int) {
        return std::vector<uint64_t>{1, 2, 3};
      },
      [](int) { return 1; });
  Node(v, 5).stats.busy = true;
  Shard(v, 1).leader = NodeId();
  Shard(v, 2).pending_replicas = Ids({3});
  Shard(v, 3).down_replicas = Ids({2});
  Shard(v, 4).desc.learners = Ids({5});
  v.busy_shards = {ShardId(5)};
  std::vector<Operator> ops = BalanceReplicas(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 6, kKind, {AddLearner(4), Promote(4), Transfer(4), Remove(1)});
}

TEST(BalanceReplicasTest, AtMostMaxOperatorsPerKindACall) {
  ClusterView v = MakeView(6);
  AddShards(
      v, 1, 30,
      [](int) {
        return std::vector<uint64_t>{1, 2, 3};
      },
      [](int) { return 1; });
  EXPECT_EQ(BalanceReplicas(v).size(), v.config.max_operators_per_kind);
  v.config.max_operators_per_kind = 2;
  std::vector<Operator> ops = BalanceReplicas(v);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_NE(ops[0].shard, ops[1].shard);
}

TEST(BalanceReplicasTest, ConvergesOnANewNodeWithShardsOfMixedSizes) {
  ClusterView v = MakeView(6);
  // 40 shards of 0-9 MiB on nodes 1-5 (rotating), node 6 new and empty.
  AddShards(
      v, 1, 40,
      [](int i) {
        return std::vector<uint64_t>{uint64_t(i % 5 + 1), uint64_t((i + 1) % 5 + 1),
                                     uint64_t((i + 2) % 5 + 1)};
      },
      [](int i) { return i % 5 + 1; });
  for (int i = 0; i < 40; ++i) {
    v.shards[i].stats.approximate_size_bytes = static_cast<uint64_t>(i * 7 % 10) * kMiB;
  }
  const int rounds = RunToFixpoint(v, 100);
  EXPECT_LT(rounds, 100) << "did not converge";
  EXPECT_GT(rounds, 0);
  ExpectWellPlaced(v);
  ExpectSpreadWithin(v, 0.2);
  EXPECT_TRUE(BalanceReplicas(v).empty());
}

TEST(BalanceReplicasTest, ConvergesFromEverythingOnThreeNodes) {
  ClusterView v = MakeView(7);
  AddShards(
      v, 1, 50,
      [](int) {
        return std::vector<uint64_t>{1, 2, 3};
      },
      [](int) { return 1; });
  const int rounds = RunToFixpoint(v, 100);
  EXPECT_LT(rounds, 100) << "did not converge";
  ExpectWellPlaced(v);
  ExpectSpreadWithin(v, 0.2);
}

}  // namespace
}  // namespace tessera::pd

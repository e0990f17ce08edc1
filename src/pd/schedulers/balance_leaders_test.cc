// Balance leaders: transfers from the node with most leaders to the one with fewest, only to
// usable voters, and converges when run round after round.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "pd/schedulers.h"
#include "pd/test_views.h"

namespace tessera::pd {
namespace {

using namespace test;

constexpr const char* kKind = "balance-leader";

std::map<NodeId, int> LeaderCounts(const ClusterView& v) {
  std::map<NodeId, int> count;
  for (const NodeInfo& n : v.nodes) count[n.id] = 0;
  for (const ShardInfo& s : v.shards) ++count[s.leader];
  return count;
}

// Six shards on nodes 1-3, all led by node 1.
ClusterView SixLedByNodeOne() {
  ClusterView v = MakeView(3);
  AddShards(
      v, 1, 6,
      [](int) {
        return std::vector<uint64_t>{1, 2, 3};
      },
      [](int) { return 1; });
  return v;
}

TEST(BalanceLeadersTest, MovesLeadersFromTheBusiestNodeToTheIdlest) {
  ClusterView v = SixLedByNodeOne();
  std::vector<Operator> ops = BalanceLeaders(v);
  // Counts 6, 0, 0 -> 5, 1, 0 -> 4, 1, 1 -> 3, 2, 1 -> 2, 2, 2.
  ASSERT_EQ(ops.size(), 4u);
  ExpectOp(v, ops[0], 1, kKind, {Transfer(2)});
  ExpectOp(v, ops[1], 2, kKind, {Transfer(3)});
  ExpectOp(v, ops[2], 3, kKind, {Transfer(2)});
  ExpectOp(v, ops[3], 4, kKind, {Transfer(3)});
  EXPECT_EQ(ops[0].priority, kPriorityBalance);
}

TEST(BalanceLeadersTest, TransfersInFlightCountAsMade) {
  ClusterView v = SixLedByNodeOne();
  // The four transfers of the test above are under way: 6, 0, 0 will be 2, 2, 2.
  v.busy_shards = {ShardId(1), ShardId(2), ShardId(3), ShardId(4)};
  v.leaders_in_flight = {{ShardId(1), NodeId(2)},
                         {ShardId(2), NodeId(3)},
                         {ShardId(3), NodeId(2)},
                         {ShardId(4), NodeId(3)}};
  EXPECT_TRUE(BalanceLeaders(v).empty()) << "moved the same surplus twice";
  // Counted as not under way, the same view moves shards 5 and 6 as well.
  v.leaders_in_flight.clear();
  EXPECT_EQ(BalanceLeaders(v).size(), 2u);
}

TEST(BalanceLeadersTest, OnlyToUsableCaughtUpVoters) {
  ClusterView v = MakeView(4);  // node 4 holds no replica: it cannot lead
  AddShards(
      v, 1, 4,
      [](int) {
        return std::vector<uint64_t>{1, 2, 3};
      },
      [](int) { return 1; });
  Node(v, 2).stats.busy = true;
  Shard(v, 1).pending_replicas = Ids({3});
  v.busy_shards = {ShardId(2)};
  std::vector<Operator> ops = BalanceLeaders(v);
  // Usable: 1, 3, 4 with 4, 0, 0 leaders. Only node 3 can take leaders (node 4 is no voter),
  // not of shard 1 (pending there) nor of shard 2 (busy): 4, 0 -> 3, 1 -> 2, 2.
  ASSERT_EQ(ops.size(), 2u);
  ExpectOp(v, ops[0], 3, kKind, {Transfer(3)});
  ExpectOp(v, ops[1], 4, kKind, {Transfer(3)});
}

TEST(BalanceLeadersTest, NothingWhenOneApart) {
  ClusterView v = MakeView(3);
  AddShards(
      v, 1, 4,
      [](int) {
        return std::vector<uint64_t>{1, 2, 3};
      },
      [](int i) { return i % 3 + 1; });  // 2, 1, 1
  EXPECT_TRUE(BalanceLeaders(v).empty());
}

TEST(BalanceLeadersTest, Converges) {
  ClusterView v = MakeView(5);
  // 60 shards on rotating triples of nodes, every leader on the lowest id of its triple.
  AddShards(
      v, 1, 60,
      [](int i) {
        return std::vector<uint64_t>{uint64_t(i % 5 + 1), uint64_t((i + 1) % 5 + 1),
                                     uint64_t((i + 2) % 5 + 1)};
      },
      [](int i) {
        return std::min({i % 5 + 1, (i + 1) % 5 + 1, (i + 2) % 5 + 1});
      });
  int rounds = 0;
  for (; rounds < 50; ++rounds) {
    std::vector<Operator> ops = BalanceLeaders(v);
    if (ops.empty()) break;
    for (const Operator& op : ops) Apply(v, op);
  }
  EXPECT_LT(rounds, 50) << "did not converge";
  EXPECT_GT(rounds, 0);
  std::map<NodeId, int> count = LeaderCounts(v);
  auto [lo, hi] = std::minmax_element(
      count.begin(), count.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  EXPECT_LE(hi->second - lo->second, 1);  // within max(1, 5% of 12): at most 1 apart
  EXPECT_LE(hi->second - lo->second, 0.2 * 12);
}

}  // namespace
}  // namespace tessera::pd

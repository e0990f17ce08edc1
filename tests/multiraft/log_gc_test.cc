// Raft log GC through the log: logs are compacted once every follower has the entries, and a
// follower that fell too far behind catches up by snapshot.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/multiraft/test_cluster.h"

namespace tessera::multiraft::testing {
namespace {

const ShardId kShard(1);

TEST(LogGcTest, LogsAreCompactedOnceEveryFollowerHasTheEntries) {
  TestCluster c(3, 1, 2, true, [](NodeOptions* o) {
    o->log_gc_interval_ms = 20;
    o->log_gc_threshold = 10;
  });
  ASSERT_TRUE(c.WaitForLeader(kShard));
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(c.PutAnywhere(kShard, "k" + std::to_string(i), "v").status.ok());
  }
  // Every replica compacts (the command goes through the log), and keeps its data.
  ASSERT_TRUE(WaitFor([&] {
    for (int n = 1; n <= 3; ++n) {
      if (c.node(NodeId(n))->log_store()->FirstIndex(kShard) < LogIndex(80)) return false;
      if (Stored(c.node(NodeId(n)), "k99") != "v") return false;
    }
    return true;
  }));
  for (int n = 1; n <= 3; ++n) EXPECT_EQ(Stored(c.node(NodeId(n)), "k0"), "v");
  // And the group keeps working across restarts of compacted logs.
  for (int n = 1; n <= 3; ++n) c.RestartNode(NodeId(n));
  ASSERT_TRUE(c.PutAnywhere(kShard, "after", "restart").status.ok());
}

TEST(LogGcTest, AFollowerBehindACompactedLogCatchesUpBySnapshot) {
  TestCluster c(3, 1, 2, true, [](NodeOptions* o) {
    o->log_gc_interval_ms = 20;
    o->log_gc_threshold = 10;
    o->log_gc_count_limit = 50;
  });
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  const NodeId lagger(leader->value() % 3 + 1);
  c.network().Isolate(lagger);
  c.snapshot_network().Isolate(lagger);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(
        c.PutAnywhere(kShard, "k" + std::to_string(i), "v" + std::to_string(i)).status.ok());
  }
  // The others compacted past what the lagger has.
  ASSERT_TRUE(
      WaitFor([&] { return c.node(*leader)->log_store()->FirstIndex(kShard) > LogIndex(150); }));
  const uint64_t snapshots = c.snapshot_network().delivered();
  c.network().Heal();
  c.snapshot_network().Heal();
  ASSERT_TRUE(WaitFor([&] { return Stored(c.node(lagger), "k199") == "v199"; }));
  EXPECT_GT(c.snapshot_network().delivered(), snapshots);
  EXPECT_EQ(Stored(c.node(lagger), "k0"), "v0");
}

}  // namespace
}  // namespace tessera::multiraft::testing

// Hibernation: an idle shard stops ticking on all its replicas; a request or a message wakes it;
// node liveness wakes the followers of a shard whose leader's node died; a leader that slept never
// serves a read from its lease before a quorum confirms it again.
#include <gtest/gtest.h>

#include "tests/multiraft/test_cluster.h"

namespace tessera::multiraft::testing {
namespace {

const ShardId kShard(1);

void Hibernate200(NodeOptions* o) { o->hibernate_after_ms = 200; }

bool AllAsleep(TestCluster& c, int nodes, int64_t per_node) {
  for (int i = 1; i <= nodes; ++i) {
    if (!c.running(NodeId(i))) continue;
    if (c.node(NodeId(i))->stats().hibernating != per_node) return false;
  }
  return true;
}

TEST(HibernationTest, AnIdleShardSleepsOnEveryReplicaAndAWriteWakesIt) {
  TestCluster c(3, /*shards=*/2, /*workers=*/2, /*lease_reads=*/true, Hibernate200);
  ASSERT_TRUE(c.WaitForLeader(kShard));
  ASSERT_TRUE(c.PutAnywhere(kShard, c.KeyIn(kShard, "a"), "1").status.ok());
  // Both shards fall asleep on all three nodes.
  ASSERT_TRUE(WaitFor([&] { return AllAsleep(c, 3, 2); }));
  uint64_t sent = 0;
  for (int i = 1; i <= 3; ++i) sent += c.node(NodeId(i))->stats().messages_sent;
  uint64_t wakes = 0;
  for (int i = 1; i <= 3; ++i) wakes += c.node(NodeId(i))->stats().wakes;
  // A write wakes its shard and commits.
  ASSERT_TRUE(c.PutAnywhere(kShard, c.KeyIn(kShard, "b"), "2").status.ok());
  for (int i = 1; i <= 3; ++i) {
    EXPECT_TRUE(WaitFor([&] { return Stored(c.node(NodeId(i)), c.KeyIn(kShard, "b")) == "2"; }));
  }
  uint64_t sent_after = 0, wakes_after = 0;
  for (int i = 1; i <= 3; ++i) {
    sent_after += c.node(NodeId(i))->stats().messages_sent;
    wakes_after += c.node(NodeId(i))->stats().wakes;
  }
  EXPECT_GT(sent_after, sent);
  EXPECT_GE(wakes_after, wakes + 3) << "the shard's three replicas woke";
  // And it sleeps again.
  ASSERT_TRUE(WaitFor([&] { return AllAsleep(c, 3, 2); }));
  auto r = c.Get(NodeId(1), kShard, c.KeyIn(kShard, "b"), ReadConsistency::kFollower);
  // A follower read on a sleeping follower wakes it and its leader (a read index round trip).
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.value, "2");
}

TEST(HibernationTest, FollowersWakeAndElectWhenTheLeadersNodeDies) {
  TestCluster c(3, 1, 2, true, Hibernate200);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(c.PutAnywhere(kShard, c.KeyIn(kShard, "a"), "1").status.ok());
  ASSERT_TRUE(WaitFor([&] { return AllAsleep(c, 3, 1); }));
  c.StopNode(*leader);
  // No request reaches the shard: only node liveness can wake the followers.
  ASSERT_TRUE(WaitFor([&] {
    for (int i = 1; i <= 3; ++i) {
      const NodeId id(i);
      if (id == *leader) continue;
      if (c.node(id)->stats().hibernating != 0) return false;
    }
    return true;
  }));
  auto next = c.WaitForLeader(kShard, std::chrono::seconds(10), *leader);
  ASSERT_TRUE(next);
  EXPECT_NE(*next, *leader);
  ASSERT_TRUE(c.PutAnywhere(kShard, c.KeyIn(kShard, "b"), "2").status.ok());
}

// The sleeping leader is cut off; the others elect a new leader and write. Woken by a read, the old
// leader must not answer from its lease (its ticks stopped, so the lease looks fresh).
TEST(HibernationTest, ALeaderThatSleptServesNoStaleLeaseRead) {
  TestCluster c(3, 1, 2, /*lease_reads=*/true, Hibernate200);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  const std::string key = c.KeyIn(kShard, "k");
  ASSERT_TRUE(c.PutAnywhere(kShard, key, "old").status.ok());
  ASSERT_TRUE(WaitFor([&] { return AllAsleep(c, 3, 1); }));
  c.network().Isolate(*leader);
  auto next = c.WaitForLeader(kShard, std::chrono::seconds(10), *leader);
  ASSERT_TRUE(next);
  ASSERT_NE(*next, *leader);
  ASSERT_TRUE(c.Put(*next, kShard, key, "new").status.ok());
  auto r = c.Get(*leader, kShard, key, ReadConsistency::kStrong, std::chrono::milliseconds(500));
  EXPECT_FALSE(r.status.ok() && r.value == "old") << "stale read from a lease that slept";
  c.network().Heal();
  auto fresh = c.Get(*next, kShard, key);
  ASSERT_TRUE(fresh.status.ok()) << fresh.status.ToString();
  EXPECT_EQ(fresh.value, "new");
}

}  // namespace
}  // namespace tessera::multiraft::testing

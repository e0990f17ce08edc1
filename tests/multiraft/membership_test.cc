// Membership changes through the log: a learner added on a new node is created from the
// leader's heartbeat, filled by a snapshot, promoted to voter; removed replicas destroy their data
// once the change has applied, and leave a tombstone.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "multiraft/local_state.h"
#include "tests/multiraft/test_cluster.h"

namespace tessera::multiraft::testing {
namespace {

const ShardId kShard(1);

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "k%03d", i);
  return buf;
}

bool HasShard(Node* n, ShardId id) {
  for (const auto& d : n->Shards()) {
    if (d.id == id) return true;
  }
  return false;
}

TEST(MembershipTest, LearnerCatchesUpBySnapshotIsPromotedAndRemovedReplicasAreDestroyed) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(c.PutAnywhere(kShard, Key(i), "v" + std::to_string(i)).status.ok());
  }
  const NodeId n4 = c.AddNode();
  EXPECT_FALSE(HasShard(c.node(n4), kShard));

  // Add a learner: the new node creates the replica from a heartbeat and gets a snapshot.
  const Epoch before = c.shard(kShard).epoch;
  WriteResponse r = c.ChangeMembership(*leader, kShard, "l4");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(c.shard(kShard).epoch.conf_version, before.conf_version + 1);
  EXPECT_EQ(c.shard(kShard).learners, std::vector<NodeId>{n4});
  ASSERT_TRUE(WaitFor(
      [&] { return HasShard(c.node(n4), kShard) && Stored(c.node(n4), Key(99)) == "v99"; }));
  EXPECT_GE(c.snapshot_network().delivered(), 1u);
  // It keeps following the log after the snapshot.
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(100), "after-snapshot").status.ok());
  ASSERT_TRUE(WaitFor([&] { return Stored(c.node(n4), Key(100)) == "after-snapshot"; }));

  // Promote it, then remove a follower.
  leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  r = c.ChangeMembership(*leader, kShard, "v4");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(c.shard(kShard).voters, (std::vector<NodeId>{NodeId(1), NodeId(2), NodeId(3), n4}));
  EXPECT_TRUE(c.shard(kShard).learners.empty());
  NodeId victim(leader->value() % 3 + 1);
  r = c.ChangeMembership(*leader, kShard, "r" + std::to_string(victim.value()));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_TRUE(WaitFor([&] { return !HasShard(c.node(victim), kShard); }));
  EXPECT_EQ(Stored(c.node(victim), Key(50)), std::nullopt);
  EXPECT_TRUE(c.node(victim)->engine()->Get(storage::Cf::kMeta, TombstoneKey(kShard)).ok());

  // The new voter serves reads and the group keeps writing.
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(101), "four").status.ok());
  auto f = c.Get(n4, kShard, Key(101), ReadConsistency::kFollower);
  ASSERT_TRUE(f.status.ok()) << f.status.ToString();
  EXPECT_EQ(f.value, "four");
}

TEST(MembershipTest, RemovedLeaderHandsOverThenDestroysItsReplica) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(1), "one").status.ok());
  WriteResponse r = c.ChangeMembership(*leader, kShard, "r" + std::to_string(leader->value()));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_TRUE(WaitFor([&] { return !HasShard(c.node(*leader), kShard); }));
  auto next = c.WaitForLeader(kShard, std::chrono::seconds(10), *leader);
  ASSERT_TRUE(next);
  EXPECT_NE(*next, *leader);
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(2), "two").status.ok());
  // The old leader answers ShardNotFound now.
  EXPECT_TRUE(c.Put(*leader, kShard, Key(3), "x").status.Is(Status::Code::kShardNotFound));
}

TEST(MembershipTest, StaleEpochAndFollowersAreRefused) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  c.AddNode();
  ASSERT_TRUE(c.ChangeMembership(*leader, kShard, "l4").status.ok());
  // The test's epoch is current; an old one is refused.
  ShardDescriptor old = c.shard(kShard);
  old.epoch.conf_version -= 1;
  auto p = std::make_shared<std::promise<WriteResponse>>();
  auto f = p->get_future();
  raft::ConfChange cc;
  cc.changes = *raft::ParseConfChanges("v4");
  c.node(*leader)->ChangeMembership(kShard, old.epoch, cc,
                                    [p](WriteResponse w) { p->set_value(std::move(w)); });
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(f.get().status.Is(Status::Code::kEpochNotMatch));
  // A follower refuses with NotLeader.
  NodeId follower(leader->value() % 3 + 1);
  EXPECT_TRUE(c.ChangeMembership(follower, kShard, "v4").status.Is(Status::Code::kNotLeader));
}

TEST(MembershipTest, RestartedLearnerKeepsItsSnapshotData) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(c.PutAnywhere(kShard, Key(i), "v").status.ok());
  const NodeId n4 = c.AddNode();
  ASSERT_TRUE(c.ChangeMembership(*leader, kShard, "l4").status.ok());
  ASSERT_TRUE(
      WaitFor([&] { return HasShard(c.node(n4), kShard) && Stored(c.node(n4), Key(19)) == "v"; }));
  c.RestartNode(n4);
  EXPECT_TRUE(HasShard(c.node(n4), kShard));
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(20), "later").status.ok());
  ASSERT_TRUE(WaitFor([&] { return Stored(c.node(n4), Key(20)) == "later"; }));
}

TEST(MembershipTest, ARemovedNodeCanBeAddedBackAndRemembersItsTerm) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(1), "one").status.ok());
  const NodeId victim(leader->value() % 3 + 1);
  ASSERT_TRUE(
      c.ChangeMembership(*leader, kShard, "r" + std::to_string(victim.value())).status.ok());
  ASSERT_TRUE(WaitFor([&] { return !HasShard(c.node(victim), kShard); }));
  // The destroyed replica left its term and vote behind, and nothing else of its log.
  const raft::InitialState left = c.node(victim)->log_store()->InitialState(kShard);
  EXPECT_GE(left.hard_state.term, Term(1));
  EXPECT_EQ(c.node(victim)->log_store()->LastIndex(kShard), LogIndex(0));
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(2), "two").status.ok());
  leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(
      c.ChangeMembership(*leader, kShard, "l" + std::to_string(victim.value())).status.ok());
  ASSERT_TRUE(WaitFor(
      [&] { return HasShard(c.node(victim), kShard) && Stored(c.node(victim), Key(2)) == "two"; }));
  EXPECT_GE(c.node(victim)->log_store()->InitialState(kShard).hard_state.term,
            left.hard_state.term);
}

TEST(MembershipTest, LeadershipMovesOnRequest) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  const NodeId to(leader->value() % 3 + 1);
  auto p = std::make_shared<std::promise<WriteResponse>>();
  auto f = p->get_future();
  c.node(*leader)->TransferLeader(kShard, to, [p](WriteResponse w) { p->set_value(std::move(w)); });
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  ASSERT_TRUE(f.get().status.ok());
  ASSERT_TRUE(WaitFor([&] { return c.Put(to, kShard, Key(1), "x").status.ok(); }));
  // A follower cannot start a transfer.
  auto q = std::make_shared<std::promise<WriteResponse>>();
  auto g = q->get_future();
  c.node(*leader)->TransferLeader(kShard, to, [q](WriteResponse w) { q->set_value(std::move(w)); });
  ASSERT_EQ(g.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(g.get().status.Is(Status::Code::kNotLeader));
}

}  // namespace
}  // namespace tessera::multiraft::testing

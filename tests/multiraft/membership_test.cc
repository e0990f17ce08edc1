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

bool HasShard(Node* n, ShardId id) { return ShardOn(n, id).has_value(); }

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
  // A follower refuses with NotLeader (once it has applied the change, so that the epoch
  // matches).
  NodeId follower(leader->value() % 3 + 1);
  ASSERT_TRUE(WaitFor([&] {
    auto d = ShardOn(c.node(follower), kShard);
    return d && d->epoch == c.shard(kShard).epoch;
  }));
  const Status st = c.ChangeMembership(follower, kShard, "v4").status;
  EXPECT_TRUE(st.Is(Status::Code::kNotLeader)) << st.ToString();
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

// A follower cut off while the group removes it never applies its removal: it learns of it from
// the members it contacts once the partition heals (a not-member notice), and destroys its data.
TEST(MembershipTest, AReplicaRemovedWhileCutOffIsDestroyedOnceItHearsFromTheGroup) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(1), "one").status.ok());
  const NodeId victim(leader->value() % 3 + 1);
  ASSERT_TRUE(WaitFor([&] { return Stored(c.node(victim), Key(1)) == "one"; }));
  c.network().Isolate(victim);
  ASSERT_TRUE(
      c.ChangeMembership(*leader, kShard, "r" + std::to_string(victim.value())).status.ok());
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(2), "two").status.ok());
  // Cut off, it still holds the shard as it was.
  EXPECT_TRUE(HasShard(c.node(victim), kShard));
  c.network().Heal();
  ASSERT_TRUE(WaitFor([&] { return !HasShard(c.node(victim), kShard); }));
  EXPECT_EQ(Stored(c.node(victim), Key(1)), std::nullopt);
  auto tomb = c.node(victim)->engine()->Get(storage::Cf::kMeta, TombstoneKey(kShard));
  ASSERT_TRUE(tomb.ok());
  auto d = DecodeShardDescriptor(*tomb);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->epoch.conf_version, c.shard(kShard).epoch.conf_version)
      << "the tombstone records the membership that excluded it";
}

// A node removed and added back while its old replica was cut off: the old replica's answers
// never count for the new member (its incarnation is older); the node ends with one current
// replica that has every write, and it can be promoted to voter again.
TEST(MembershipTest, ANodeAddedBackWhileItsOldReplicaWasCutOffEndsWithOneCurrentReplica) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(1), "one").status.ok());
  const NodeId victim(leader->value() % 3 + 1);
  ASSERT_TRUE(WaitFor([&] { return Stored(c.node(victim), Key(1)) == "one"; }));
  c.network().Isolate(victim);
  const std::string id = std::to_string(victim.value());
  WriteResponse removed = c.ChangeMembership(*leader, kShard, "r" + id);
  ASSERT_TRUE(removed.status.ok()) << removed.status.ToString();
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(2), "two").status.ok());
  ASSERT_TRUE(c.ChangeMembership(*leader, kShard, "l" + id).status.ok());
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(3), "three").status.ok());
  c.network().Heal();
  const uint64_t conf = c.shard(kShard).epoch.conf_version;
  ASSERT_TRUE(WaitFor([&] {
    auto d = ShardOn(c.node(victim), kShard);
    return d && d->epoch.conf_version == conf && Stored(c.node(victim), Key(3)) == "three";
  }));
  EXPECT_EQ(Stored(c.node(victim), Key(2)), "two");
  leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  WriteResponse r = c.ChangeMembership(*leader, kShard, "v" + id, std::chrono::seconds(10));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(4), "four").status.ok());
  ASSERT_TRUE(WaitFor([&] { return Stored(c.node(victim), Key(4)) == "four"; }));
}

// A change that would leave fewer live voters than a quorum is refused before it is proposed.
TEST(MembershipTest, AChangeThatLeavesNoLiveQuorumIsRefused) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(1), "one").status.ok());
  const NodeId n4 = c.AddNode();
  c.network().Isolate(n4);
  // A voter that has no replica yet: allowed while three of four voters are live.
  ASSERT_TRUE(c.ChangeMembership(*leader, kShard, "v4").status.ok());
  const NodeId other(leader->value() % 3 + 1);
  // Down to three voters, two live: still a quorum.
  ASSERT_TRUE(c.ChangeMembership(*leader, kShard, "r" + std::to_string(other.value())).status.ok());
  // Removing the last other live voter would leave the leader alone among two voters.
  const NodeId last(6 - leader->value() - other.value());
  const Epoch before = c.shard(kShard).epoch;
  WriteResponse r = c.ChangeMembership(*leader, kShard, "r" + std::to_string(last.value()),
                                       std::chrono::milliseconds(300));
  EXPECT_TRUE(r.status.Is(Status::Code::kUnavailable)) << r.status.ToString();
  EXPECT_EQ(c.shard(kShard).epoch, before);
  // Once the new voter is reachable and caught up, the same change goes through.
  c.network().Heal();
  r = c.ChangeMembership(*leader, kShard, "r" + std::to_string(last.value()),
                         std::chrono::seconds(10));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_TRUE(c.PutAnywhere(kShard, Key(2), "two").status.ok());
  ASSERT_TRUE(WaitFor([&] { return Stored(c.node(n4), Key(2)) == "two"; }));
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
  // A follower cannot start a transfer (the old leader learns of the new term soon, not at once).
  Status st;
  ASSERT_TRUE(WaitFor([&] {
    auto q = std::make_shared<std::promise<WriteResponse>>();
    auto g = q->get_future();
    c.node(*leader)->TransferLeader(kShard, to,
                                    [q](WriteResponse w) { q->set_value(std::move(w)); });
    if (g.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return false;
    st = g.get().status;
    return !st.ok();
  }));
  EXPECT_TRUE(st.Is(Status::Code::kNotLeader)) << st.ToString();
}

}  // namespace
}  // namespace tessera::multiraft::testing

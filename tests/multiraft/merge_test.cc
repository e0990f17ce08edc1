// Merges through the logs of both shards (docs/protocol.md, "Merge"): the target serves both
// ranges with all their data, old epochs and the source are refused, a replica cut off during the
// merge catches up, and a merge rolled back (its target moved on) loses nothing and resurrects
// nothing when it is retried.
#include <gtest/gtest.h>

#include <string>

#include "tests/multiraft/test_cluster.h"

namespace tessera::multiraft::testing {
namespace {

const ShardId kTarget(1);  // ["", "s000002/")
const ShardId kSource(2);  // ["s000002/", "")

// Waits until no running node of 1..n has `source` and each has `target` covering `end_key` as
// its end; then learns the target's descriptor.
bool WaitForMerged(TestCluster& c, int n, ShardId source, ShardId target,
                   const std::string& end_key) {
  const bool done = WaitFor([&] {
    for (int i = 1; i <= n; ++i) {
      if (!c.running(NodeId(i))) continue;
      Node* node = c.node(NodeId(i));
      auto t = ShardOn(node, target);
      if (ShardOn(node, source) || !t || t->end_key != end_key) return false;
    }
    return true;
  });
  if (done) c.Learn(*ShardOn(c.node(NodeId(1)), target));
  return done;
}

// Puts through any leader, learning newer epochs from EpochNotMatch answers.
WriteResponse PutLearning(TestCluster& c, ShardId shard, const std::string& key,
                          const std::string& value) {
  WriteResponse last{Status::Timeout("test: not written"), {}, {}};
  const bool ok = WaitFor([&] {
    for (int i = 1; i <= 3; ++i) {
      if (!c.running(NodeId(i))) continue;
      last = c.Put(NodeId(i), shard, key, value, std::chrono::milliseconds(500));
      if (last.status.ok()) return true;
      for (const auto& d : last.hint.current) c.Learn(d);
    }
    return false;
  });
  (void)ok;
  return last;
}

// Makes node 1 lead `shard` (so that cutting node 3 off just before the prepare elects no new
// leader).
bool LeadOnNodeOne(TestCluster& c, ShardId shard) {
  return WaitFor([&] {
    auto leader = c.WaitForLeader(shard, std::chrono::milliseconds(500));
    if (!leader) return false;
    if (*leader == NodeId(1)) return true;
    c.node(*leader)->TransferLeader(shard, NodeId(1), [](WriteResponse) {});
    return false;
  });
}

// Prepares the merge through `on`, retrying while it is refused as Busy (a replica not heard from
// since the leader's last quorum check).
WriteResponse MergeWhenResponding(TestCluster& c, NodeId on, ShardId source, ShardId target) {
  WriteResponse r{Status::Timeout("test: not merged"), {}, {}};
  const bool answered = WaitFor([&] {
    r = c.Merge(on, source, target);
    return !r.status.Is(Status::Code::kBusy);
  });
  (void)answered;
  return r;
}

// Cuts node 3 off and prepares the merge through node 1 (which leads both shards) at once, so
// that node 3 lacks the prepare entry. A prepare refused because node 3 already looked silent
// (Busy) is retried after healing.
WriteResponse MergeWithNode3CutOff(TestCluster& c, ShardId source, ShardId target) {
  WriteResponse r{Status::Timeout("test: not merged"), {}, {}};
  const bool prepared = WaitFor([&] {
    c.network().Heal();
    if (!LeadOnNodeOne(c, source) || !LeadOnNodeOne(c, target)) return false;
    c.network().Isolate(NodeId(3));
    r = c.Merge(NodeId(1), source, target);
    return !r.status.Is(Status::Code::kBusy);
  });
  (void)prepared;
  return r;
}

TEST(MergeTest, TargetServesBothRangesAndOldEpochsAreRefused) {
  TestCluster c(3, 2);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(c.PutAnywhere(kTarget, c.KeyIn(kTarget, std::to_string(i)), "t" + std::to_string(i))
                    .status.ok());
    ASSERT_TRUE(c.PutAnywhere(kSource, c.KeyIn(kSource, std::to_string(i)), "s" + std::to_string(i))
                    .status.ok());
  }
  const Epoch target_before = c.shard(kTarget).epoch;
  const Epoch source_before = c.shard(kSource).epoch;
  auto leader = c.WaitForLeader(kSource);
  ASSERT_TRUE(leader);
  const WriteResponse m = MergeWhenResponding(c, *leader, kSource, kTarget);
  ASSERT_TRUE(m.status.ok()) << m.status.ToString();
  ASSERT_TRUE(WaitForMerged(c, 3, kSource, kTarget, ""));

  const ShardDescriptor& t = c.shard(kTarget);
  EXPECT_EQ(t.start_key, "");
  EXPECT_EQ(t.end_key, "");
  EXPECT_GT(t.epoch.version, std::max(target_before.version, source_before.version + 1));
  // Every node holds the source's data under the target; the target serves it.
  for (int n = 1; n <= 3; ++n) {
    EXPECT_EQ(Stored(c.node(NodeId(n)), c.KeyIn(kSource, "7")), "s7") << "node " << n;
  }
  auto tl = c.WaitForLeader(kTarget);
  ASSERT_TRUE(tl);
  for (int i : {0, 9, 19}) {
    auto r = c.Get(*tl, kTarget, c.KeyIn(kSource, std::to_string(i)));
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.value, "s" + std::to_string(i));
  }
  // The source is gone; the target's old epoch is refused with the new descriptor.
  EXPECT_TRUE(
      c.Put(*tl, kSource, c.KeyIn(kSource, "x"), "v").status.Is(Status::Code::kShardNotFound));
  WriteCommand stale;
  stale.epoch = target_before;
  stale.ops.push_back(WriteOp{WriteOp::Type::kPut, c.KeyIn(kTarget, "x"), "v", {}, {}, false});
  const WriteResponse w = c.Write(*tl, kTarget, stale);
  ASSERT_TRUE(w.status.Is(Status::Code::kEpochNotMatch)) << w.status.ToString();
  ASSERT_FALSE(w.hint.current.empty());
  EXPECT_EQ(w.hint.current[0].end_key, "");
  ASSERT_TRUE(c.PutAnywhere(kTarget, c.KeyIn(kSource, "new"), "n").status.ok());

  // A restart of every node keeps the merge: no source comes back, the data stays.
  for (int n = 1; n <= 3; ++n) {
    c.StopNode(NodeId(n));
    c.RestartNode(NodeId(n));
  }
  ASSERT_TRUE(WaitForMerged(c, 3, kSource, kTarget, ""));
  tl = c.WaitForLeader(kTarget);
  ASSERT_TRUE(tl);
  auto r = c.Get(*tl, kTarget, c.KeyIn(kSource, "new"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.value, "n");
}

TEST(MergeTest, ReplicaCutOffDuringTheMergeCatchesUp) {
  TestCluster c(3, 2);
  ASSERT_TRUE(c.PutAnywhere(kSource, c.KeyIn(kSource, "a"), "1").status.ok());
  const WriteResponse m = MergeWithNode3CutOff(c, kSource, kTarget);
  ASSERT_TRUE(m.status.ok()) << m.status.ToString();
  const NodeId leader(1);
  // Frozen: the source takes no write while the merge is prepared.
  const WriteResponse busy = c.Put(leader, kSource, c.KeyIn(kSource, "b"), "2");
  EXPECT_TRUE(busy.status.Is(Status::Code::kBusy) || busy.status.Is(Status::Code::kShardNotFound))
      << busy.status.ToString();
  c.network().Heal();
  ASSERT_TRUE(WaitForMerged(c, 3, kSource, kTarget, ""));
  EXPECT_EQ(Stored(c.node(NodeId(3)), c.KeyIn(kSource, "a")), "1");
  EXPECT_EQ(Stored(c.node(NodeId(3)), c.KeyIn(kSource, "b")), std::nullopt);
}

TEST(MergeTest, RolledBackMergeRetriedLosesAndResurrectsNothing) {
  TestCluster c(3, 2);
  const ShardId kRight(100);  // split off the target: the source's new neighbour
  ASSERT_TRUE(c.PutAnywhere(kSource, c.KeyIn(kSource, "k"), "before").status.ok());
  ASSERT_TRUE(c.PutAnywhere(kSource, c.KeyIn(kSource, "gone"), "x").status.ok());
  // Node 3 cut off: the merge cannot commit (not every source replica holds the prepare entry)
  // while the target moves on.
  const WriteResponse m = MergeWithNode3CutOff(c, kSource, kTarget);
  ASSERT_TRUE(m.status.ok()) << m.status.ToString();
  auto tl = c.WaitForLeader(kTarget, std::chrono::seconds(10), NodeId(3));
  ASSERT_TRUE(tl);
  const WriteResponse split = c.Split(*tl, kTarget, c.KeyIn(kTarget, "m"), kRight);
  ASSERT_TRUE(split.status.ok()) << split.status.ToString();
  // The source rolls back and takes writes again.
  ASSERT_TRUE(PutLearning(c, kSource, c.KeyIn(kSource, "k"), "after").status.ok());
  WriteCommand del;
  del.epoch = c.shard(kSource).epoch;
  del.ops.push_back(WriteOp{WriteOp::Type::kDelete, c.KeyIn(kSource, "gone"), {}, {}, {}, false});
  auto sl2 = c.WaitForLeader(kSource, std::chrono::seconds(10), NodeId(3));
  ASSERT_TRUE(sl2);
  ASSERT_TRUE(c.Write(*sl2, kSource, del).status.ok());
  c.network().Heal();

  // Retried, into the new neighbour, and committed this time.
  ASSERT_TRUE(WaitFor([&] {
    auto leader = c.WaitForLeader(kSource, std::chrono::milliseconds(500));
    if (!leader) return false;
    const WriteResponse again = c.Merge(*leader, kSource, kRight, std::chrono::milliseconds(500));
    for (const auto& d : again.hint.current) c.Learn(d);
    return again.status.ok();
  }));
  ASSERT_TRUE(WaitForMerged(c, 3, kSource, kRight, ""));
  auto rl = c.WaitForLeader(kRight);
  ASSERT_TRUE(rl);
  auto k = c.Get(*rl, kRight, c.KeyIn(kSource, "k"));
  ASSERT_TRUE(k.status.ok()) << k.status.ToString();
  EXPECT_EQ(k.value, "after");
  auto gone = c.Get(*rl, kRight, c.KeyIn(kSource, "gone"));
  ASSERT_TRUE(gone.status.ok()) << gone.status.ToString();
  EXPECT_EQ(gone.value, std::nullopt);
  for (int n = 1; n <= 3; ++n) {
    EXPECT_EQ(Stored(c.node(NodeId(n)), c.KeyIn(kSource, "k")), "after") << "node " << n;
    EXPECT_EQ(Stored(c.node(NodeId(n)), c.KeyIn(kSource, "gone")), std::nullopt) << "node " << n;
  }
}

}  // namespace
}  // namespace tessera::multiraft::testing

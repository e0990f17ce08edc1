// In-process clusters on the simulated network (CTest label "multiraft").
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/multiraft/test_cluster.h"

namespace tessera::multiraft::testing {
namespace {

using namespace std::chrono_literals;
constexpr ShardId kShard{1};

TEST(MultiRaftCluster, WritesAndReadsAtEveryConsistency) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  const std::string k = c.KeyIn(kShard, "a");
  auto w = c.Put(*leader, kShard, k, "1");
  ASSERT_TRUE(w.status.ok()) << w.status.ToString();
  auto r = c.Get(*leader, kShard, k);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.value, "1");
  // A follower read goes through the leader's read index and sees the write.
  const NodeId follower(leader->value() % 3 + 1);
  auto fr = c.Get(follower, kShard, k, ReadConsistency::kFollower);
  ASSERT_TRUE(fr.status.ok()) << fr.status.ToString();
  EXPECT_EQ(fr.value, "1");
  // Right after a follower read the replica is fresh: a stale read is served at once.
  auto sr = c.Get(follower, kShard, k, ReadConsistency::kStale, 5s, 60000);
  ASSERT_TRUE(sr.status.ok()) << sr.status.ToString();
  EXPECT_EQ(sr.value, "1");
}

TEST(MultiRaftCluster, FollowerAnswersNotLeaderWithAHint) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  const NodeId follower(leader->value() % 3 + 1);
  auto w = c.Put(follower, kShard, c.KeyIn(kShard, "x"), "v");
  EXPECT_TRUE(w.status.Is(Status::Code::kNotLeader)) << w.status.ToString();
  EXPECT_EQ(w.hint.leader, *leader);
  auto r = c.Get(follower, kShard, c.KeyIn(kShard, "x"), ReadConsistency::kStrong);
  EXPECT_TRUE(r.status.Is(Status::Code::kNotLeader)) << r.status.ToString();
}

TEST(MultiRaftCluster, TypedErrorsForBadRequests) {
  TestCluster c(3, /*shards=*/2);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  // Unknown shard.
  WriteCommand unknown;
  unknown.ops.push_back(WriteOp{WriteOp::Type::kPut, "k", "v", {}, {}, false});
  auto w = c.Write(*leader, ShardId(99), unknown);
  EXPECT_TRUE(w.status.Is(Status::Code::kShardNotFound)) << w.status.ToString();
  // Stale epoch.
  WriteCommand cmd;
  cmd.epoch = Epoch{7, 7};
  cmd.ops.push_back(WriteOp{WriteOp::Type::kPut, c.KeyIn(kShard, "k"), "v", {}, {}, false});
  w = c.Write(*leader, kShard, cmd);
  EXPECT_TRUE(w.status.Is(Status::Code::kEpochNotMatch)) << w.status.ToString();
  ASSERT_FALSE(w.hint.current.empty());
  EXPECT_EQ(w.hint.current.front().id, kShard);
  // A key of shard 2 sent to shard 1.
  w = c.Put(*leader, kShard, c.KeyIn(ShardId(2), "k"), "v");
  EXPECT_TRUE(w.status.Is(Status::Code::kKeyNotInShard)) << w.status.ToString();
  // Oversized value and key.
  w = c.Put(*leader, kShard, c.KeyIn(kShard, "big"), std::string((8u << 20) + 1, 'v'));
  EXPECT_TRUE(w.status.Is(Status::Code::kInvalidArgument)) << w.status.ToString();
  w = c.Put(*leader, kShard, c.KeyIn(kShard, std::string(600, 'k')), "v");
  EXPECT_TRUE(w.status.Is(Status::Code::kInvalidArgument)) << w.status.ToString();
  // Nothing of the refused writes is visible.
  auto r = c.Get(*leader, kShard, c.KeyIn(kShard, "big"));
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.value);
}

TEST(MultiRaftCluster, CompareAndSwapIsAtomic) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  const std::string k = c.KeyIn(kShard, "cas");
  auto cas = [&](std::optional<std::string> expected, std::string value) {
    WriteCommand cmd;
    cmd.epoch = c.shard(kShard).epoch;
    cmd.ops.push_back(WriteOp{
        WriteOp::Type::kCompareAndSwap, k, std::move(value), {}, std::move(expected), false});
    return c.Write(*leader, kShard, cmd);
  };
  auto w = cas(std::nullopt, "a");  // absent -> a
  ASSERT_TRUE(w.status.ok());
  ASSERT_EQ(w.results.size(), 1u);
  EXPECT_TRUE(w.results[0].succeeded);
  w = cas(std::nullopt, "b");  // not absent any more
  ASSERT_TRUE(w.status.ok());
  EXPECT_FALSE(w.results[0].succeeded);
  EXPECT_EQ(w.results[0].previous, "a");
  w = cas(std::string("a"), "c");
  ASSERT_TRUE(w.status.ok());
  EXPECT_TRUE(w.results[0].succeeded);
  EXPECT_EQ(c.Get(*leader, kShard, k).value, "c");
}

TEST(MultiRaftCluster, LeaderKillElectsANewLeaderAndKeepsData) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(c.Put(*leader, kShard, c.KeyIn(kShard, "before"), "1").status.ok());
  c.StopNode(*leader);
  auto next = c.WaitForLeader(kShard, 10s, *leader);
  ASSERT_TRUE(next);
  EXPECT_NE(*next, *leader);
  ASSERT_TRUE(c.Put(*next, kShard, c.KeyIn(kShard, "after"), "2").status.ok());
  EXPECT_EQ(c.Get(*next, kShard, c.KeyIn(kShard, "before")).value, "1");
  // The old leader comes back as a follower and catches up.
  c.RestartNode(*leader);
  auto fr = c.Get(*leader, kShard, c.KeyIn(kShard, "after"), ReadConsistency::kFollower, 10s);
  ASSERT_TRUE(fr.status.ok()) << fr.status.ToString();
  EXPECT_EQ(fr.value, "2");
}

// Run with leader leases (strong reads from the lease) and without (every read confirmed by a
// heartbeat round): neither path may let a deposed leader serve a stale value.
class DeposedLeader : public ::testing::TestWithParam<bool> {};

TEST_P(DeposedLeader, MinorityCannotCommitAndServesNoStaleRead) {
  TestCluster c(3, 1, 2, /*lease_reads=*/GetParam());
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  const std::string k = c.KeyIn(kShard, "k");
  ASSERT_TRUE(c.Put(*leader, kShard, k, "old").status.ok());
  // From the moment of the partition, read the key from the old leader back to back and record
  // when each read started and what it returned.
  struct Read {
    std::chrono::steady_clock::time_point start;
    bool ok;
    std::optional<std::string> value;
  };
  std::vector<Read> reads;  // guarded by mu
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> stop{false};
  c.network().Isolate(*leader);
  std::thread reader([&] {
    while (!stop.load()) {
      const auto start = std::chrono::steady_clock::now();
      auto r = c.Get(*leader, kShard, k, ReadConsistency::kStrong, 500ms);
      std::lock_guard<std::mutex> lock(mu);
      reads.push_back(Read{start, r.status.ok(), r.value});
      cv.notify_all();
    }
  });
  // The isolated leader cannot commit: its write never succeeds.
  auto w = c.Put(*leader, kShard, c.KeyIn(kShard, "minority"), "x", 1500ms);
  EXPECT_FALSE(w.status.ok());
  // The majority elects a new leader and writes a new value.
  auto next = c.WaitForLeader(kShard, 10s, *leader);
  ASSERT_TRUE(next);
  ASSERT_TRUE(c.Put(*next, kShard, k, "new").status.ok());
  const auto acked = std::chrono::steady_clock::now();
  {
    // Wait until several reads have started after the acknowledgement.
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, 10s, [&] {
      return std::count_if(reads.begin(), reads.end(),
                           [&](const Read& r) { return r.start > acked; }) >= 3;
    });
  }
  stop = true;
  reader.join();
  // No read that started after "new" was acknowledged may return the old value: the deposed
  // leader must refuse (NotLeader) or fail to confirm its leadership (Timeout).
  size_t after = 0;
  for (const Read& r : reads) {
    if (r.start <= acked) continue;
    ++after;
    EXPECT_FALSE(r.ok) << "the deposed leader served " << r.value.value_or("<absent>");
  }
  EXPECT_GT(after, 0u);
  // Follower reads on the deposed leader cannot complete either while it is cut off.
  auto fr = c.Get(*leader, kShard, k, ReadConsistency::kFollower, 300ms);
  EXPECT_FALSE(fr.status.ok());
  c.network().Heal();
  // After healing the old leader's uncommitted write is gone and it sees the new value.
  auto hr = c.Get(*leader, kShard, k, ReadConsistency::kFollower, 10s);
  ASSERT_TRUE(hr.status.ok()) << hr.status.ToString();
  EXPECT_EQ(hr.value, "new");
  auto mr = c.Get(*leader, kShard, c.KeyIn(kShard, "minority"), ReadConsistency::kFollower, 10s);
  ASSERT_TRUE(mr.status.ok());
  EXPECT_FALSE(mr.value);
}

INSTANTIATE_TEST_SUITE_P(LeaseAndReadIndex, DeposedLeader, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Lease" : "ReadIndex"; });

TEST(MultiRaftCluster, RestartOfEveryNodeLosesNothingAcknowledged) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  for (int i = 0; i < 50; ++i) {
    auto w = c.Put(*leader, kShard, c.KeyIn(kShard, "k" + std::to_string(i)), std::to_string(i));
    ASSERT_TRUE(w.status.ok()) << w.status.ToString();
  }
  for (int i = 1; i <= 3; ++i) c.StopNode(NodeId(i));
  for (int i = 1; i <= 3; ++i) c.RestartNode(NodeId(i));
  auto next = c.WaitForLeader(kShard);
  ASSERT_TRUE(next);
  for (int i = 0; i < 50; ++i) {
    auto r = c.Get(*next, kShard, c.KeyIn(kShard, "k" + std::to_string(i)));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.value, std::to_string(i)) << i;
  }
}

TEST(MultiRaftCluster, FiveNodesSurviveTwoFailures) {
  TestCluster c(5);
  auto leader = c.WaitForLeader(kShard);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(c.Put(*leader, kShard, c.KeyIn(kShard, "a"), "1").status.ok());
  const NodeId f1(leader->value() % 5 + 1), f2(f1.value() % 5 + 1);
  c.StopNode(f1);
  c.StopNode(f2);
  auto w = c.PutAnywhere(kShard, c.KeyIn(kShard, "b"), "2");
  ASSERT_TRUE(w.status.ok()) << w.status.ToString();
}

TEST(MultiRaftCluster, AThousandShardsOnThreeNodesAllMakeProgress) {
  constexpr int kShards = 1000;
  TestCluster c(3, kShards);
  // Every shard elects a leader and commits a write.
  for (int s = 1; s <= kShards; ++s) {
    auto w = c.PutAnywhere(ShardId(s), c.KeyIn(ShardId(s), "k"), std::to_string(s), 60s);
    ASSERT_TRUE(w.status.ok()) << "shard " << s << ": " << w.status.ToString();
  }
  auto r = c.Get(NodeId(1), ShardId(kShards), c.KeyIn(ShardId(kShards), "k"),
                 ReadConsistency::kFollower, 10s);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.value, std::to_string(kShards));
  // Group commit: far fewer log syncs than entries persisted.
  const Node::Stats st = c.node(NodeId(1))->stats();
  EXPECT_LT(st.log_syncs, st.entries_persisted);
}

}  // namespace
}  // namespace tessera::multiraft::testing

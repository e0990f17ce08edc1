// Splits through the log: both halves serve, stale epochs are refused with both descriptors,
// writes racing a split are either applied to the right shard or refused (never lost, never
// applied to the wrong shard), and a restart recovers both shards.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "tests/multiraft/test_cluster.h"

namespace tessera::multiraft::testing {
namespace {

const ShardId kParent(1);
const ShardId kChild(100);

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "k%03d", i);
  return buf;
}

// Waits until every node has the shard with at least the given epoch version.
bool WaitForShardOnAll(TestCluster& c, int n, ShardId shard, uint64_t version) {
  return WaitFor([&] {
    for (int i = 1; i <= n; ++i) {
      auto d = ShardOn(c.node(NodeId(i)), shard);
      if (!d || d->epoch.version < version) return false;
    }
    return true;
  });
}

TEST(SplitTest, BothHalvesServeAndOldEpochIsRefused) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kParent);
  ASSERT_TRUE(leader);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(c.PutAnywhere(kParent, Key(i), "v" + std::to_string(i)).status.ok());
  }
  const Epoch old_epoch = c.shard(kParent).epoch;
  const WriteResponse s = c.Split(*leader, kParent, Key(50), kChild);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  ASSERT_EQ(s.hint.current.size(), 2u);
  const ShardDescriptor& left = c.shard(kParent);
  const ShardDescriptor& right = c.shard(kChild);
  EXPECT_EQ(left.start_key, "");
  EXPECT_EQ(left.end_key, Key(50));
  EXPECT_EQ(right.start_key, Key(50));
  EXPECT_EQ(right.end_key, "");
  EXPECT_EQ(left.epoch.version, old_epoch.version + 1);
  EXPECT_EQ(right.epoch.version, old_epoch.version + 1);
  EXPECT_EQ(right.voters, left.voters);
  ASSERT_TRUE(WaitForShardOnAll(c, 3, kChild, right.epoch.version));

  // The new shard elects a leader and serves the moved keys, with their data.
  auto child_leader = c.WaitForLeader(kChild);
  ASSERT_TRUE(child_leader);
  for (int i : {50, 77, 99}) {
    auto r = c.Get(*child_leader, kChild, Key(i));
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.value, "v" + std::to_string(i));
  }
  ASSERT_TRUE(c.PutAnywhere(kChild, Key(60), "new60").status.ok());
  ASSERT_TRUE(c.PutAnywhere(kParent, Key(10), "new10").status.ok());

  // The old epoch is refused with both halves' descriptors.
  auto parent_leader = c.WaitForLeader(kParent);
  ASSERT_TRUE(parent_leader);
  WriteCommand stale;
  stale.epoch = old_epoch;
  stale.ops.push_back(WriteOp{WriteOp::Type::kPut, Key(70), "lost?", {}, {}, false});
  const WriteResponse w = c.Write(*parent_leader, kParent, stale);
  ASSERT_TRUE(w.status.Is(Status::Code::kEpochNotMatch)) << w.status.ToString();
  ASSERT_EQ(w.hint.current.size(), 2u);
  EXPECT_EQ(w.hint.current[0].id, kParent);
  EXPECT_EQ(w.hint.current[1].id, kChild);

  // A key that moved is no longer in the parent, even with the new epoch.
  const WriteResponse moved = c.Put(*parent_leader, kParent, Key(70), "x");
  EXPECT_TRUE(moved.status.Is(Status::Code::kKeyNotInShard)) << moved.status.ToString();
  auto r60 = c.Get(*c.WaitForLeader(kChild), kChild, Key(60));
  ASSERT_TRUE(r60.status.ok());
  EXPECT_EQ(r60.value, "new60");
}

TEST(SplitTest, BadSplitsAreRefused) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kParent);
  ASSERT_TRUE(leader);
  // The first key of the range, and a key outside it, cannot split.
  EXPECT_TRUE(c.Split(*leader, kParent, "", kChild).status.Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(c.Split(*leader, kParent, "m", kParent).status.Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(c.Split(*leader, kParent, std::string(600, 'x'), kChild)
                  .status.Is(Status::Code::kInvalidArgument));
  // A follower refuses with NotLeader.
  NodeId follower(leader->value() % 3 + 1);
  EXPECT_TRUE(c.Split(follower, kParent, "m", kChild).status.Is(Status::Code::kNotLeader));
  ASSERT_TRUE(c.Split(*leader, kParent, "m", kChild).status.ok());
  // The same split again carries the old epoch.
  ShardDescriptor old = c.shard(kParent);
  old.epoch.version -= 1;
  auto p = std::make_shared<std::promise<WriteResponse>>();
  auto f = p->get_future();
  c.node(*leader)->Split(
      kParent, old.epoch, "f", [p](WriteResponse r) { p->set_value(std::move(r)); }, ShardId(7));
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(f.get().status.Is(Status::Code::kEpochNotMatch));
}

TEST(SplitTest, WritesRacingASplitAreNeverLostOrMisplaced) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kParent);
  ASSERT_TRUE(leader);
  const Epoch old_epoch = c.shard(kParent).epoch;
  // Writers keep proposing with the old epoch while the split goes through.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<std::string, std::string> acked;
  std::atomic<int> refused{0};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      WriteCommand cmd;
      cmd.epoch = old_epoch;
      const std::string key = Key(i % 100), value = "w" + std::to_string(i);
      cmd.ops.push_back(WriteOp{WriteOp::Type::kPut, key, value, {}, {}, false});
      const WriteResponse r = c.Write(*leader, kParent, cmd);
      if (r.status.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        acked[key] = value;
      } else if (r.status.Is(Status::Code::kEpochNotMatch)) {
        refused.fetch_add(1);
        if (refused.load() > 20) return;
      } else {
        ADD_FAILURE() << "unexpected answer " << r.status.ToString();
        return;
      }
    }
  });
  // Let some writes land first.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    std::lock_guard<std::mutex> lock(mu);
    if (acked.size() >= 20) break;
  }
  ASSERT_TRUE(c.Split(*leader, kParent, Key(50), kChild).status.ok());
  while (refused.load() == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
  }
  stop = true;
  writer.join();
  EXPECT_GT(refused.load(), 0);
  // Every acknowledged write is readable from the shard that now owns its key.
  for (const auto& [key, value] : acked) {
    const ShardId owner = key < Key(50) ? kParent : kChild;
    auto on = c.WaitForLeader(owner);
    ASSERT_TRUE(on);
    auto r = c.Get(*on, owner, key);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.value, value) << key;
  }
}

TEST(SplitTest, RestartRecoversBothShards) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kParent);
  ASSERT_TRUE(leader);
  for (int i = 0; i < 100; i += 10) {
    ASSERT_TRUE(c.PutAnywhere(kParent, Key(i), "v" + std::to_string(i)).status.ok());
  }
  ASSERT_TRUE(c.Split(*leader, kParent, Key(50), kChild).status.ok());
  ASSERT_TRUE(WaitForShardOnAll(c, 3, kChild, c.shard(kChild).epoch.version));
  ASSERT_TRUE(c.PutAnywhere(kChild, Key(95), "after").status.ok());
  for (int i = 1; i <= 3; ++i) c.StopNode(NodeId(i));
  for (int i = 1; i <= 3; ++i) c.RestartNode(NodeId(i));
  for (int i = 1; i <= 3; ++i) {
    int found = 0;
    for (const auto& d : c.node(NodeId(i))->Shards()) {
      if (d == c.shard(kParent) || d == c.shard(kChild)) ++found;
    }
    EXPECT_EQ(found, 2) << "node " << i;
  }
  auto cl = c.WaitForLeader(kChild);
  ASSERT_TRUE(cl);
  EXPECT_EQ(c.Get(*cl, kChild, Key(95)).value, "after");
  EXPECT_EQ(c.Get(*cl, kChild, Key(60)).value, "v60");
  auto pl = c.WaitForLeader(kParent);
  ASSERT_TRUE(pl);
  EXPECT_EQ(c.Get(*pl, kParent, Key(40)).value, "v40");
}

TEST(SplitTest, ShardsSplitBySizeAndStillTileTheKeySpace) {
  TestCluster c(3, 1, 2, true, [](NodeOptions* o) {
    o->split_keys = 40;
    o->split_size_bytes = 0;
    o->split_check_interval_ms = 20;
  });
  ASSERT_TRUE(c.WaitForLeader(kParent));
  for (int i = 0; i < 200; ++i) {
    // Write through whichever shard owns the key now, learning descriptors as they change.
    const std::string key = Key(i);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool done = false;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      // One look at the node's shards: a second one could name a shard the first did not learn.
      ShardId owner;
      for (const auto& d : c.node(NodeId(1))->Shards()) {
        c.Learn(d);
        if (d.ContainsKey(key)) owner = d.id;
      }
      if (owner) done = c.PutAnywhere(owner, key, "v", std::chrono::seconds(2)).status.ok();
    }
    ASSERT_TRUE(done) << key;
  }
  // At 40 keys a shard splits: 200 keys end in at least 4 shards, on every node, tiling the key
  // space without gap or overlap.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool tiled = false;
  while (!tiled && std::chrono::steady_clock::now() < deadline) {
    tiled = true;
    for (int n = 1; n <= 3 && tiled; ++n) {
      auto shards = c.node(NodeId(n))->Shards();
      std::sort(shards.begin(), shards.end(),
                [](const auto& a, const auto& b) { return a.start_key < b.start_key; });
      tiled =
          shards.size() >= 4 && shards.front().start_key.empty() && shards.back().end_key.empty();
      for (size_t i = 1; tiled && i < shards.size(); ++i) {
        tiled = shards[i - 1].end_key == shards[i].start_key;
      }
    }
    if (!tiled) std::this_thread::yield();
  }
  ASSERT_TRUE(tiled);
}

// A node restarted with the same static bootstrap (the server calls Bootstrap at every start)
// keeps its split shard as it is; a shard over keys its replicas hold is refused.
TEST(SplitTest, BootstrapAgainAfterASplitKeepsTheShards) {
  TestCluster c(3);
  auto leader = c.WaitForLeader(kParent);
  ASSERT_TRUE(leader);
  ShardDescriptor original = c.shard(kParent);
  ASSERT_TRUE(c.Split(*leader, kParent, Key(50), kChild).status.ok());
  ASSERT_TRUE(WaitForShardOnAll(c, 3, kChild, c.shard(kChild).epoch.version));
  for (int i = 1; i <= 3; ++i) {
    Node* n = c.node(NodeId(i));
    ASSERT_TRUE(WaitFor([&] {
      auto d = ShardOn(n, kParent);
      return d && d->end_key == Key(50);
    }));
    const Status st = n->Bootstrap(original);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(ShardOn(n, kParent)->end_key, Key(50)) << "the split shard is kept";
  }
  // Another shard over keys this node's replicas hold is refused.
  ShardDescriptor other = original;
  other.id = ShardId(4242);
  EXPECT_TRUE(c.node(NodeId(1))->Bootstrap(other).Is(Status::Code::kAlreadyExists));
  EXPECT_EQ(c.node(NodeId(1))->Shards().size(), 2u);
}

}  // namespace
}  // namespace tessera::multiraft::testing

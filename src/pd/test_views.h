// Test helpers for the PD scheduling tests: cluster views built by hand, step shorthands, and
// Apply(), which carries an operator out on a view the way the shard's leader would (so that
// tests can run schedulers round after round and check where the cluster ends up).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "pd/cluster_view.h"
#include "pd/operator.h"
#include "pd/schedulers.h"

namespace tessera::pd {

// Readable failures: gtest prints steps and operators through these.
inline void PrintTo(const Step& s, std::ostream* os) { *os << s.Describe(); }
inline void PrintTo(const Operator& op, std::ostream* os) { *os << op.Describe(); }

namespace test {

inline constexpr int64_t kNowMs = 1'000'000'000;
inline constexpr uint64_t kMiB = 1ull << 20;

// Nodes 1..count, up, heard from just now.
inline ClusterView MakeView(uint64_t count) {
  ClusterView v;
  v.now_ms = kNowMs;
  for (uint64_t i = 1; i <= count; ++i) {
    NodeInfo n;
    n.id = NodeId(i);
    n.address = "n" + std::to_string(i) + ":7000";
    n.last_heartbeat_ms = kNowMs;
    v.nodes.push_back(n);
  }
  return v;
}

inline NodeInfo& Node(ClusterView& v, uint64_t id) {
  for (NodeInfo& n : v.nodes) {
    if (n.id == NodeId(id)) return n;
  }
  ADD_FAILURE() << "no node " << id;
  return v.nodes.front();
}

// The node last heard from `ms` ago.
inline void Silence(ClusterView& v, uint64_t node, int64_t ms) {
  Node(v, node).last_heartbeat_ms = kNowMs - ms;
}

inline std::vector<NodeId> Ids(std::vector<uint64_t> ids) {
  std::vector<NodeId> out;
  for (uint64_t id : ids) out.push_back(NodeId(id));
  std::sort(out.begin(), out.end());
  return out;
}

// Appends shard `id` over [start, end) with these voters, led by `leader` (0: unknown). Appending
// in key order keeps the view well formed.
inline ShardInfo& AddShard(ClusterView& v, uint64_t id, std::string start, std::string end,
                           std::vector<uint64_t> voters, uint64_t leader) {
  ShardInfo s;
  s.desc.id = ShardId(id);
  s.desc.start_key = std::move(start);
  s.desc.end_key = std::move(end);
  s.desc.epoch = {.conf_version = 1, .version = 1};
  s.desc.voters = Ids(std::move(voters));
  s.leader = NodeId(leader);
  s.last_heartbeat_ms = kNowMs;
  v.shards.push_back(s);
  return v.shards.back();
}

// Key `i` of a run of shards: "k0000", "k0001", ... ("" for the first start and the last end).
inline std::string Key(int i) {
  char buf[16];
  snprintf(buf, sizeof buf, "k%04d", i);
  return buf;
}

// Shards first_id.. (`count` of them) tiling the key space, each with voters(i) led by leader(i).
template <typename Voters, typename Leader>
void AddShards(ClusterView& v, uint64_t first_id, int count, Voters voters, Leader leader) {
  for (int i = 0; i < count; ++i) {
    AddShard(v, first_id + i, i == 0 ? "" : Key(i), i + 1 == count ? "" : Key(i + 1), voters(i),
             leader(i));
  }
}

inline ShardInfo& Shard(ClusterView& v, uint64_t id) {
  for (ShardInfo& s : v.shards) {
    if (s.desc.id == ShardId(id)) return s;
  }
  ADD_FAILURE() << "no shard " << id;
  return v.shards.front();
}

inline Step AddLearner(uint64_t n) { return {.kind = Step::Kind::kAddLearner, .node = NodeId(n)}; }
inline Step Promote(uint64_t n) { return {.kind = Step::Kind::kPromoteLearner, .node = NodeId(n)}; }
inline Step Remove(uint64_t n) { return {.kind = Step::Kind::kRemoveReplica, .node = NodeId(n)}; }
inline Step Transfer(uint64_t n) {
  return {.kind = Step::Kind::kTransferLeader, .node = NodeId(n)};
}
inline Step SplitStep() { return {.kind = Step::Kind::kSplit}; }
inline Step MergeStep(uint64_t target) {
  return {.kind = Step::Kind::kMerge, .merge_target = ShardId(target)};
}

// Checks one operator: shard, kind, steps, and the epoch it was made at.
inline void ExpectOp(const ClusterView& v, const Operator& op, uint64_t shard,
                     const std::string& kind, const std::vector<Step>& steps) {
  EXPECT_EQ(op.shard, ShardId(shard)) << op.Describe();
  EXPECT_EQ(op.kind, kind) << op.Describe();
  EXPECT_EQ(op.steps, steps) << op.Describe();
  for (const ShardInfo& s : v.shards) {
    if (s.desc.id == op.shard) {
      EXPECT_EQ(op.epoch, s.desc.epoch) << op.Describe();
    }
  }
}

inline void Erase(std::vector<NodeId>& v, NodeId n) {
  v.erase(std::remove(v.begin(), v.end(), n), v.end());
}

// Carries out every step of `op` on the view, as the shard's leader would (membership steps
// bump conf_version). Splits and merges change the key space: tests do not simulate them.
inline void Apply(ClusterView& v, const Operator& op) {
  ShardInfo& s = Shard(v, op.shard.value());
  for (const Step& step : op.steps) {
    switch (step.kind) {
      case Step::Kind::kAddLearner:
        s.desc.learners.push_back(step.node);
        break;
      case Step::Kind::kPromoteLearner:
        Erase(s.desc.learners, step.node);
        s.desc.voters.push_back(step.node);
        break;
      case Step::Kind::kRemoveReplica:
        ASSERT_NE(s.leader, step.node) << "removing the leader: " << op.Describe();
        Erase(s.desc.learners, step.node);
        Erase(s.desc.voters, step.node);
        break;
      case Step::Kind::kTransferLeader:
        ASSERT_TRUE(std::count(s.desc.voters.begin(), s.desc.voters.end(), step.node))
            << "transfer to a non-voter: " << op.Describe();
        s.leader = step.node;
        break;
      case Step::Kind::kSplit:
      case Step::Kind::kMerge:
        FAIL() << "not simulated: " << op.Describe();
    }
    if (step.kind != Step::Kind::kTransferLeader) ++s.desc.epoch.conf_version;
    std::sort(s.desc.voters.begin(), s.desc.voters.end());
    std::sort(s.desc.learners.begin(), s.desc.learners.end());
  }
}

}  // namespace test
}  // namespace tessera::pd

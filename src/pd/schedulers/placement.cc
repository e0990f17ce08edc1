#include "pd/schedulers/placement.h"

#include <algorithm>
#include <tuple>

#include "common/assert.h"

namespace tessera::pd {

bool IsVoter(const ShardInfo& shard, NodeId n) { return Contains(shard.desc.voters, n); }
bool IsLearner(const ShardInfo& shard, NodeId n) { return Contains(shard.desc.learners, n); }

std::map<NodeId, uint32_t> ReplicaCounts(const ClusterView& view) {
  std::map<NodeId, uint32_t> counts;
  for (const NodeInfo& n : view.nodes) counts[n.id] = 0;
  for (const ShardInfo& s : view.shards) {
    for (NodeId n : s.Replicas()) ++counts[n];
  }
  return counts;
}

bool IsReplicaAlive(const ClusterView& view, const ShardInfo& shard, NodeId n) {
  const NodeInfo* node = view.FindNode(n);
  return node != nullptr && view.IsNodeConnected(*node) && !Contains(shard.down_replicas, n);
}

bool IsReplicaDead(const ClusterView& view, NodeId n) {
  const NodeInfo* node = view.FindNode(n);
  return node != nullptr && (node->state == NodeState::kTombstone || view.IsNodeDown(*node));
}

bool KeepsQuorum(const ClusterView& view, const ShardInfo& shard, NodeId removed) {
  size_t voters = 0, alive = 0;
  for (NodeId v : shard.desc.voters) {
    if (v == removed) continue;
    ++voters;
    if (IsReplicaAlive(view, shard, v)) ++alive;
  }
  return voters > 0 && alive >= voters / 2 + 1;
}

std::optional<NodeId> PickNewReplicaNode(const ClusterView& view, const ShardInfo& shard,
                                         const std::map<NodeId, uint32_t>& counts) {
  std::optional<NodeId> best;
  std::tuple<uint32_t, uint64_t, NodeId> best_key;
  for (const NodeInfo& n : view.nodes) {
    if (!view.IsNodeUsable(n) || shard.HasReplicaOn(n.id)) continue;
    auto it = counts.find(n.id);
    const std::tuple key{it == counts.end() ? 0u : it->second, n.stats.used_bytes, n.id};
    if (!best || key < best_key) {
      best = n.id;
      best_key = key;
    }
  }
  return best;
}

bool IsSettled(const ClusterView& view, const ShardInfo& shard) {
  if (!shard.leader || shard.desc.voters.size() != view.config.replicas ||
      !shard.desc.learners.empty() || !shard.down_replicas.empty() ||
      !shard.pending_replicas.empty() || view.IsBusy(shard.desc.id)) {
    return false;
  }
  return std::all_of(shard.desc.voters.begin(), shard.desc.voters.end(),
                     [&](NodeId v) { return IsReplicaAlive(view, shard, v); });
}

Operator MakeOperator(const ShardInfo& shard, std::string kind, int priority,
                      std::vector<Step> steps) {
  TESSERA_ASSERT(!steps.empty(), "an operator needs a step");
  return Operator{.shard = shard.desc.id,
                  .epoch = shard.desc.epoch,
                  .kind = std::move(kind),
                  .steps = std::move(steps),
                  .priority = priority};
}

}  // namespace tessera::pd

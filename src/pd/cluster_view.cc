#include "pd/cluster_view.h"

#include <algorithm>

#include "common/assert.h"

namespace tessera::pd {

const char* NodeStateName(NodeState s) {
  switch (s) {
    case NodeState::kUp:
      return "up";
    case NodeState::kDraining:
      return "draining";
    case NodeState::kTombstone:
      return "tombstone";
  }
  return "unknown";
}

bool NodeInfo::IsDown(int64_t now_ms, int64_t down_after_ms, int64_t since_ms) const {
  // A heartbeat older than PD's leadership (or none) is as old as the leadership: the new leader
  // cannot tell how long the node was silent before, and must not replace every replica of the
  // cluster the moment it takes over.
  const int64_t heard_ms = std::max(last_heartbeat_ms, since_ms);
  return now_ms - heard_ms >= down_after_ms;
}

std::vector<NodeId> ShardInfo::Replicas() const {
  std::vector<NodeId> all = desc.voters;
  all.insert(all.end(), desc.learners.begin(), desc.learners.end());
  std::sort(all.begin(), all.end());
  return all;
}

bool ShardInfo::HasReplicaOn(NodeId node) const {
  auto has = [node](const std::vector<NodeId>& v) {
    return std::find(v.begin(), v.end(), node) != v.end();
  };
  return has(desc.voters) || has(desc.learners);
}

const NodeInfo* ClusterView::FindNode(NodeId id) const {
  auto it = std::lower_bound(nodes.begin(), nodes.end(), id,
                             [](const NodeInfo& n, NodeId v) { return n.id < v; });
  return it != nodes.end() && it->id == id ? &*it : nullptr;
}

const ShardInfo* ClusterView::FindShard(ShardId id) const {
  for (const ShardInfo& s : shards) {
    if (s.desc.id == id) return &s;
  }
  return nullptr;
}

bool ClusterView::IsBusy(ShardId shard) const {
  return std::find(busy_shards.begin(), busy_shards.end(), shard) != busy_shards.end();
}

bool ClusterView::IsNodeDown(const NodeInfo& n) const {
  return n.IsDown(now_ms, config.max_node_down_time_ms, leader_since_ms);
}

bool ClusterView::IsNodeConnected(const NodeInfo& n) const {
  return n.state != NodeState::kTombstone &&
         !n.IsDown(now_ms, config.node_disconnected_ms, leader_since_ms);
}

bool ClusterView::IsNodeUsable(const NodeInfo& n) const {
  return n.state == NodeState::kUp && IsNodeConnected(n) && !n.stats.busy;
}

bool ClusterView::IsWellFormed() const {
  auto by_id = [](const NodeInfo& a, const NodeInfo& b) { return a.id < b.id; };
  auto same_id = [](const NodeInfo& a, const NodeInfo& b) { return a.id == b.id; };
  if (!std::is_sorted(nodes.begin(), nodes.end(), by_id)) return false;
  if (std::adjacent_find(nodes.begin(), nodes.end(), same_id) != nodes.end()) return false;
  for (size_t i = 1; i < shards.size(); ++i) {
    // Ranges in key order and disjoint; a gap is allowed (PD may not know every shard yet).
    const ShardDescriptor& prev = shards[i - 1].desc;
    const ShardDescriptor& cur = shards[i].desc;
    if (prev.end_key.empty() || cur.start_key < prev.end_key) return false;
  }
  return true;
}

}  // namespace tessera::pd

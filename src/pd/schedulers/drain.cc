// Drain: empties nodes being removed (NodeState::kDraining), one replica per shard per call.
//
// A voter moves to a usable node (MoveReplicaSteps: learner, promote, leadership away if the
// draining node leads, remove), so the shard keeps its voter count throughout. When no node can
// take the replica, a draining leader still hands its leadership to a usable, caught-up voter
// (the node serves nothing while it waits for room). A learner on a draining node is only
// removed: learners are transient here, and the replica checker adds what the shard lacks.
#include <optional>

#include "pd/schedulers.h"
#include "pd/schedulers/placement.h"

namespace tessera::pd {
namespace {

constexpr const char* kKind = "drain";

std::optional<std::vector<Step>> Evict(const ClusterView& view, const ShardInfo& s, NodeId from,
                                       std::map<NodeId, uint32_t>* counts) {
  const Step remove{.kind = Step::Kind::kRemoveReplica, .node = from};
  if (IsLearner(s, from)) return std::vector<Step>{remove};
  std::optional<NodeId> to = PickNewReplicaNode(view, s, *counts);
  if (to) {
    ++(*counts)[*to];
    return MoveReplicaSteps(s, from, *to);
  }
  if (s.leader != from) return std::nullopt;
  for (NodeId v : s.desc.voters) {  // sorted: the lowest usable id
    const NodeInfo* n = view.FindNode(v);
    if (v == from || n == nullptr || !view.IsNodeUsable(*n)) continue;
    if (Contains(s.pending_replicas, v) || !IsReplicaAlive(view, s, v)) continue;
    return std::vector<Step>{{.kind = Step::Kind::kTransferLeader, .node = v}};
  }
  return std::nullopt;
}

}  // namespace

std::vector<Operator> DrainNodes(const ClusterView& view) {
  std::map<NodeId, uint32_t> counts = ReplicaCounts(view);
  std::vector<Operator> ops;
  std::vector<ShardId> taken;  // one operator per shard even with two draining replicas
  for (const NodeInfo& n : view.nodes) {
    if (n.state != NodeState::kDraining) continue;
    for (const ShardInfo& s : view.shards) {
      if (!s.HasReplicaOn(n.id) || !s.leader || view.IsBusy(s.desc.id)) continue;
      if (Contains(taken, s.desc.id) || !KeepsQuorum(view, s)) continue;
      if (std::optional<std::vector<Step>> steps = Evict(view, s, n.id, &counts)) {
        ops.push_back(MakeOperator(s, kKind, kPriorityRepair, std::move(*steps)));
        taken.push_back(s.desc.id);
      }
    }
  }
  return ops;
}

}  // namespace tessera::pd

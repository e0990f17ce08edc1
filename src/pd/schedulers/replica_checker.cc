// The replica checker: keeps config.replicas voters per shard (schedulers.h, CheckReplicas).
//
// The node carries out one membership change at a time, so every fix is a sequence of single
// changes: a new voter is added as a learner first (it catches up by snapshot without counting
// towards the quorum), then promoted; a dead voter is removed only after its replacement is in.
// At most one operator per shard per call, for the most urgent problem of the shard.
#include <algorithm>
#include <optional>
#include <tuple>

#include "pd/schedulers.h"
#include "pd/schedulers/placement.h"

namespace tessera::pd {
namespace {

using K = Step::Kind;
constexpr const char* kKind = "replica-checker";

class ReplicaChecker {
 public:
  explicit ReplicaChecker(const ClusterView& view) : view_(view), counts_(ReplicaCounts(view)) {}

  std::optional<std::vector<Step>> Check(const ShardInfo& s) {
    // Without a leader nobody would carry an operator out; without a quorum of alive voters no
    // membership change can commit (that needs recovery by hand, not scheduling).
    if (!s.leader || view_.IsBusy(s.desc.id) || !KeepsQuorum(view_, s)) return std::nullopt;
    for (NodeId l : s.desc.learners) {
      if (IsReplicaDead(view_, l)) return std::vector<Step>{Remove(l)};
    }
    if (s.desc.voters.size() > view_.config.replicas) return RemoveExtraVoter(s);
    for (NodeId v : s.desc.voters) {
      if (IsReplicaDead(view_, v)) return ReplaceDeadVoter(s, v);
    }
    if (s.desc.voters.size() < view_.config.replicas) return AddVoter(s);
    for (NodeId l : s.desc.learners) {
      // A pending learner is still catching up: maybe an operator's, cancelled on a timeout.
      // Once caught up it is removed as a stray (the voters are complete).
      if (!Contains(s.pending_replicas, l)) return std::vector<Step>{Remove(l)};
    }
    return std::nullopt;
  }

 private:
  static Step Remove(NodeId n) { return {.kind = K::kRemoveReplica, .node = n}; }

  // A learner ready to become a voter: alive and caught up.
  std::optional<NodeId> PromotableLearner(const ShardInfo& s) const {
    for (NodeId l : s.desc.learners) {
      if (!Contains(s.pending_replicas, l) && IsReplicaAlive(view_, s, l)) return l;
    }
    return std::nullopt;
  }

  std::optional<NodeId> NewNode(const ShardInfo& s) {
    std::optional<NodeId> to = PickNewReplicaNode(view_, s, counts_);
    // Later shards of this call see the replica already placed, so they spread out.
    if (to) ++counts_[*to];
    return to;
  }

  std::optional<std::vector<Step>> AddVoter(const ShardInfo& s) {
    if (std::optional<NodeId> l = PromotableLearner(s)) {
      return std::vector<Step>{{.kind = K::kPromoteLearner, .node = *l}};
    }
    // A learner still catching up will be promoted later: adding another would overshoot.
    if (!s.desc.learners.empty()) return std::nullopt;
    std::optional<NodeId> to = NewNode(s);
    if (!to) return std::nullopt;
    return std::vector<Step>{{.kind = K::kAddLearner, .node = *to},
                             {.kind = K::kPromoteLearner, .node = *to}};
  }

  // Promote a replacement before removing `dead`: the voter count never drops below
  // config.replicas, and the quorum (checked in Check) carries both changes.
  std::optional<std::vector<Step>> ReplaceDeadVoter(const ShardInfo& s, NodeId dead) {
    if (std::optional<NodeId> l = PromotableLearner(s)) {
      std::vector<Step> steps{{.kind = K::kPromoteLearner, .node = *l}};
      if (s.leader == dead) steps.push_back({.kind = K::kTransferLeader, .node = *l});
      steps.push_back(Remove(dead));
      return steps;
    }
    if (!s.desc.learners.empty()) return std::nullopt;  // wait for the pending learner
    std::optional<NodeId> to = NewNode(s);
    if (!to) return std::nullopt;
    return MoveReplicaSteps(s, dead, *to);
  }

  // Victims in order: not alive (down, disconnected, reported down), on a draining node, on the
  // node with most replicas; then lowest id. The first whose removal keeps a quorum goes.
  std::optional<std::vector<Step>> RemoveExtraVoter(const ShardInfo& s) const {
    std::vector<std::tuple<int, int64_t, NodeId>> ranked;
    for (NodeId v : s.desc.voters) {
      const NodeInfo* n = view_.FindNode(v);
      int rank = 2;
      if (!IsReplicaAlive(view_, s, v)) {
        rank = 0;
      } else if (n->state == NodeState::kDraining) {
        rank = 1;
      }
      ranked.emplace_back(rank, -static_cast<int64_t>(counts_.at(v)), v);
    }
    std::sort(ranked.begin(), ranked.end());
    for (const auto& [rank, neg_count, v] : ranked) {
      if (!KeepsQuorum(view_, s, v)) continue;
      if (s.leader != v) return std::vector<Step>{Remove(v)};
      // Never remove the leader itself: hand leadership to another alive voter first.
      for (NodeId to : s.desc.voters) {
        const NodeInfo* n = view_.FindNode(to);
        if (to != v && n != nullptr && view_.IsNodeUsable(*n) && IsReplicaAlive(view_, s, to)) {
          return std::vector<Step>{{.kind = K::kTransferLeader, .node = to}, Remove(v)};
        }
      }
    }
    return std::nullopt;
  }

  const ClusterView& view_;
  std::map<NodeId, uint32_t> counts_;
};

}  // namespace

std::vector<Operator> CheckReplicas(const ClusterView& view) {
  ReplicaChecker checker(view);
  std::vector<Operator> ops;
  for (const ShardInfo& s : view.shards) {
    if (std::optional<std::vector<Step>> steps = checker.Check(s)) {
      ops.push_back(MakeOperator(s, kKind, kPriorityRepair, std::move(*steps)));
    }
  }
  return ops;
}

}  // namespace tessera::pd

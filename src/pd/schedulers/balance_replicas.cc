// Balance replicas: evens out the data each node holds by moving replicas from the node with the
// highest score to the one with the lowest (schedulers.h, BalanceReplicas).
//
// A node's score is the sum over its replicas of (approximate size + 1 MiB): sizes dominate when
// shards are big, and the constant makes empty shards count as replicas, so a cluster of fresh
// shards is balanced by count. Only connected kUp nodes take part: draining nodes are emptied by
// the drain scheduler and down ones by the replica checker.
//
// Moves in flight count as made (ClusterView::replicas_arriving and replicas_leaving), so that
// planning again before a snapshot lands does not move the same surplus twice.
//
// A move of weight w between scores a > b is made only when a - b > tolerance * mean and
// 2w <= a - b: afterwards the source still scores at least the target, so the same replica never
// comes back, and the sum of squared scores strictly drops, so repeated calls converge.
#include <algorithm>
#include <optional>

#include "pd/schedulers.h"
#include "pd/schedulers/placement.h"

namespace tessera::pd {
namespace {

constexpr const char* kKind = "balance-replica";
constexpr uint64_t kReplicaBaseBytes = 1ull << 20;

uint64_t Weight(const ShardInfo& s) { return s.stats.approximate_size_bytes + kReplicaBaseBytes; }

struct Move {
  size_t shard;  // index into view.shards
  NodeId from, to;
};

class ReplicaBalancer {
 public:
  explicit ReplicaBalancer(const ClusterView& view) : view_(view) {
    for (const NodeInfo& n : view.nodes) {
      if (n.state == NodeState::kUp && view.IsNodeConnected(n)) score_[n.id] = 0;
    }
    for (size_t i = 0; i < view.shards.size(); ++i) {
      for (NodeId r : view.shards[i].Replicas()) {
        auto it = score_.find(r);
        if (it == score_.end()) continue;
        it->second += Weight(view.shards[i]);
        on_node_[r].push_back(i);
      }
    }
    // Moves under way count as made (the learner being added already counts as a replica).
    for (const auto& [node, shards] : view.replicas_arriving) {
      auto it = score_.find(node);
      if (it == score_.end()) continue;
      for (ShardId id : shards) {
        const ShardInfo* s = view.FindShard(id);
        if (s != nullptr && !s->HasReplicaOn(node)) it->second += Weight(*s);
      }
    }
    for (const auto& [node, shards] : view.replicas_leaving) {
      auto it = score_.find(node);
      if (it == score_.end()) continue;
      for (ShardId id : shards) {
        const ShardInfo* s = view.FindShard(id);
        if (s != nullptr && s->HasReplicaOn(node)) it->second -= Weight(*s);
      }
    }
    uint64_t total = 0;
    for (const auto& [id, score] : score_) total += score;
    if (!score_.empty()) mean_ = static_cast<double>(total) / static_cast<double>(score_.size());
  }

  std::optional<Move> Next() {
    // Sources from the highest score, targets from the lowest; equal scores by id (the map's
    // order, kept by the stable sorts).
    std::vector<NodeId> sources, targets;
    for (const auto& [id, score] : score_) {
      sources.push_back(id);
      if (view_.IsNodeUsable(*view_.FindNode(id))) targets.push_back(id);
    }
    std::stable_sort(sources.begin(), sources.end(),
                     [&](NodeId a, NodeId b) { return score_[a] > score_[b]; });
    std::stable_sort(targets.begin(), targets.end(),
                     [&](NodeId a, NodeId b) { return score_[a] < score_[b]; });
    for (NodeId from : sources) {
      for (NodeId to : targets) {
        if (to == from) continue;
        if (score_[from] <= score_[to]) break;  // targets only get fuller from here
        const uint64_t gap = score_[from] - score_[to];
        if (static_cast<double>(gap) <= view_.config.balance_tolerance * mean_) break;
        if (std::optional<size_t> s = PickShard(from, to, gap)) return Apply({*s, from, to});
      }
    }
    return std::nullopt;
  }

 private:
  // The heaviest settled shard on `from` that `to` lacks and whose move keeps from >= to.
  std::optional<size_t> PickShard(NodeId from, NodeId to, uint64_t gap) const {
    std::optional<size_t> best;
    auto it = on_node_.find(from);
    if (it == on_node_.end()) return best;
    for (size_t i : it->second) {
      const ShardInfo& s = view_.shards[i];
      if (Contains(moved_, i) || !IsSettled(view_, s) || s.HasReplicaOn(to)) continue;
      if (2 * Weight(s) > gap) continue;
      if (!best || Weight(s) > Weight(view_.shards[*best]) ||
          (Weight(s) == Weight(view_.shards[*best]) && s.desc.id < view_.shards[*best].desc.id)) {
        best = i;
      }
    }
    return best;
  }

  Move Apply(Move m) {
    const uint64_t w = Weight(view_.shards[m.shard]);
    score_[m.from] -= w;
    score_[m.to] += w;
    moved_.push_back(m.shard);
    return m;
  }

  static bool Contains(const std::vector<size_t>& v, size_t i) {
    return std::find(v.begin(), v.end(), i) != v.end();
  }

  const ClusterView& view_;
  std::map<NodeId, uint64_t> score_;
  std::map<NodeId, std::vector<size_t>> on_node_;
  double mean_ = 0;
  std::vector<size_t> moved_;
};

}  // namespace

std::vector<Operator> BalanceReplicas(const ClusterView& view) {
  ReplicaBalancer balancer(view);
  std::vector<Operator> ops;
  for (uint32_t i = 0; i < view.config.max_operators_per_kind; ++i) {
    std::optional<Move> m = balancer.Next();
    if (!m) break;
    const ShardInfo& s = view.shards[m->shard];
    ops.push_back(MakeOperator(s, kKind, kPriorityBalance, MoveReplicaSteps(s, m->from, m->to)));
  }
  return ops;
}

}  // namespace tessera::pd

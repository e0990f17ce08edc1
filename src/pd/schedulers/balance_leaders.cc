// Balance leaders: evens out the leader count of usable nodes by leadership transfers (cheap:
// no data moves). A transfer goes from the node with most leaders to a voter of the same shard on
// the node with fewest, when the counts differ by more than max(1, tolerance * mean): a
// difference of at least 2 shrinks by 2 and never flips, so repeated calls converge.
//
// Transfers in flight count as made (ClusterView::leaders_in_flight): PD plans again before they
// finish, and would otherwise move the same surplus twice and swing the counts back and forth.
//
// Only usable nodes count (schedulers.h): draining nodes lose their leaders to the drain
// scheduler, and a busy or disconnected node can take no leader.
#include <algorithm>
#include <optional>

#include "pd/schedulers.h"
#include "pd/schedulers/placement.h"

namespace tessera::pd {
namespace {

constexpr const char* kKind = "balance-leader";

class LeaderBalancer {
 public:
  explicit LeaderBalancer(const ClusterView& view) : view_(view) {
    for (const NodeInfo& n : view.nodes) {
      if (view.IsNodeUsable(n)) leaders_[n.id] = 0;
    }
    int64_t total = 0;
    for (const ShardInfo& s : view.shards) {
      auto it = leaders_.find(s.leader);
      if (it == leaders_.end()) continue;
      ++it->second;
      ++total;
    }
    // Transfers under way count as done.
    for (const auto& [shard, to] : view.leaders_in_flight) {
      const ShardInfo* s = view.FindShard(shard);
      if (s == nullptr) continue;
      if (auto from = leaders_.find(s->leader); from != leaders_.end()) --from->second;
      if (auto it = leaders_.find(to); it != leaders_.end()) ++it->second;
    }
    if (!leaders_.empty()) {
      const double mean = static_cast<double>(total) / static_cast<double>(leaders_.size());
      threshold_ = std::max(1.0, view.config.balance_tolerance * mean);
    }
  }

  // The next transfer: {shard index, new leader}.
  std::optional<std::pair<size_t, NodeId>> Next() {
    // Sources from the most leaders, targets from the fewest; equal counts by id (the map's
    // order, kept by the stable sorts).
    std::vector<NodeId> sources, targets;
    for (const auto& [id, count] : leaders_) sources.push_back(id);
    targets = sources;
    std::stable_sort(sources.begin(), sources.end(),
                     [&](NodeId a, NodeId b) { return leaders_[a] > leaders_[b]; });
    std::stable_sort(targets.begin(), targets.end(),
                     [&](NodeId a, NodeId b) { return leaders_[a] < leaders_[b]; });
    for (NodeId from : sources) {
      for (NodeId to : targets) {
        if (static_cast<double>(leaders_[from] - leaders_[to]) <= threshold_) break;
        if (std::optional<size_t> s = PickShard(from, to)) {
          --leaders_[from];
          ++leaders_[to];
          moved_.push_back(*s);
          return std::pair{*s, to};
        }
      }
    }
    return std::nullopt;
  }

 private:
  // The first shard (in key order) led by `from` with a caught-up, alive voter on `to`.
  std::optional<size_t> PickShard(NodeId from, NodeId to) const {
    for (size_t i = 0; i < view_.shards.size(); ++i) {
      const ShardInfo& s = view_.shards[i];
      if (s.leader != from || view_.IsBusy(s.desc.id) || !IsVoter(s, to)) continue;
      if (Contains(s.pending_replicas, to) || !IsReplicaAlive(view_, s, to)) continue;
      if (std::find(moved_.begin(), moved_.end(), i) == moved_.end()) return i;
    }
    return std::nullopt;
  }

  const ClusterView& view_;
  std::map<NodeId, int64_t> leaders_;
  double threshold_ = 1;
  std::vector<size_t> moved_;
};

}  // namespace

std::vector<Operator> BalanceLeaders(const ClusterView& view) {
  LeaderBalancer balancer(view);
  std::vector<Operator> ops;
  for (uint32_t i = 0; i < view.config.max_operators_per_kind; ++i) {
    std::optional<std::pair<size_t, NodeId>> m = balancer.Next();
    if (!m) break;
    const ShardInfo& s = view.shards[m->first];
    ops.push_back(MakeOperator(s, kKind, kPriorityBalance,
                               {{.kind = Step::Kind::kTransferLeader, .node = m->second}}));
  }
  return ops;
}

}  // namespace tessera::pd

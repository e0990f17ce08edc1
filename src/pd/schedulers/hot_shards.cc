// Hot shards: spreads request load across nodes by moving leadership (schedulers.h,
// ScheduleHotShards). Writes and most reads are served by the leader, so a node's load in one
// dimension (writes, then reads, each in ops/s) is the sum over the shards it leads.
//
// A node is hot when its load is above hot_node_ratio times the mean over connected kUp nodes
// and above hot_node_min_ops_per_sec (smaller loads are noise: rates measured over one heartbeat
// would move leaders back and forth). Leaders being transferred count on their new node. For
// each hot node, hottest first, its hottest leader that can move goes to a voter on a cooler
// usable node: the coolest voter whose load after the move stays below the source's
// (target + x < source - x), so the hot spot is never just relocated and the same leader never
// comes back. A shard hot on its own cannot move that way: split by load is what cuts it.
// Replicas are not moved: leader transfers are cheap and usually enough.
#include <algorithm>
#include <optional>

#include "pd/schedulers.h"
#include "pd/schedulers/placement.h"

namespace tessera::pd {
namespace {

constexpr const char* kKind = "hot-shard";

using Dimension = double ShardStats::*;

class HotBalancer {
 public:
  explicit HotBalancer(const ClusterView& view) : view_(view) {}

  // Appends at most one transfer per hot node in `dim`, up to `budget` operators in `ops`.
  void Run(Dimension dim, uint32_t budget, std::vector<Operator>* ops) {
    std::map<NodeId, double> load;
    for (const NodeInfo& n : view_.nodes) {
      if (n.state == NodeState::kUp && view_.IsNodeConnected(n)) load[n.id] = 0;
    }
    double total = 0;
    for (const ShardInfo& s : view_.shards) {
      // A leader on its way elsewhere (an operator in flight) loads its new node already.
      auto to = view_.leaders_in_flight.find(s.desc.id);
      auto it = load.find(to != view_.leaders_in_flight.end() ? to->second : s.leader);
      if (it == load.end()) continue;
      it->second += s.stats.*dim;
      total += s.stats.*dim;
    }
    if (load.empty() || total <= 0) return;
    const double hot =
        std::max(view_.config.hot_node_ratio * total / static_cast<double>(load.size()),
                 view_.config.hot_node_min_ops_per_sec);
    std::vector<NodeId> hot_nodes;
    for (const auto& [id, l] : load) {
      if (l > hot) hot_nodes.push_back(id);
    }
    std::stable_sort(hot_nodes.begin(), hot_nodes.end(),
                     [&](NodeId a, NodeId b) { return load[a] > load[b]; });
    for (NodeId from : hot_nodes) {
      if (ops->size() >= budget) return;
      if (std::optional<std::pair<size_t, NodeId>> m = PickMove(dim, from, &load)) {
        const ShardInfo& s = view_.shards[m->first];
        ops->push_back(MakeOperator(s, kKind, kPriorityHot,
                                    {{.kind = Step::Kind::kTransferLeader, .node = m->second}}));
      }
    }
  }

 private:
  // The hottest movable leader on `from` and its new leader; updates `load`.
  std::optional<std::pair<size_t, NodeId>> PickMove(Dimension dim, NodeId from,
                                                    std::map<NodeId, double>* load) {
    std::vector<size_t> led;
    for (size_t i = 0; i < view_.shards.size(); ++i) {
      const ShardInfo& s = view_.shards[i];
      const bool moved = std::find(moved_.begin(), moved_.end(), i) != moved_.end();
      if (s.leader == from && !moved && !view_.IsBusy(s.desc.id) && s.stats.*dim > 0) {
        led.push_back(i);
      }
    }
    // Hottest first; equal loads in key order (kept by the stable sort).
    std::stable_sort(led.begin(), led.end(), [&](size_t a, size_t b) {
      return view_.shards[a].stats.*dim > view_.shards[b].stats.*dim;
    });
    for (size_t i : led) {
      const ShardInfo& s = view_.shards[i];
      const double x = s.stats.*dim;
      std::optional<NodeId> best;
      for (NodeId v : s.desc.voters) {  // sorted: equal loads go to the lowest id
        const NodeInfo* n = view_.FindNode(v);
        if (v == from || n == nullptr || !view_.IsNodeUsable(*n) || !load->contains(v)) continue;
        if (Contains(s.pending_replicas, v) || !IsReplicaAlive(view_, s, v)) continue;
        if ((*load)[v] + x >= (*load)[from] - x) continue;
        if (!best || (*load)[v] < (*load)[*best]) best = v;
      }
      if (!best) continue;
      (*load)[from] -= x;
      (*load)[*best] += x;
      moved_.push_back(i);
      return std::pair{i, *best};
    }
    return std::nullopt;
  }

  const ClusterView& view_;
  std::vector<size_t> moved_;  // shards given an operator in this call, in either dimension
};

}  // namespace

std::vector<Operator> ScheduleHotShards(const ClusterView& view) {
  std::vector<Operator> ops;
  HotBalancer balancer(view);
  const uint32_t budget = view.config.max_operators_per_kind;
  balancer.Run(&ShardStats::write_ops_per_sec, budget, &ops);
  balancer.Run(&ShardStats::read_ops_per_sec, budget, &ops);
  return ops;
}

}  // namespace tessera::pd

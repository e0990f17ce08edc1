// Schedule(): every enabled scheduler's proposals, cut down to what the limits allow.
#include "pd/schedulers.h"

#include <algorithm>
#include <map>
#include <string>

#include "common/assert.h"
#include "pd/schedulers/placement.h"

namespace tessera::pd {
namespace {

using Scheduler = std::vector<Operator> (*)(const ClusterView&);

// The nodes an operator adds a replica to, each a snapshot to send.
std::vector<NodeId> AddedReplicas(const Operator& op) {
  std::vector<NodeId> nodes;
  for (const Step& s : op.steps) {
    if (s.kind == Step::Kind::kAddLearner) nodes.push_back(s.node);
  }
  return nodes;
}

ShardId MergeTarget(const Operator& op) {
  for (const Step& s : op.steps) {
    if (s.kind == Step::Kind::kMerge) return s.merge_target;
  }
  return ShardId();
}

class Admission {
 public:
  explicit Admission(const ClusterView& view)
      : config_(view.config),
        claimed_(view.busy_shards),
        in_flight_(view.busy_shards.size()),
        snapshots_(view.snapshots_in_flight),
        per_kind_(view.kinds_in_flight) {}

  bool Full() const { return in_flight_ >= config_.max_operators; }

  // Takes `op` if no limit forbids it.
  bool Admit(const Operator& op) {
    const ShardId target = MergeTarget(op);
    // A merge target is claimed too: a change of its epoch would roll the merge back.
    if (Contains(claimed_, op.shard) || (target && Contains(claimed_, target))) return false;
    if (per_kind_[op.kind] >= config_.max_operators_per_kind) return false;
    std::map<NodeId, uint32_t> snapshots = snapshots_;
    for (NodeId n : AddedReplicas(op)) {
      if (++snapshots[n] > config_.max_snapshots_per_node) return false;
    }
    snapshots_ = std::move(snapshots);
    ++per_kind_[op.kind];
    ++in_flight_;
    claimed_.push_back(op.shard);
    if (target) claimed_.push_back(target);
    return true;
  }

 private:
  const ScheduleConfig& config_;
  std::vector<ShardId> claimed_;  // busy, given an operator now, or the target of a merge now
  size_t in_flight_;
  std::map<NodeId, uint32_t> snapshots_;
  std::map<std::string, uint32_t> per_kind_;
};

}  // namespace

std::vector<Operator> Schedule(const ClusterView& view) {
  TESSERA_ASSERT(view.IsWellFormed(), "cluster view out of order");
  const ScheduleConfig& c = view.config;
  // Drain has no switch: draining a node is an administrator's explicit request.
  const std::pair<bool, Scheduler> schedulers[] = {
      {c.enable_replica_checker, CheckReplicas},
      {true, DrainNodes},
      {c.enable_split, SplitBySize},
      {c.enable_split, SplitByLoad},
      {c.enable_hot_shards, ScheduleHotShards},
      {c.enable_balance_replicas, BalanceReplicas},
      {c.enable_balance_leaders, BalanceLeaders},
      {c.enable_merge, MergeSmallShards},
  };
  std::vector<Operator> proposed;
  for (const auto& [enabled, scheduler] : schedulers) {
    if (!enabled) continue;
    std::vector<Operator> ops = scheduler(view);
    proposed.insert(proposed.end(), std::make_move_iterator(ops.begin()),
                    std::make_move_iterator(ops.end()));
  }
  // Higher priority first; within a priority, the order above, then each scheduler's own.
  std::stable_sort(proposed.begin(), proposed.end(),
                   [](const Operator& a, const Operator& b) { return a.priority > b.priority; });
  Admission admission(view);
  std::vector<Operator> accepted;
  for (Operator& op : proposed) {
    if (admission.Full()) break;
    if (admission.Admit(op)) accepted.push_back(std::move(op));
  }
  return accepted;
}

}  // namespace tessera::pd

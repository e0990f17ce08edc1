#include "pd/cluster_state.h"

#include <algorithm>

#include "common/logging.h"

namespace tessera::pd {

namespace {

// [a_start, a_end) and [b_start, b_end) overlap (an empty end is unbounded).
bool Overlaps(std::string_view a_start, std::string_view a_end, std::string_view b_start,
              std::string_view b_end) {
  const bool a_before_b_end = b_end.empty() || a_start < b_end;
  const bool b_before_a_end = a_end.empty() || b_start < a_end;
  return a_before_b_end && b_before_a_end;
}

bool Newer(const Epoch& a, const Epoch& b) {
  return a.version > b.version || (a.version == b.version && a.conf_version > b.conf_version);
}

}  // namespace

void ClusterState::Load(std::vector<NodeInfo> nodes, std::vector<ShardDescriptor> shards,
                        ScheduleConfig config, int64_t now_ms) {
  std::unique_lock l(mu_);
  config_ = config;
  leader_since_ms_ = now_ms;
  nodes_.clear();
  shards_.clear();
  by_start_.clear();
  operators_.clear();
  for (auto& n : nodes) {
    n.last_heartbeat_ms = 0;
    nodes_[n.id] = std::move(n);
  }
  // Highest version first, so that an old record overlapping a newer one is dropped.
  std::sort(shards.begin(), shards.end(), [](const auto& a, const auto& b) {
    return a.epoch.version != b.epoch.version ? a.epoch.version > b.epoch.version : a.id < b.id;
  });
  for (const auto& d : shards) {
    if (!OverlapsLocked(d.start_key, d.end_key).empty()) continue;
    ShardInfo info;
    info.desc = d;
    info.range_changed_ms = now_ms;
    shards_[d.id] = info;
    by_start_[d.start_key] = d.id;
  }
  l.unlock();
  Changed();
}

void ClusterState::PutNode(const NodeInfo& node) {
  {
    std::lock_guard l(mu_);
    auto it = nodes_.find(node.id);
    if (it == nodes_.end()) {
      nodes_[node.id] = node;
    } else {
      it->second.address = node.address;
      it->second.state = node.state;
    }
  }
  Changed();
}

std::optional<NodeInfo> ClusterState::GetNode(NodeId id) const {
  std::lock_guard l(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

std::vector<NodeInfo> ClusterState::Nodes() const {
  std::lock_guard l(mu_);
  std::vector<NodeInfo> out;
  for (const auto& [id, n] : nodes_) out.push_back(n);
  return out;
}

Result<NodeState> ClusterState::NodeHeartbeat(NodeId id, const NodeStats& stats, int64_t now_ms) {
  std::lock_guard l(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return Status::NotFound("node " + std::to_string(id.value()));
  it->second.stats = stats;
  it->second.last_heartbeat_ms = now_ms;
  return it->second.state;
}

Status ClusterState::SetNodeState(NodeId id, NodeState state) {
  {
    std::lock_guard l(mu_);
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return Status::NotFound("node " + std::to_string(id.value()));
    it->second.state = state;
  }
  Changed();
  return Status::OK();
}

std::vector<ShardId> ClusterState::OverlapsLocked(std::string_view start,
                                                  std::string_view end) const {
  std::vector<ShardId> out;
  // The shard starting at or before `start` may reach into it; then every shard starting inside.
  auto it = by_start_.upper_bound(std::string(start));
  if (it != by_start_.begin()) --it;
  for (; it != by_start_.end(); ++it) {
    if (!end.empty() && it->first >= end) break;
    const ShardInfo& s = shards_.at(it->second);
    if (Overlaps(start, end, s.desc.start_key, s.desc.end_key)) out.push_back(s.desc.id);
  }
  return out;
}

void ClusterState::RemoveShardLocked(ShardId id) {
  auto it = shards_.find(id);
  if (it == shards_.end()) return;
  auto b = by_start_.find(it->second.desc.start_key);
  if (b != by_start_.end() && b->second == id) by_start_.erase(b);
  shards_.erase(it);
  if (auto op = operators_.find(id); op != operators_.end()) {
    // A merge's source is removed when its target's report covers it: the merge is done.
    const RunningOperator& r = op->second;
    const bool merged = r.step < r.op.steps.size() && r.op.steps[r.step].kind == Step::Kind::kMerge;
    CountLocked(r.op, merged ? "finished" : "cancelled");
    operators_.erase(op);
  }
}

ClusterState::ReportOutcome ClusterState::HandleShardReport(const ShardInfo& report,
                                                            int64_t now_ms) {
  std::unique_lock l(mu_);
  ReportOutcome out;
  const ShardDescriptor& d = report.desc;
  auto known = shards_.find(d.id);
  if (known != shards_.end() && Newer(known->second.desc.epoch, d.epoch)) {
    out.stale = true;
    return out;
  }
  // At the same epoch, a leader of an older term (deposed, its report delayed) is stale too:
  // accepting it would move the shard's leader back in PD's picture.
  if (known != shards_.end() && known->second.desc.epoch == d.epoch &&
      report.term < known->second.term) {
    out.stale = true;
    return out;
  }
  // The range: every other overlapping shard must be older, or the report is stale.
  std::vector<ShardId> overlapped;
  for (ShardId o : OverlapsLocked(d.start_key, d.end_key)) {
    if (o == d.id) continue;
    if (shards_.at(o).desc.epoch.version >= d.epoch.version) {
      out.stale = true;
      return out;
    }
    overlapped.push_back(o);
  }
  for (ShardId o : overlapped) {
    RemoveShardLocked(o);
    out.removed.push_back(o);
  }
  const bool changed = known == shards_.end() || !(known->second.desc == d);
  // (`known` is dereferenced only when it was found: `changed` is true otherwise.)
  bool visible = changed || !overlapped.empty() || known->second.leader != report.leader ||
                 known->second.down_replicas != report.down_replicas ||
                 known->second.pending_replicas != report.pending_replicas;
  if (known != shards_.end() && known->second.desc.start_key != d.start_key) {
    auto b = by_start_.find(known->second.desc.start_key);
    if (b != by_start_.end() && b->second == d.id) by_start_.erase(b);
  }
  const bool range_changed =
      known == shards_.end() || known->second.desc.epoch.version != d.epoch.version;
  const int64_t range_changed_ms = range_changed ? now_ms : known->second.range_changed_ms;
  ShardInfo& s = shards_[d.id];
  s = report;
  s.last_heartbeat_ms = now_ms;
  s.range_changed_ms = range_changed_ms;
  by_start_[d.start_key] = d.id;
  if (changed) out.persist.push_back(d);
  const auto op = operators_.find(d.id);
  const size_t step_before = op == operators_.end() ? 0 : op->second.step;
  out.command = AdvanceOperatorLocked(s, now_ms);
  if (op != operators_.end()) {
    const auto after = operators_.find(d.id);
    visible = visible || after == operators_.end() || after->second.step != step_before;
  }
  l.unlock();
  if (visible) Changed();
  return out;
}

std::optional<Step> ClusterState::AdvanceOperatorLocked(const ShardInfo& now, int64_t now_ms) {
  auto it = operators_.find(now.desc.id);
  if (it == operators_.end()) return std::nullopt;
  RunningOperator& r = it->second;
  // A step may be found done together with the next ones (one heartbeat after several changes):
  // at most one pass per step.
  while (r.step < r.op.steps.size() && r.op.steps[r.step].IsDone(r.step_start, now)) {
    ++r.step;
    r.step_start = now;
    r.step_started_ms = now_ms;
  }
  if (r.step == r.op.steps.size()) {
    Log().info("PD: operator done on shard {}: {}", now.desc.id.value(), r.op.Describe());
    CountLocked(r.op, "finished");
    operators_.erase(it);
    return std::nullopt;
  }
  const Step& step = r.op.steps[r.step];
  const bool reshapes = step.kind == Step::Kind::kSplit || step.kind == Step::Kind::kMerge;
  if (now.desc.epoch.version != r.step_start.desc.epoch.version && !reshapes) {
    Log().info("PD: operator cancelled on shard {} (its range changed): {}", now.desc.id.value(),
               r.op.Describe());
    CountLocked(r.op, "cancelled");
    operators_.erase(it);
    return std::nullopt;
  }
  if (now_ms - r.step_started_ms > config_.operator_step_timeout_ms) {
    Log().warn("PD: operator timed out on shard {} at step {}: {}", now.desc.id.value(), r.step,
               r.op.Describe());
    CountLocked(r.op, "timed_out");
    operators_.erase(it);
    return std::nullopt;
  }
  return step;
}

std::optional<ShardInfo> ClusterState::ShardByKey(std::string_view key) const {
  std::lock_guard l(mu_);
  auto it = by_start_.upper_bound(std::string(key));
  if (it == by_start_.begin()) return std::nullopt;
  --it;
  const ShardInfo& s = shards_.at(it->second);
  if (!s.desc.ContainsKey(key)) return std::nullopt;
  return s;
}

std::optional<ShardInfo> ClusterState::ShardById(ShardId id) const {
  std::lock_guard l(mu_);
  auto it = shards_.find(id);
  if (it == shards_.end()) return std::nullopt;
  return it->second;
}

std::vector<ShardInfo> ClusterState::ScanShards(std::string_view start, std::string_view end,
                                                size_t limit) const {
  std::lock_guard l(mu_);
  std::vector<ShardInfo> out;
  for (ShardId id : OverlapsLocked(start, end)) {
    out.push_back(shards_.at(id));
    if (limit != 0 && out.size() >= limit) break;
  }
  return out;
}

ClusterState::OperatorOutcomes ClusterState::operator_outcomes() const {
  std::lock_guard l(mu_);
  return outcomes_;
}

size_t ClusterState::shard_count() const {
  std::lock_guard l(mu_);
  return shards_.size();
}

bool ClusterState::AddOperator(const Operator& op, int64_t now_ms) {
  std::unique_lock l(mu_);
  auto s = shards_.find(op.shard);
  if (s == shards_.end() || operators_.count(op.shard) != 0 || op.steps.empty()) return false;
  if (!(s->second.desc.epoch == op.epoch)) return false;
  RunningOperator r;
  r.op = op;
  r.step_start = s->second;
  r.created_ms = now_ms;
  r.step_started_ms = now_ms;
  operators_[op.shard] = std::move(r);
  CountLocked(op, "started");
  Log().info("PD: operator created on shard {}: {}", op.shard.value(), op.Describe());
  l.unlock();
  Changed();
  return true;
}

std::optional<std::string> ClusterState::CancelOperator(ShardId shard) {
  std::unique_lock l(mu_);
  auto it = operators_.find(shard);
  if (it == operators_.end()) return std::nullopt;
  std::string what = it->second.op.Describe();
  CountLocked(it->second.op, "cancelled");
  operators_.erase(it);
  Log().info("PD: operator on shard {} cancelled by an operator: {}", shard.value(), what);
  l.unlock();
  Changed();
  return what;
}

std::vector<RunningOperator> ClusterState::Operators() const {
  std::lock_guard l(mu_);
  std::vector<RunningOperator> out;
  for (const auto& [id, r] : operators_) out.push_back(r);
  return out;
}

bool ClusterState::NeedsLostNodeLocked(const RunningOperator& r, int64_t now_ms) const {
  for (size_t i = r.step; i < r.op.steps.size(); ++i) {
    const Step& s = r.op.steps[i];
    const bool needs_node = s.kind == Step::Kind::kAddLearner ||
                            s.kind == Step::Kind::kPromoteLearner ||
                            s.kind == Step::Kind::kTransferLeader;
    if (!needs_node) continue;
    auto n = nodes_.find(s.node);
    if (n == nodes_.end() || n->second.state == NodeState::kTombstone ||
        n->second.IsDown(now_ms, config_.node_disconnected_ms, leader_since_ms_)) {
      return true;
    }
  }
  return false;
}

size_t ClusterState::ExpireOperators(int64_t now_ms) {
  std::unique_lock l(mu_);
  size_t n = 0;
  for (auto it = operators_.begin(); it != operators_.end();) {
    // A step that needs a node that went silent cannot finish: give the shard back to the
    // schedulers now rather than at the timeout (the replica checker then repairs it).
    const bool lost = NeedsLostNodeLocked(it->second, now_ms);
    if (lost || now_ms - it->second.step_started_ms > config_.operator_step_timeout_ms) {
      Log().warn("PD: operator {} on shard {}: {}",
                 lost ? "cancelled (a node it needs is down)" : "timed out", it->first.value(),
                 it->second.op.Describe());
      CountLocked(it->second.op, lost ? "cancelled" : "timed_out");
      it = operators_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  l.unlock();
  if (n > 0) Changed();
  return n;
}

ScheduleConfig ClusterState::config() const {
  std::lock_guard l(mu_);
  return config_;
}

void ClusterState::SetConfig(const ScheduleConfig& config) {
  {
    std::lock_guard l(mu_);
    config_ = config;
  }
  Changed();
}

ClusterView ClusterState::View(int64_t now_ms) const {
  std::lock_guard l(mu_);
  ClusterView v;
  v.now_ms = now_ms;
  v.leader_since_ms = leader_since_ms_;
  v.config = config_;
  for (const auto& [id, n] : nodes_) v.nodes.push_back(n);
  for (const auto& [start, id] : by_start_) v.shards.push_back(shards_.at(id));
  for (const auto& [id, r] : operators_) {
    v.busy_shards.push_back(id);
    ++v.kinds_in_flight[r.op.kind];
    const NodeId leader = shards_.at(id).leader;
    for (size_t i = r.step; i < r.op.steps.size(); ++i) {
      const Step& s = r.op.steps[i];
      switch (s.kind) {
        case Step::Kind::kAddLearner:
          ++v.snapshots_in_flight[s.node];
          v.replicas_arriving[s.node].push_back(id);
          break;
        case Step::Kind::kRemoveReplica:
          v.replicas_leaving[s.node].push_back(id);
          break;
        case Step::Kind::kTransferLeader:
          if (s.node != leader) v.leaders_in_flight[id] = s.node;  // the last transfer wins
          break;
        default:
          break;
      }
    }
  }
  return v;
}

}  // namespace tessera::pd

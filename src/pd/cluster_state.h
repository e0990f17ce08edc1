// ClusterState: the PD leader's in-memory picture of the cluster (nodes, shards and their routing
// tree, running operators, the schedule configuration), fed by heartbeats and loaded from the
// metadata store when the leader takes over.
//
// Shard reports follow one rule (as in TiKV's PD): between descriptors of overlapping ranges the
// one with the larger version wins, and between descriptors of the same shard the one with the
// larger (version, conf_version) wins; at the same epoch, the report of the larger Raft term
// wins. A stale report changes nothing. A report that wins removes
// the shards it overlaps (a split's halves replace the old range; a merge's target swallows its
// source); the caller persists what changed.
//
// Thread-safe: one mutex guards everything.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pd/cluster_view.h"
#include "pd/operator.h"

namespace tessera::pd {

struct RunningOperator {
  Operator op;
  size_t step = 0;         // the index of the current step in op.steps
  ShardInfo step_start;    // the shard when the current step began
  int64_t created_ms = 0;  // PD's clock
  int64_t step_started_ms = 0;
};

class ClusterState {
 public:
  // What a shard report changed.
  struct ReportOutcome {
    bool stale = false;                    // the report lost to what PD knows; nothing changed
    std::vector<ShardDescriptor> persist;  // records to write (new or changed range or epoch)
    std::vector<ShardId> removed;          // records to delete (overlapped by a newer range)
    std::optional<Step> command;           // the current step of the shard's operator
  };

  // `listener` is called, with no lock held, after anything a reader sees changed: a node's
  // record, a shard's range, epoch, leader or down and pending replicas, an operator started,
  // advanced or ended, the configuration (not the statistics heartbeats carry). Set it before
  // any other call. Tests wait on it instead of polling.
  void SetChangeListener(std::function<void()> listener) { listener_ = std::move(listener); }

  // Replaces everything (a new leader loading the metadata store). `shards` may overlap (records
  // written by an older leader): the rule above sorts them out.
  void Load(std::vector<NodeInfo> nodes, std::vector<ShardDescriptor> shards, ScheduleConfig config,
            int64_t now_ms);

  // Nodes.
  void PutNode(const NodeInfo& node);  // adds or replaces (keeps stats and heartbeat time)
  std::optional<NodeInfo> GetNode(NodeId id) const;
  std::vector<NodeInfo> Nodes() const;
  // Records a heartbeat; NotFound for an unregistered node.
  Result<NodeState> NodeHeartbeat(NodeId id, const NodeStats& stats, int64_t now_ms);
  Status SetNodeState(NodeId id, NodeState state);

  // Shards.
  ReportOutcome HandleShardReport(const ShardInfo& report, int64_t now_ms);
  std::optional<ShardInfo> ShardByKey(std::string_view key) const;
  std::optional<ShardInfo> ShardById(ShardId id) const;
  // Shards overlapping [start, end) (end empty: to the end), in key order; limit 0: all.
  std::vector<ShardInfo> ScanShards(std::string_view start, std::string_view end,
                                    size_t limit) const;
  size_t shard_count() const;

  // Operators. Add refuses (false) when the shard has one already or is unknown or its epoch is
  // not `op.epoch`.
  bool AddOperator(const Operator& op, int64_t now_ms);
  std::vector<RunningOperator> Operators() const;
  // Removes the shard's operator; its description, or nullopt when it has none.
  std::optional<std::string> CancelOperator(ShardId shard);
  // Cancels operators whose current step is older than the timeout (a shard whose leader stopped
  // reporting never gets a report to time it out by), and those with a step still to come that
  // needs a node silent for node_disconnected_ms. Returns how many.
  size_t ExpireOperators(int64_t now_ms);

  // How operators ended, by the scheduler that made them (Operator::kind) and outcome:
  // "started", "finished", "cancelled" (the shard's range changed or it went away, a node a step
  // needs is down, or an admin cancelled it) or "timed_out" (a step took longer than
  // operator_step_timeout_ms). Counted since the process started, as leader or not.
  using OperatorOutcomes = std::map<std::pair<std::string, std::string>, uint64_t>;
  OperatorOutcomes operator_outcomes() const;

  ScheduleConfig config() const;
  void SetConfig(const ScheduleConfig& config);

  // A consistent picture for the schedulers.
  ClusterView View(int64_t now_ms) const;

 private:
  void Changed() const {
    if (listener_) listener_();
  }
  // REQUIRES: mu_ held.
  void RemoveShardLocked(ShardId id);
  std::optional<Step> AdvanceOperatorLocked(const ShardInfo& now, int64_t now_ms);
  bool NeedsLostNodeLocked(const RunningOperator& r, int64_t now_ms) const;
  std::vector<ShardId> OverlapsLocked(std::string_view start, std::string_view end) const;

  std::function<void()> listener_;
  mutable std::mutex mu_;
  ScheduleConfig config_;
  int64_t leader_since_ms_ = 0;
  std::map<NodeId, NodeInfo> nodes_;
  std::map<ShardId, ShardInfo> shards_;
  std::map<std::string, ShardId> by_start_;  // the routing tree: start key -> shard
  std::map<ShardId, RunningOperator> operators_;
  OperatorOutcomes outcomes_;
  // REQUIRES: mu_ held. Counts `op` as ended (or started) with `outcome`.
  void CountLocked(const Operator& op, const char* outcome) { ++outcomes_[{op.kind, outcome}]; }
};

}  // namespace tessera::pd

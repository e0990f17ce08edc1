// ClusterView: what the placement driver knows of the cluster at one moment, as plain values.
//
// PD builds a view from its node and shard records (the nodes' heartbeats) and hands it to the
// schedulers, each a pure function from a view to operators (operator.h, schedulers.h). Nothing
// here does I/O or reads a clock: `now_ms` is part of the view, so a scheduler's output depends
// on its input only, and tests build views by hand.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "multiraft/shard.h"

namespace tessera::pd {

using multiraft::Epoch;
using multiraft::ShardDescriptor;

// A node's life as PD sees it.
enum class NodeState : uint8_t {
  kUp = 0,         // registered; down or not depends on its last heartbeat (NodeInfo::IsDown)
  kDraining = 1,   // being removed: its leaders and replicas move away (the drain scheduler)
  kTombstone = 2,  // removed for good: holds no replica, may never come back
};
const char* NodeStateName(NodeState s);

// What a node reports in its heartbeat. Rates are per second over the last heartbeat interval.
struct NodeStats {
  uint64_t capacity_bytes = 0;   // the data disk's size
  uint64_t used_bytes = 0;       // what the store engine takes
  uint64_t available_bytes = 0;  // free on the data disk
  uint32_t shard_count = 0;      // replicas on the node
  uint32_t leader_count = 0;     // of which leaders
  double read_ops_per_sec = 0, write_ops_per_sec = 0;
  double read_bytes_per_sec = 0, write_bytes_per_sec = 0;
  bool busy = false;  // the node asks not to receive more work (snapshots, new replicas)
};

struct NodeInfo {
  NodeId id;
  std::string address;  // "host:port" of its gRPC port
  NodeState state = NodeState::kUp;
  int64_t last_heartbeat_ms = 0;  // PD's clock; 0: none since PD's leader took over
  NodeStats stats;

  // True when the node has not sent a heartbeat for `down_after_ms`. A node PD has not heard from
  // since it became leader counts from that moment (`since_ms`), not from zero.
  bool IsDown(int64_t now_ms, int64_t down_after_ms, int64_t since_ms) const;
};

// What a shard's leader reports in its shard heartbeat.
struct ShardStats {
  uint64_t approximate_size_bytes = 0;
  uint64_t approximate_keys = 0;
  double read_ops_per_sec = 0, write_ops_per_sec = 0;
  double read_bytes_per_sec = 0, write_bytes_per_sec = 0;
};

struct ShardInfo {
  ShardDescriptor desc;
  NodeId leader;      // none when no heartbeat came since PD's leader took over
  uint64_t term = 0;  // the leader's Raft term in its last report (0: none yet)
  // Replicas the leader has not heard from recently, and learners or voters still catching up
  // (being sent a snapshot, far behind). Both are subsets of desc.voters + desc.learners.
  std::vector<NodeId> down_replicas;
  std::vector<NodeId> pending_replicas;
  ShardStats stats;
  int64_t last_heartbeat_ms = 0;  // 0: only known from PD's records
  // When PD last saw the shard's range change (a split or merge: a new epoch version) or first
  // saw the shard, on PD's clock; a new PD leader counts from when it loaded the shard.
  int64_t range_changed_ms = 0;

  // desc.voters + desc.learners, sorted.
  std::vector<NodeId> Replicas() const;
  bool HasReplicaOn(NodeId node) const;
};

// Scheduling settings: PD's scheduler configuration (docs/pd.md, "Schedulers"), changeable at run
// time through PD's admin API. Every scheduler reads its knobs from here.
struct ScheduleConfig {
  // Replicas per shard. Default: 3.
  uint32_t replicas = 3;
  // A node silent this long is down: its replicas are replaced elsewhere. Default: 30 minutes.
  int64_t max_node_down_time_ms = 30 * 60 * 1000;
  // A node silent this long is "disconnected": schedulers neither add replicas to it nor move
  // leaders to it (a short hiccup, before max_node_down_time_ms). Default: 20 s.
  int64_t node_disconnected_ms = 20 * 1000;
  // Split a shard larger than this or with more keys than this (split by size); 0: no limit.
  // Defaults: 96 MiB, 960,000 keys.
  uint64_t max_shard_size_bytes = 96ull << 20;
  uint64_t max_shard_keys = 960'000;
  // Merge a shard smaller than both of these into a neighbour (when the result stays below
  // max_shard_size_bytes and max_shard_keys). 0 disables merging. Defaults: 20 MiB, 200,000 keys.
  uint64_t merge_max_size_bytes = 20ull << 20;
  uint64_t merge_max_keys = 200'000;
  // Not merged: a shard whose range changed less than this ago (its size and load are not known
  // yet, and merging what a split just made would undo it; TiKV's split-merge-interval), and two
  // shards whose summed read or write load is half the split-by-load thresholds or more (so that
  // a load split is not merged back while the load lasts). Default: 60 s.
  int64_t split_merge_interval_ms = 60 * 1000;
  // Split a shard whose write or read load (ops or bytes per second) is above these (split by
  // load). 0 disables. Defaults: 3,000 ops/s, 30 MiB/s.
  double split_load_ops_per_sec = 3000;
  double split_load_bytes_per_sec = 30ull << 20;
  // Balance: act when a node is more than this fraction off the mean (replica count weighted by
  // size for replicas, leader count for leaders). Default: 0.05.
  double balance_tolerance = 0.05;
  // Hot-shard scheduling: a node is hot when its load is above this multiple of the mean
  // (default: 1.5) ...
  double hot_node_ratio = 1.5;
  // ... and when that load is at least this many ops/s (below it, load is noise). Default: 1000.
  double hot_node_min_ops_per_sec = 1000;
  // Bounds on concurrent operators: in total, adding replicas (a snapshot) to one node, and per
  // scheduler kind (the "limit" of each). Defaults: 64, 4, 8.
  uint32_t max_operators = 64;
  uint32_t max_snapshots_per_node = 4;
  uint32_t max_operators_per_kind = 8;
  // An operator's step that has not finished in this long cancels the operator. Default: 60 s.
  int64_t operator_step_timeout_ms = 60 * 1000;
  // Scheduler switches.
  bool enable_replica_checker = true;
  bool enable_split = true;
  bool enable_merge = true;
  bool enable_balance_replicas = true;
  bool enable_balance_leaders = true;
  bool enable_hot_shards = true;
};

// One consistent picture for the schedulers.
struct ClusterView {
  int64_t now_ms = 0;
  // When PD's current leader took over (heartbeat ages count from here at the earliest).
  int64_t leader_since_ms = 0;
  ScheduleConfig config;
  std::vector<NodeInfo> nodes;  // by id, each id once
  // By start key, disjoint. The ranges tile the key space except where PD has not heard of a
  // shard yet (the right half of a split whose first heartbeat has not come): schedulers that
  // need a neighbour check adjacency.
  std::vector<ShardInfo> shards;
  // Shards that already have an operator in flight (schedulers leave them alone), per node the
  // number of operators in flight that add a replica to it (a snapshot each), and per
  // Operator::kind the number of operators in flight (for max_operators_per_kind).
  std::vector<ShardId> busy_shards;
  std::map<NodeId, uint32_t> snapshots_in_flight;
  std::map<std::string, uint32_t> kinds_in_flight;
  // What the operators in flight will have changed once they finish: the node each shard's
  // leadership is moving to, and per node the shards gaining or losing a replica there. The
  // balancers count these moves as made: a move planned while another is under way must not
  // overshoot (PD plans every schedule interval, sooner than a transfer or a snapshot ends).
  std::map<ShardId, NodeId> leaders_in_flight;
  std::map<NodeId, std::vector<ShardId>> replicas_arriving, replicas_leaving;

  // Null when PD has no record of the node. REQUIRES: IsWellFormed() (binary search).
  const NodeInfo* FindNode(NodeId id) const;
  bool IsBusy(ShardId shard) const;
  // Null when the view holds no such shard (a linear search).
  const ShardInfo* FindShard(ShardId id) const;
  // Silent for max_node_down_time_ms: its replicas are to be replaced.
  bool IsNodeDown(const NodeInfo& n) const;
  // Not a tombstone and heard from within node_disconnected_ms (draining nodes included): its
  // replicas count as alive and it may give leaders and replicas away.
  bool IsNodeConnected(const NodeInfo& n) const;
  // Up, not disconnected, not draining or tombstone, not busy: may receive replicas and leaders.
  bool IsNodeUsable(const NodeInfo& n) const;
  // The ordering invariants above hold (nodes by id and unique, shards by key and disjoint).
  bool IsWellFormed() const;
};

}  // namespace tessera::pd

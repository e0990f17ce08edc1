// The schedulers: each a pure function from a ClusterView to the operators it proposes (one file
// each, in schedulers/). None reads a clock, does I/O, or remembers anything between calls: what
// they need is in the view. None proposes an operator for a shard in view.busy_shards, nor adds a
// replica to or moves a leader to a node that is not usable (ClusterView::IsNodeUsable), nor
// proposes more than one operator per shard, nor proposes anything for a shard whose leader is
// unknown (nobody would carry it out). Output is deterministic: shards in key order, nodes in id
// order, ties broken by id.
//
// A split operator's new shard id is left zero: PD allocates one when it accepts the operator.
#pragma once

#include <vector>

#include "pd/cluster_view.h"
#include "pd/operator.h"

namespace tessera::pd {

// Priorities (Operator::priority) by kind: repair first, then reshaping, then balance.
inline constexpr int kPriorityRepair = 100;  // replica checker, drain
inline constexpr int kPrioritySplit = 50;    // split by size or load
inline constexpr int kPriorityHot = 30;      // hot shards
inline constexpr int kPriorityBalance = 10;  // balance replicas and leaders, merge

// Keeps config.replicas voters per shard: replaces replicas on nodes down longer than
// max_node_down_time_ms or tombstoned (add learner elsewhere, promote, remove the dead one),
// adds voters to under-replicated shards, promotes stray learners, removes extra replicas
// (the ones on down, draining or fullest nodes first; a leader only after a transfer). Nothing
// for a shard whose alive voters are no majority (no change could commit), nor when no usable
// node can take a new replica. kind "replica-checker".
std::vector<Operator> CheckReplicas(const ClusterView& view);

// Splits shards over max_shard_size_bytes or max_shard_keys (empty split key: the leader picks
// the middle; a zero limit is no limit). kind "split-size".
std::vector<Operator> SplitBySize(const ClusterView& view);

// Splits shards whose load is above split_load_ops_per_sec or split_load_bytes_per_sec.
// kind "split-load".
std::vector<Operator> SplitByLoad(const ClusterView& view);

// Merges a small shard (below merge_max_size_bytes and merge_max_keys) into an adjacent one when
// the result stays under the split thresholds and both have the same voters and no learners;
// when only the replica placement differs, first moves replicas so that they match. The operator
// is on the source (the small shard); the target is its right neighbour, or its left one when it
// is the last shard. Nothing when merge_max_size_bytes is 0. kind "merge".
std::vector<Operator> MergeSmallShards(const ClusterView& view);

// Moves replicas from the node with the largest score (replicas weighted by size) to the one with
// the smallest (the next pair when none of theirs can move), when they differ by more than
// balance_tolerance of the mean and the move does not overshoot; up to max_operators_per_kind
// moves of different shards per call, only of shards with a leader, config.replicas voters and
// nothing down or pending. kind "balance-replica".
std::vector<Operator> BalanceReplicas(const ClusterView& view);

// Moves leaders from usable nodes with the most leaders to voters on usable nodes with the fewest,
// while the counts differ by more than max(1, balance_tolerance of the mean) (load is the hot
// shard scheduler's). kind "balance-leader".
std::vector<Operator> BalanceLeaders(const ClusterView& view);

// Moves hot leaders off a node whose load (write, then read ops/s of the shards it leads) is above
// hot_node_ratio times the mean, to a voter on a cooler node (replicas are not moved).
// kind "hot-shard".
std::vector<Operator> ScheduleHotShards(const ClusterView& view);

// Evicts leaders and replicas from draining nodes. kind "drain".
std::vector<Operator> DrainNodes(const ClusterView& view);

// Runs every enabled scheduler and keeps what the limits allow: at most one operator per shard,
// max_operators in total (counting view.busy_shards), max_operators_per_kind per kind (counting
// view.kinds_in_flight), and max_snapshots_per_node replicas added per node (counting
// view.snapshots_in_flight). Higher priority first; equal priorities in a fixed order (replica
// checker before drain, split by size before by load, balance replicas before leaders before
// merge), then each scheduler's own order. The target of a merge counts as taken (no other
// operator for it in the same call).
// REQUIRES: view.IsWellFormed().
std::vector<Operator> Schedule(const ClusterView& view);

}  // namespace tessera::pd

// Helpers the schedulers share: where replicas are, which are alive, where a new one should go.
// Pure functions of a ClusterView, like the schedulers themselves (schedulers.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pd/cluster_view.h"
#include "pd/operator.h"

namespace tessera::pd {

template <typename Id>
bool Contains(const std::vector<Id>& v, Id id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}
bool IsVoter(const ShardInfo& shard, NodeId n);
bool IsLearner(const ShardInfo& shard, NodeId n);

// Replicas (voters and learners) per node over view.shards; every node of the view has an entry.
std::map<NodeId, uint32_t> ReplicaCounts(const ClusterView& view);

// A replica is alive when PD knows its node, the node is connected (ClusterView::IsNodeConnected)
// and the shard's leader does not report the replica down.
bool IsReplicaAlive(const ClusterView& view, const ShardInfo& shard, NodeId n);
// A replica is dead, to be replaced, when its node is down past max_node_down_time_ms or is a
// tombstone. A node PD has no record of is neither alive nor dead: PD waits. The leader's
// down_replicas is a short-term signal, not enough to replace a replica.
bool IsReplicaDead(const ClusterView& view, NodeId n);

// True when the shard's alive voters, after removing `removed` (none: remove nothing), are still
// a majority of its voters: Raft can commit, so membership changes can go through.
bool KeepsQuorum(const ClusterView& view, const ShardInfo& shard, NodeId removed = NodeId());

// The node for a new replica of `shard`: usable, holding no replica of the shard; fewest
// replicas in `counts`, then lowest used_bytes, then lowest id. None when no node qualifies.
std::optional<NodeId> PickNewReplicaNode(const ClusterView& view, const ShardInfo& shard,
                                         const std::map<NodeId, uint32_t>& counts);

// The shard is settled enough to be reshaped by balancing: leader known, exactly
// config.replicas voters all alive, no learners, no replica reported down or pending, not busy.
bool IsSettled(const ClusterView& view, const ShardInfo& shard);

Operator MakeOperator(const ShardInfo& shard, std::string kind, int priority,
                      std::vector<Step> steps);

}  // namespace tessera::pd

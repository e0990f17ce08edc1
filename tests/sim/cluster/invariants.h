// The simulator's invariant checks (docs/simulation.md, "Invariants"):
//   - epochs only grow: while a node runs, no shard's descriptor on it goes to an older epoch
//     (sampled during the run; a crash may legitimately revert to the durable descriptor, so
//     each incarnation is tracked on its own);
//   - the newest descriptors of the shards tile the key space, without gap or overlap, and no
//     node holds two overlapping replicas;
//   - every shard is held by exactly its members; no node keeps data outside its replicas;
//     no snapshot directory is left behind;
//   - the replicas of each shard are identical once caught up: same descriptor, same applied
//     index, same data in the shard's range (engines compared key by key);
//   - the history is linearizable per key (check/linearizability.h with SimKvModel), which with
//     the final reads covers "no acknowledged write lost".
// Shards are found in the nodes' own descriptors, so shards created by splits and ranges
// changed by merges are checked like bootstrapped ones. Each check returns its violations as
// readable strings (empty: it holds).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "multiraft/shard.h"
#include "tests/sim/cluster/kv_model.h"
#include "tests/sim/cluster/sim_cluster.h"

namespace tessera::sim {

class EpochTracker {
 public:
  // Records the descriptors `node` holds now (in its incarnation `incarnation`) and reports any
  // whose epoch is older than one the same incarnation held before.
  void Observe(NodeId node, uint64_t incarnation, const std::vector<ShardDescriptor>& shards,
               std::vector<std::string>* violations);
  // Samples every node that is up.
  void ObserveAll(const SimCluster& cluster, std::vector<std::string>* violations);

 private:
  struct Seen {
    uint64_t incarnation = 0;
    multiraft::Epoch epoch;
  };
  std::map<std::pair<NodeId, ShardId>, Seen> seen_;
};

// The ranges of `shards` (one node's) tile the key space.
std::vector<std::string> CheckTiling(NodeId node, std::vector<ShardDescriptor> shards);

// Every replica of every shard (the up nodes that hold it and are members of its newest
// descriptor) has applied the same index. The end-of-run checks wait for this.
bool ReplicasCaughtUp(const SimCluster& cluster);

// Replicas of each shard agree on the descriptor, the applied index and the data.
std::vector<std::string> CheckReplicasIdentical(const SimCluster& cluster);

// The newest descriptor of every shard (by epoch) over the nodes that are up.
std::map<ShardId, ShardDescriptor> NewestDescriptors(const SimCluster& cluster);

// The newest descriptors tile the key space (a node holds only the shards it has replicas of),
// and no node holds two overlapping replicas.
std::vector<std::string> CheckShardLayout(const SimCluster& cluster);

// Every shard is held by exactly the members of its newest descriptor, which has no learners
// left (after settling).
std::vector<std::string> CheckMembership(const SimCluster& cluster);

// No node keeps data that none of its replicas owns (a removed replica's data is gone).
std::vector<std::string> CheckNoStrayData(const SimCluster& cluster);

// Snapshot directories (send and recv) still present on any node.
std::vector<std::string> LeftoverSnapshotDirs(const SimCluster& cluster);

// Per-key linearizability of the history. `unknown` is set when the checker ran out of budget
// (not a violation, but not a pass either: the caller reports it).
std::vector<std::string> CheckLinearizability(const KvHistory& history, bool* unknown);

}  // namespace tessera::sim

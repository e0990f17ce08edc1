// Requests a Multi-Raft node serves, and their answers. Answers arrive through callbacks invoked
// on a worker thread: they must be quick (complete a promise, queue a gRPC reply) and must not
// call back into the node synchronously.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "multiraft/command.h"
#include "multiraft/shard.h"

namespace tessera::multiraft {

// Routing hints that come with NotLeader and EpochNotMatch, so that clients refresh and retry.
struct RouteHint {
  NodeId leader;  // NotLeader: the leader this replica knows, if any
  // EpochNotMatch / KeyNotInShard: this node's current descriptor of the shard first, then those
  // of the shards split off from it (so that a client learns both halves of a split).
  std::vector<ShardDescriptor> current;
};

struct WriteResponse {
  // OK (applied), NotLeader, EpochNotMatch, KeyNotInShard, ShardNotFound, Busy (ServerIsBusy),
  // ProposalDropped (not appended: safe to retry), InvalidArgument, Timeout (outcome unknown).
  Status status;
  RouteHint hint;
  std::vector<OpResult> results;  // one per op when OK
  uint64_t revision = 0;  // when OK: the shard's revision after the command (versioned_value.h)
};
using WriteCallback = std::function<void(WriteResponse)>;

enum class ReadConsistency : uint8_t {
  kStrong,    // leader only: lease, or ReadIndex when the lease does not hold
  kFollower,  // any replica, through ReadIndex from the leader
  kStale,     // any replica, without a round trip (bounded by max_staleness_ms)
};

struct ReadRequest {
  ShardId shard;
  Epoch epoch;
  ReadConsistency consistency = ReadConsistency::kStrong;
  // The keys the read will touch: the point start_key, or [start_key, end_key) where an empty
  // end_key means "to the end of the shard".
  std::string start_key;
  std::string end_key;
  bool point = true;
  uint64_t max_staleness_ms = 0;  // kStale
};

struct ReadResponse {
  // OK: the engine may now be read and the read is linearizable (strong, follower) or at most
  // max_staleness_ms old (stale). Errors as for writes.
  Status status;
  RouteHint hint;
  // OK: the end of the shard's range ("" : unbounded), so that a range read with an open end
  // stops at the shard's end.
  std::string shard_end_key;
  // OK: the shard's revision when the read was granted; the engine read that follows sees at
  // least every write up to it (possibly newer ones).
  uint64_t revision = 0;
};
using ReadCallback = std::function<void(ReadResponse)>;

// Requests a replica accepted (writes: ops and their key + value bytes; reads: read requests).
struct ReplicaCounters {
  uint64_t write_ops = 0;
  uint64_t write_bytes = 0;
  uint64_t read_ops = 0;
};

// One replica's state as its worker sees it (Node::Report): what the node tells PD.
struct ReplicaReport {
  ShardDescriptor desc;
  bool leader = false;
  NodeId leader_id;  // the leader this replica knows; none when unknown
  uint64_t term = 0;
  uint64_t applied_index = 0;
  uint64_t revision = 0;  // the shard's revision (versioned_value.h)
  bool hibernating = false;
  bool merging = false;  // frozen by a prepared merge
  // Leader only: replicas whose node has not been heard from recently (down), and replicas far
  // behind or being sent a snapshot (pending).
  std::vector<NodeId> down_peers;
  std::vector<NodeId> pending_peers;
  ReplicaCounters counters;  // since the replica was loaded on this node
};

}  // namespace tessera::multiraft

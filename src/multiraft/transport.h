// Transport: how a node's Raft messages reach other nodes (shared/style.md, item 7).
//
// The Multi-Raft node never talks gRPC: it hands the transport one RaftBatch per destination node
// per round (the messages of many shards together), and the transport delivers batches from other
// nodes to a RaftBatchHandler. Two implementations: gRPC (src/server/, one long-lived stream per
// pair of nodes) and an in-process simulated network for tests (sim_transport.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "multiraft/shard.h"
#include "raft/types.h"

namespace tessera::multiraft {

// Notices a node sends about its replicas instead of a Raft message.
enum class ShardNotice : uint8_t {
  kNone = 0,
  // The sender's applied membership of the shard (at `descriptor`'s conf version, required then)
  // does not contain msg.to. Sent in answer to a message from a node that is not a member; the
  // receiver destroys its replica if the replica's own conf version is older (it was removed
  // while cut off).
  kNotMember = 1,
  // The sender has no replica of the shard (it was destroyed, or never created): sent in answer
  // to a leader's message without a descriptor. The leader's next heartbeat carries it, so that
  // a member that lost its replica gets a new one.
  kNoReplica = 2,
  // From a shard's leader: it hibernates (stops ticking and heartbeating); its last index and
  // commit are msg.index and msg.commit. A follower that has all of it and applied it hibernates
  // too; one that has not stays awake (and wakes the leader with its messages).
  kHibernate = 3,
  // From a follower that woke up (a request, or a message from another member): the leader
  // wakes and heartbeats again, before the follower's election timer runs out.
  kWake = 4,
  // The sender's node has the shard merged away (docs/protocol.md, "Merge"): `descriptor` is the
  // shard covering its range there (another shard). Sent in answer to a message of the merged
  // shard. A receiver that is not a member of that shard destroys its replica, if the covering
  // shard's version is higher (it came after) and it covers the replica's whole range.
  kMerged = 5,
  // A notice this node does not know (a newer node's): ignored.
  kUnknown = 255,
};

// One Raft message of one shard.
struct ShardMessage {
  ShardId shard;
  raft::Message msg;
  // The sender's descriptor of the shard, when it matters to the receiver: a node that has no
  // replica of the shard yet (a learner being added) creates one from it, and a stale replica
  // learns it was removed. Absent on ordinary traffic, which then costs no descriptor copy.
  std::optional<ShardDescriptor> descriptor;
  // The sender's replica incarnation (ApplyState::joined_at): the conf version at which its node
  // last joined the shard. A receiver drops messages of an incarnation older than the one its
  // applied membership records for the sender (a removed replica, cut off, that outlived the
  // node's re-addition).
  uint64_t incarnation = 0;
  // Set on a notice instead of a Raft message (`msg` then carries only from, to and a term).
  ShardNotice notice = ShardNotice::kNone;
};

// The messages of one round from one node to another.
struct RaftBatch {
  NodeId from;
  NodeId to;
  std::vector<ShardMessage> messages;
};

// Receives batches from other nodes. Called from transport threads: implementations must be
// thread-safe and must not block for long (enqueue and return).
class RaftBatchHandler {
 public:
  virtual ~RaftBatchHandler() = default;
  virtual void HandleRaftBatch(RaftBatch batch) = 0;
  // The transport could not deliver to `to` (connection down): the shards' leaders stop
  // pipelining to it (raft::RawNode::ReportUnreachable).
  virtual void ReportUnreachable(NodeId to, const std::vector<ShardId>& shards) = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Queues `batch` for delivery to batch.to and returns at once; never blocks on the network.
  // Delivery is best effort (Raft tolerates loss); order between two batches to the same node is
  // preserved while the connection holds. Thread-safe.
  virtual void Send(RaftBatch batch) = 0;
};

}  // namespace tessera::multiraft

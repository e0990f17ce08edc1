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

// One Raft message of one shard.
struct ShardMessage {
  ShardId shard;
  raft::Message msg;
  // The sender's descriptor of the shard, when it matters to the receiver: a node that has no
  // replica of the shard yet (a learner being added) creates one from it, and a stale replica
  // learns it was removed. Absent on ordinary traffic, which then costs no descriptor copy.
  std::optional<ShardDescriptor> descriptor;
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

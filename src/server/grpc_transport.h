// GrpcTransport: the multiraft::Transport of a real node, over gRPC (proto/raft_transport.proto).
//
// Sending side. Per destination node one Peer: a bounded queue, one sender thread, and one
// long-lived bidirectional stream (RaftTransport.Stream). Send() only enqueues. The sender thread
// takes everything queued at once and writes it as few stream messages as the size limit allows
// (batches of several rounds to the same node are coalesced; an oversized batch is split). The
// stream is opened on demand (when there is something to send) and reopened after a failure with
// bounded exponential backoff.
//
// Loss. Delivery is best effort, which Raft tolerates: every batch that is dropped (queue
// overflow, peer unreachable, write failure, backoff in progress, a single message above the size
// limit) is counted, and its shards are reported to RaftBatchHandler::ReportUnreachable(to, ...)
// from the sender thread (never from inside Send(), so the caller's locks cannot deadlock), so the
// shards' leaders fall back to probing (raft::RawNode::ReportUnreachable).
//
// Receiving side: RaftTransportService (raft_transport_service.h), registered in the node's
// gRPC server.
//
// Thread safety: Send() and metrics() may be called from any thread concurrently. Stop() may be
// called once or more from one thread that is not a sender thread (the handler must not call it).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "multiraft/transport.h"

namespace tessera::server {

// Where a node's Raft transport (its gRPC server) listens.
// Thread safety: Resolve() is called from sender threads concurrently; implementations must be
// thread-safe.
class AddressResolver {
 public:
  virtual ~AddressResolver() = default;
  // "host:port", or NotFound for an unknown node. Called on every (re)connect, so a node that
  // moved is found at its new address.
  virtual Result<std::string> Resolve(NodeId node) const = 0;
};

// A fixed map, changeable at run time (tests restart a node on a new port). Thread-safe.
class StaticAddressResolver final : public AddressResolver {
 public:
  StaticAddressResolver() = default;
  explicit StaticAddressResolver(std::map<NodeId, std::string> addresses);

  void Set(NodeId node, std::string address);  // adds or replaces
  void Remove(NodeId node);
  Result<std::string> Resolve(NodeId node) const override;

 private:
  mutable std::mutex mu_;
  std::map<NodeId, std::string> addresses_;  // guarded by mu_
};

struct GrpcTransportOptions {
  // This node. Every batch handed to Send() must come from it. Required (non-zero).
  NodeId self;
  // Per destination node: the most batches waiting for the sender thread. When full, the oldest
  // batch is dropped (newer Raft messages supersede older ones). Default: 4096.
  size_t max_queued_batches = 4096;
  // Per destination node: the most estimated bytes waiting (entry payloads and snapshot data plus
  // a per-message overhead). A single batch larger than this is still accepted into an empty
  // queue. Default: 64 MiB.
  uint64_t max_queued_bytes = 64ull << 20;
  // The largest stream message this node writes. Must not exceed the receivers'
  // RaftTransportServiceOptions::max_message_bytes. One Raft message larger than this (after
  // encoding) is dropped and reported. Default: 16 MiB.
  uint64_t max_message_bytes = 16ull << 20;
  // How long one connection attempt may take. Default: 1000 ms.
  uint32_t connect_timeout_ms = 1000;
  // Backoff between failed connection attempts: doubles from initial to max; reset by a
  // successful connection. While it runs, batches to the node are dropped and reported at once.
  // Default: 50 ms and 2000 ms.
  uint32_t initial_backoff_ms = 50;
  uint32_t max_backoff_ms = 2000;
  // HTTP/2 keepalive pings on idle streams, to detect a peer that vanished without closing its
  // connection (power loss, partition). Default: 10000 ms, answered within 5000 ms.
  uint32_t keepalive_time_ms = 10000;
  uint32_t keepalive_timeout_ms = 5000;

  // InvalidArgument naming the first bad field.
  Status Validate() const;
};

// Counters since construction, summed over all destination nodes.
struct GrpcTransportMetrics {
  uint64_t batches_sent = 0;         // RaftBatches handed to Send() and written to a stream
  uint64_t messages_sent = 0;        // shard messages written
  uint64_t bytes_sent = 0;           // encoded bytes written
  uint64_t stream_writes = 0;        // stream messages written (after coalescing and splitting)
  uint64_t batches_dropped = 0;      // batches dropped entirely or in part
  uint64_t messages_dropped = 0;     // shard messages dropped
  uint64_t connects = 0;             // streams opened
  uint64_t reconnects = 0;           // streams opened to a node after an earlier one failed
  uint64_t connect_failures = 0;     // failed connection attempts
  uint64_t unreachable_reports = 0;  // calls of RaftBatchHandler::ReportUnreachable
};

class GrpcTransport final : public multiraft::Transport {
 public:
  // REQUIRES: options.Validate().ok(). `resolver` and `handler` (which receives only
  // ReportUnreachable calls here) must outlive the transport.
  GrpcTransport(GrpcTransportOptions options, const AddressResolver* resolver,
                multiraft::RaftBatchHandler* handler);
  // Stops (see Stop()).
  ~GrpcTransport() override;

  GrpcTransport(const GrpcTransport&) = delete;
  GrpcTransport& operator=(const GrpcTransport&) = delete;

  // Queues the batch for batch.to and returns at once. An empty batch is ignored; after Stop()
  // batches are dropped (counted, not reported).
  // REQUIRES: batch.from == options.self, batch.to != options.self, batch.to non-zero, and every
  // message is a network message (raft::IsLocalMessage is false).
  void Send(multiraft::RaftBatch batch) override;

  // Failpoint for fault-injection tests (and, later, the nemesis's admin RPC): batches to the
  // nodes in `peers` are dropped as if the network lost them (counted as dropped, not reported
  // unreachable: the connection stays up). Blocking on both sides partitions two nodes;
  // blocking one side is one-way loss. An empty set heals. Thread-safe.
  void SetBlockedPeers(std::set<NodeId> peers);

  // Cancels the streams, drops what is still queued (without reporting it), and joins every
  // sender thread. Idempotent. Afterwards no handler call is made.
  void Stop();

  GrpcTransportMetrics metrics() const;

 private:
  class Peer;
  friend class Peer;

  struct Counters {
    std::atomic<uint64_t> batches_sent{0};
    std::atomic<uint64_t> messages_sent{0};
    std::atomic<uint64_t> bytes_sent{0};
    std::atomic<uint64_t> stream_writes{0};
    std::atomic<uint64_t> batches_dropped{0};
    std::atomic<uint64_t> messages_dropped{0};
    std::atomic<uint64_t> connects{0};
    std::atomic<uint64_t> reconnects{0};
    std::atomic<uint64_t> connect_failures{0};
    std::atomic<uint64_t> unreachable_reports{0};
  };

  // Reports the (deduplicated) shards of dropped messages to the handler. Sender threads only.
  void ReportUnreachable(NodeId to, std::vector<ShardId> shards);

  const GrpcTransportOptions options_;
  const AddressResolver* const resolver_;
  multiraft::RaftBatchHandler* const handler_;
  Counters counters_;

  std::mutex mu_;
  bool stopped_ = false;                           // guarded by mu_
  std::set<NodeId> blocked_;                       // guarded by mu_
  std::map<NodeId, std::unique_ptr<Peer>> peers_;  // guarded by mu_; created on first Send
};

}  // namespace tessera::server

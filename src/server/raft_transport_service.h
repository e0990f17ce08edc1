// RaftTransportService: the receiving side of the Raft transport (proto/raft_transport.proto).
//
// Each incoming RaftTransport.Stream is served by a callback-API reactor: it reads one
// RaftBatchMsg at a time, decodes and validates it (raft_codec.h) and hands the batch to
// RaftBatchHandler::HandleRaftBatch on a gRPC callback thread. Why the callback API rather than
// the synchronous one: a sync server pins one thread per open stream for the stream's whole life
// (streams here live as long as the nodes do), and its thread pool is shared with the client API;
// reactors cost no thread while idle, and the handler contract (enqueue and return) already fits
// running on gRPC's threads.
//
// A stream is closed by the receiver with INVALID_ARGUMENT when a batch does not decode, and
// with FAILED_PRECONDITION when a batch is addressed to another node (a stale address); the
// sender logs the status, reports the shards unreachable and reconnects with backoff. Reads
// are one at a time per stream, so a slow handler pushes back on the sender through HTTP/2 flow
// control.
//
// Lifetime: register with ConfigureBuilder() before BuildAndStart(). Shut the server down with a
// deadline (grpc::Server::Shutdown(deadline)): streams are long-lived and only end when cancelled.
// The service and the handler must outlive the server's shutdown.
// Thread safety: all methods may be called concurrently.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>

#include "common/ids.h"
#include "multiraft/transport.h"
#include "proto/raft_transport.grpc.pb.h"

namespace tessera::server {

struct RaftTransportServiceOptions {
  // This node; batches naming another destination are refused. Required (non-zero).
  NodeId self;
  // The largest stream message accepted. At least the senders' max_message_bytes plus a little
  // framing. Default: 16 MiB + 64 KiB.
  uint64_t max_message_bytes = (16ull << 20) + (64 << 10);
};

struct RaftTransportServiceMetrics {
  uint64_t streams_opened = 0;
  uint64_t streams_active = 0;
  uint64_t batches_received = 0;   // stream messages decoded and handed to the handler
  uint64_t messages_received = 0;  // shard messages in them
  uint64_t bytes_received = 0;     // encoded bytes
  uint64_t decode_errors = 0;      // batches refused as malformed or misaddressed
};

class RaftTransportService final : public v1::RaftTransport::CallbackService {
 public:
  // REQUIRES: options.self non-zero; `handler` outlives the server this service is registered in.
  RaftTransportService(RaftTransportServiceOptions options, multiraft::RaftBatchHandler* handler);

  // Registers the service and sets the server's receive size limit and keepalive policy (it
  // accepts the senders' keepalive pings on idle streams).
  void ConfigureBuilder(grpc::ServerBuilder* builder);

  RaftTransportServiceMetrics metrics() const;

  grpc::ServerBidiReactor<v1::RaftBatchMsg, v1::RaftStreamAck>* Stream(
      grpc::CallbackServerContext* context) override;

 private:
  class Reactor;

  struct Counters {
    std::atomic<uint64_t> streams_opened{0};
    std::atomic<uint64_t> streams_active{0};
    std::atomic<uint64_t> batches_received{0};
    std::atomic<uint64_t> messages_received{0};
    std::atomic<uint64_t> bytes_received{0};
    std::atomic<uint64_t> decode_errors{0};
  };

  const RaftTransportServiceOptions options_;
  multiraft::RaftBatchHandler* const handler_;
  Counters counters_;
};

}  // namespace tessera::server

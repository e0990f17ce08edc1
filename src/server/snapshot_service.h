// SnapshotService: the receiving side of the snapshot stream (proto/snapshot.proto), registered
// in the node's gRPC server next to RaftTransportService.
//
// One call carries one snapshot. The first message (header) is decoded and checked (the Raft
// kSnap message with raft_codec, the manifest with DecodeSnapshotManifest, the two against each
// other with CheckSnapshotMessage); then a receive slot is taken (none free: RESOURCE_EXHAUSTED,
// which the sender reports as Busy) and a fresh directory is created under the node's
// SnapshotDirs recv root. File pieces are written in order, each file's size and XXH3-64
// checksum checked as it completes and the file fsynced; once the client half-closes and every
// file is complete, MANIFEST is written and the directory fsynced, and only then is the message
// with the directory handed to SnapshotReceiver::HandleSnapshot. On any error, and when the
// client cancels or the server shuts down mid-stream, the partial directory is removed and the
// receiver is not called.
//
// Why the synchronous API here, while the Raft transport uses reactors: a receive writes and
// fsyncs files, which must not run on gRPC's callback threads, and receives are few and bounded
// (SnapshotLimits::max_concurrent_receives; a refused one costs its thread only for reading the
// header).
//
// Lifetime: register with ConfigureBuilder() before BuildAndStart(); `dirs` and `receiver` must
// outlive the server's shutdown. Shut the server down with a deadline: a stream in progress
// ends (and cleans up) when cancelled.
// Thread safety: all methods may be called concurrently.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>

#include "common/ids.h"
#include "multiraft/snapshot_dirs.h"
#include "multiraft/snapshot_transport.h"
#include "proto/snapshot.grpc.pb.h"

namespace tessera::server {

struct SnapshotServiceOptions {
  // This node; streams naming another destination are refused. Required (non-zero).
  NodeId self;
  // max_concurrent_receives and chunk_bytes (the largest piece accepted) are used.
  // REQUIRES: limits.Validate().ok().
  multiraft::SnapshotLimits limits;
};

struct SnapshotServiceMetrics {
  uint64_t receives_active = 0;  // streams holding a receive slot now
  uint64_t received = 0;         // snapshots handed to the receiver
  uint64_t bytes_received = 0;   // file bytes written, of all streams
  uint64_t refused_busy = 0;     // streams refused at the receive limit
  uint64_t failed = 0;           // streams ended with an error or cancelled (after the header)
};

class SnapshotService final : public v1::SnapshotTransport::Service {
 public:
  SnapshotService(SnapshotServiceOptions options, multiraft::SnapshotDirs* dirs,
                  multiraft::SnapshotReceiver* receiver);

  // Registers the service. The server's receive size limit must exceed limits.chunk_bytes plus
  // 64 KiB, and the header (the manifest) must fit under it too; gRPC's default of 4 MiB and
  // RaftTransportService's 16 MiB both do for the default chunk size.
  void ConfigureBuilder(grpc::ServerBuilder* builder);

  SnapshotServiceMetrics metrics() const;

  grpc::Status Send(grpc::ServerContext* context, grpc::ServerReader<v1::SnapshotChunk>* reader,
                    v1::SnapshotResponse* response) override;

 private:
  class Receive;

  const SnapshotServiceOptions options_;
  multiraft::SnapshotDirs* const dirs_;
  multiraft::SnapshotReceiver* const receiver_;
  multiraft::ReceiveSlots slots_;
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> bytes_received_{0};
  std::atomic<uint64_t> refused_busy_{0};
  std::atomic<uint64_t> failed_{0};
};

}  // namespace tessera::server

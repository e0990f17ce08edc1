// Snapshot transport: how a shard snapshot directory (snapshot.h) travels from the node of a
// leader to the node of a follower that is too far behind for the log (Raft thesis, section
// 5.3). Raft messages travel on the Transport (transport.h); a snapshot's data is too large for
// one of those messages and goes on its own chunked stream, with its own limits.
//
// The sender's worker cuts the snapshot into a directory, then calls SendSnapshot with the Raft
// kSnap message (whose metadata equals the manifest's index, term and conf state). The transport
// streams the manifest and the files; the receiving node writes them into a fresh directory
// under its SnapshotDirs recv root, verifies every checksum, and only then hands the message and
// the directory to its SnapshotReceiver. On any failure the partial directory is removed and the
// receiver is not called. `done` tells the sender the outcome, for RawNode::ReportSnapshot.
//
// Two implementations: gRPC (src/server/snapshot_service.h, snapshot_sender.h) and an
// in-process one for tests and the simulator (sim_snapshot_transport.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "common/ids.h"
#include "common/status.h"
#include "multiraft/snapshot_manifest.h"
#include "multiraft/transport.h"

namespace tessera::multiraft {

// Limits of one node's snapshot traffic. Validated once (Validate) by the transports.
struct SnapshotLimits {
  // Snapshots this node sends at once; more wait in a queue. Default: 2.
  uint32_t max_concurrent_sends = 2;
  // Sends waiting for a free sending slot; beyond it SendSnapshot fails at once with Busy.
  // Default: 64.
  uint32_t max_queued_sends = 64;
  // Snapshots this node receives at once; one more is refused with Busy (the sender's `done`
  // gets Busy, and Raft retries the follower later). Default: 2.
  uint32_t max_concurrent_receives = 2;
  // Bytes of snapshot files per second this node sends, over all its sends together (a token
  // bucket holding one chunk). Default: 64 MiB/s.
  uint64_t send_bytes_per_sec = uint64_t{64} << 20;
  // Bytes of file data per stream message. Must stay below the receiving server's message size
  // limit (gRPC's default is 4 MiB). Range [1 KiB, 3 MiB]. Default: 1 MiB.
  uint64_t chunk_bytes = uint64_t{1} << 20;

  // InvalidArgument naming the first bad field.
  Status Validate() const;
};

// Receives whole, verified snapshots. Called from transport threads (the simulated transport:
// the sending thread): implementations must be thread-safe, must not block for long (enqueue
// and return) and must not call back into the transport.
class SnapshotReceiver {
 public:
  virtual ~SnapshotReceiver() = default;
  // `msg` is the Raft kSnap message (with the sender's descriptor when it sent one);
  // `received_dir` holds MANIFEST and every file, verified, durably written. The receiver owns
  // the directory from now on: it steps the message into Raft, ingests from the directory
  // (snapshot.h, the crash protocol), then removes it.
  virtual void HandleSnapshot(NodeId from, ShardMessage msg, std::string received_dir) = 0;
};

class SnapshotSender {
 public:
  virtual ~SnapshotSender() = default;
  // Streams the snapshot in `dir` (MANIFEST and files, as written by CutSnapshot) to node `to`
  // and calls `done` exactly once with the outcome: OK when the receiver accepted it whole;
  // Busy when the receiver or this node's send queue is full; another error otherwise. Returns
  // at once (the gRPC sender never blocks the caller); `done` may run on the calling thread
  // before SendSnapshot returns (the simulated transport) or on a transport thread, so it must
  // only enqueue and must not take locks the caller holds. `dir` is only read; the caller
  // removes it once `done` ran.
  // REQUIRES: msg.msg is a kSnap message from this node to `to` whose snapshot metadata equals
  // the manifest's (CheckSnapshotMessage).
  virtual void SendSnapshot(NodeId to, ShardMessage msg, std::string dir,
                            std::function<void(Status)> done) = 0;
};

// InvalidArgument unless `msg` is a kSnap message of shard m.desc.id from `from` to `to`, with
// the snapshot metadata of `m` (and, when present, a descriptor of the same shard). Senders
// check what they are given, receivers what arrives.
Status CheckSnapshotMessage(NodeId from, NodeId to, const ShardMessage& msg,
                            const SnapshotManifest& m);

// Counts the receives in progress against SnapshotLimits::max_concurrent_receives.
// Thread-safe.
class ReceiveSlots {
 public:
  explicit ReceiveSlots(uint32_t max) : max_(max) {}
  // Takes a slot; false when all are taken.
  bool TryAcquire();
  // REQUIRES: a slot was taken.
  void Release();
  uint32_t active() const { return active_.load(std::memory_order_acquire); }

 private:
  const uint32_t max_;
  std::atomic<uint32_t> active_{0};
};

}  // namespace tessera::multiraft

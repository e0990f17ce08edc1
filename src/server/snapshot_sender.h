// GrpcSnapshotSender: the multiraft::SnapshotSender of a real node, over gRPC
// (proto/snapshot.proto; the receiving side is SnapshotService).
//
// SendSnapshot only enqueues. SnapshotLimits::max_concurrent_sends threads, started with the
// sender, take sends in order; each resolves the destination (AddressResolver, shared with the
// Raft transport), opens one SnapshotTransport.Send call, writes the header (the Raft kSnap
// message and the manifest read from the directory), then every file in chunks of
// limits.chunk_bytes, each chunk paced by a RateLimiter shared by all threads
// (limits.send_bytes_per_sec, burst one chunk), then half-closes and waits for the receiver's
// answer. `done` runs on the sending thread with the outcome: OK; Busy when the receiver is at
// its receive limit or the queue here is full; Unavailable when the node is unknown or
// unreachable or the call failed or timed out; Corruption when the receiver found a file that
// does not match the manifest (or the local directory is damaged); InvalidArgument when the
// receiver refused the header; Aborted when the sender stopped first.
//
// Thread safety: SendSnapshot and metrics may be called from any thread concurrently. Stop may
// be called from any thread that is not a sending thread (a `done` callback must not call it).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/rate_limiter.h"
#include "multiraft/snapshot_transport.h"
#include "server/grpc_transport.h"

namespace grpc {
class ClientContext;
}  // namespace grpc

namespace tessera::server {

struct GrpcSnapshotSenderOptions {
  // This node. Required (non-zero).
  NodeId self;
  // Concurrency, queue, rate and chunk size. REQUIRES: limits.Validate().ok().
  multiraft::SnapshotLimits limits;
  // The clock of the rate limiter. Default: the system clock.
  const Clock* clock = SystemClock::Default();
  // How a sending thread waits `nanos` before a chunk the rate limiter held back. Returns false
  // to abandon the send. Default (unset): waits on a condition variable that Stop() interrupts.
  // Tests install a function that advances a SimClock, so that pacing is checked without
  // sleeping.
  std::function<bool(int64_t nanos)> wait_for_rate;
  // One call's deadline: this, plus twice the time the rate limit alone needs for the files.
  // Default: 60000 ms.
  uint32_t base_deadline_ms = 60000;

  // InvalidArgument naming the first bad field.
  Status Validate() const;
};

struct GrpcSnapshotSenderMetrics {
  uint64_t sent = 0;        // snapshots the receiver accepted
  uint64_t failed = 0;      // sends that ended with any other outcome
  uint64_t bytes_sent = 0;  // file bytes written to streams
  uint64_t rate_waits = 0;  // chunks held back by the rate limiter
  uint64_t rate_wait_nanos = 0;
};

class GrpcSnapshotSender final : public multiraft::SnapshotSender {
 public:
  // REQUIRES: options.Validate().ok(); `resolver` outlives the sender.
  GrpcSnapshotSender(GrpcSnapshotSenderOptions options, const AddressResolver* resolver);
  // Stops (see Stop()).
  ~GrpcSnapshotSender() override;

  GrpcSnapshotSender(const GrpcSnapshotSender&) = delete;
  GrpcSnapshotSender& operator=(const GrpcSnapshotSender&) = delete;

  // See multiraft::SnapshotSender. After Stop(), `done` gets Aborted at once.
  void SendSnapshot(NodeId to, multiraft::ShardMessage msg, std::string dir,
                    std::function<void(Status)> done) override;

  // Cancels the calls in progress, fails the queued sends with Aborted, and joins the sending
  // threads. Idempotent.
  void Stop();

  GrpcSnapshotSenderMetrics metrics() const;

 private:
  struct Job {
    NodeId to;
    multiraft::ShardMessage msg;
    std::string dir;
    std::function<void(Status)> done;
  };
  class Call;

  void Loop();
  Status Run(Job* job);
  // Waits for the rate limiter before `bytes` go out; false when the send must stop.
  bool Pace(uint64_t bytes);

  const GrpcSnapshotSenderOptions options_;
  const AddressResolver* const resolver_;
  RateLimiter limiter_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;                      // guarded by mu_
  std::deque<Job> queue_;                     // guarded by mu_
  std::set<grpc::ClientContext*> in_flight_;  // guarded by mu_; cancelled by Stop()
  std::vector<std::thread> threads_;

  std::atomic<uint64_t> sent_{0}, failed_{0}, bytes_sent_{0}, rate_waits_{0}, rate_wait_nanos_{0};
};

}  // namespace tessera::server

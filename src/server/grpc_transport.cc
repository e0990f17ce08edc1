#include "server/grpc_transport.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <set>
#include <thread>
#include <utility>

#include "common/assert.h"
#include "common/logging.h"
#include "common/thread_name.h"
#include "proto/raft_transport.grpc.pb.h"
#include "server/raft_codec.h"

namespace tessera::server {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Queue accounting: payload bytes plus a fixed allowance for ids, terms and the descriptor.
constexpr uint64_t kPerMessageOverheadBytes = 96;
// Framing of one ShardMessage inside RaftBatchMsg (tag and length varint), and of the batch
// header (from, to).
constexpr uint64_t kRepeatedFieldOverheadBytes = 6;
constexpr uint64_t kBatchHeaderBytes = 24;
// Stop() must not wait for a whole connect timeout: connection attempts wait in slices.
constexpr milliseconds kConnectSlice{50};

uint64_t EstimateBytes(const multiraft::RaftBatch& b) {
  uint64_t n = 0;
  for (const auto& m : b.messages) {
    n += kPerMessageOverheadBytes + m.msg.context.size();
    for (const auto& e : m.msg.entries) n += raft::EntryBytes(e);
    if (m.msg.snapshot) n += m.msg.snapshot->data.size();
  }
  return n;
}

void AppendShards(const multiraft::RaftBatch& b, std::vector<ShardId>* out) {
  for (const auto& m : b.messages) out->push_back(m.shard);
}

}  // namespace

// ---- StaticAddressResolver ----------------------------------------------------------------------

StaticAddressResolver::StaticAddressResolver(std::map<NodeId, std::string> addresses)
    : addresses_(std::move(addresses)) {}

void StaticAddressResolver::Set(NodeId node, std::string address) {
  std::lock_guard lock(mu_);
  addresses_[node] = std::move(address);
}

void StaticAddressResolver::Remove(NodeId node) {
  std::lock_guard lock(mu_);
  addresses_.erase(node);
}

Result<std::string> StaticAddressResolver::Resolve(NodeId node) const {
  std::lock_guard lock(mu_);
  auto it = addresses_.find(node);
  if (it == addresses_.end()) {
    return Status::NotFound("no address for node " + std::to_string(node.value()));
  }
  return it->second;
}

// ---- Options ------------------------------------------------------------------------------------

Status GrpcTransportOptions::Validate() const {
  if (!self) return Status::InvalidArgument("self: must be a non-zero node id");
  if (max_queued_batches == 0) return Status::InvalidArgument("max_queued_batches: must be > 0");
  if (max_queued_bytes == 0) return Status::InvalidArgument("max_queued_bytes: must be > 0");
  if (max_message_bytes < 4096 || max_message_bytes > (1ull << 30)) {
    return Status::InvalidArgument("max_message_bytes: must be in [4 KiB, 1 GiB]");
  }
  if (connect_timeout_ms == 0) return Status::InvalidArgument("connect_timeout_ms: must be > 0");
  if (initial_backoff_ms == 0 || max_backoff_ms < initial_backoff_ms) {
    return Status::InvalidArgument("backoff: need 0 < initial_backoff_ms <= max_backoff_ms");
  }
  if (keepalive_time_ms == 0 || keepalive_timeout_ms == 0) {
    return Status::InvalidArgument("keepalive: times must be > 0");
  }
  return Status::OK();
}

// ---- Peer: the connection to one destination node -----------------------------------------------

// Owns the queue, the sender thread and the stream to one node. The queue and `stopping_` are
// shared with Send()/Stop() under mu_; the channel and stream belong to the sender thread alone.
class GrpcTransport::Peer {
 public:
  Peer(GrpcTransport* transport, NodeId node)
      : t_(transport), node_(node), backoff_(transport->options_.initial_backoff_ms) {
    thread_ = std::thread([this] {
      SetThreadName("raft-to-" + std::to_string(node_.value()));
      Run();
    });
  }

  ~Peer() { Stop(); }

  void Enqueue(multiraft::RaftBatch batch) {
    const uint64_t bytes = EstimateBytes(batch);
    {
      std::lock_guard lock(mu_);
      if (stopping_) {
        CountDropped(batch);
        return;
      }
      // Bounded queue: drop the oldest until the new batch fits (an empty queue takes anything).
      while (!queue_.empty() && (queue_.size() >= t_->options_.max_queued_batches ||
                                 queued_bytes_ + bytes > t_->options_.max_queued_bytes)) {
        DropFrontLocked();
      }
      queue_.push_back(Queued{std::move(batch), bytes});
      queued_bytes_ += bytes;
    }
    cv_.notify_one();
  }

  // Cancels the stream, drops the queue unreported and joins the thread. Idempotent.
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      if (active_ctx_ != nullptr) active_ctx_->TryCancel();
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mu_);
    for (const Queued& q : queue_) CountDropped(q.batch);
    queue_.clear();
    queued_bytes_ = 0;
  }

 private:
  struct Queued {
    multiraft::RaftBatch batch;
    uint64_t bytes;
  };

  void CountDropped(const multiraft::RaftBatch& b) {
    t_->counters_.batches_dropped.fetch_add(1, std::memory_order_relaxed);
    t_->counters_.messages_dropped.fetch_add(b.messages.size(), std::memory_order_relaxed);
  }

  void DropFrontLocked() {
    Queued& q = queue_.front();
    CountDropped(q.batch);
    for (const auto& m : q.batch.messages) dropped_shards_.insert(m.shard);
    queued_bytes_ -= q.bytes;
    queue_.pop_front();
  }

  void DropAll(std::deque<Queued>* work, std::vector<ShardId>* shards) {
    for (const Queued& q : *work) {
      CountDropped(q.batch);
      AppendShards(q.batch, shards);
    }
    work->clear();
  }

  // The sender thread.
  void Run() {
    while (true) {
      std::deque<Queued> work;
      std::vector<ShardId> dropped;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || !dropped_shards_.empty(); });
        if (stopping_) break;
        work.swap(queue_);
        queued_bytes_ = 0;
        dropped.assign(dropped_shards_.begin(), dropped_shards_.end());
        dropped_shards_.clear();
      }
      if (!work.empty()) Deliver(&work, &dropped);
      if (!dropped.empty()) t_->ReportUnreachable(node_, std::move(dropped));
    }
    CloseStream(/*cancel=*/true);
  }

  // Writes `work`, connecting first if needed; whatever cannot be written goes to *dropped.
  void Deliver(std::deque<Queued>* work, std::vector<ShardId>* dropped) {
    if (!stream_) {
      if (Clock::now() < next_attempt_ || !Connect()) {
        DropAll(work, dropped);
        return;
      }
    }
    if (!WriteAll(*work, dropped)) {
      DropAll(work, dropped);
      CloseStream(/*cancel=*/false);
      ScheduleRetry();
      return;
    }
    t_->counters_.batches_sent.fetch_add(work->size(), std::memory_order_relaxed);
  }

  void ScheduleRetry() {
    next_attempt_ = Clock::now() + milliseconds(backoff_);
    backoff_ = std::min<uint64_t>(backoff_ * 2, t_->options_.max_backoff_ms);
  }

  std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) const {
    const GrpcTransportOptions& o = t_->options_;
    grpc::ChannelArguments args;
    // A channel of its own (not shared with other channels to the same address), so that its
    // reconnect backoff is ours alone.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxSendMessageSize(static_cast<int>(o.max_message_bytes + kBatchHeaderBytes));
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, static_cast<int>(o.initial_backoff_ms));
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, static_cast<int>(o.initial_backoff_ms));
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(o.max_backoff_ms));
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(o.keepalive_time_ms));
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(o.keepalive_timeout_ms));
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }

  // Opens the stream. On failure counts it, schedules the next attempt and returns false.
  bool Connect() {
    Status st = Status::OK();
    auto address = t_->resolver_->Resolve(node_);
    if (address.ok()) {
      auto channel = MakeChannel(*address);
      st = WaitConnected(channel.get());
      if (st.ok() && OpenStream(channel)) {
        t_->counters_.connects.fetch_add(1, std::memory_order_relaxed);
        if (ever_connected_) t_->counters_.reconnects.fetch_add(1, std::memory_order_relaxed);
        ever_connected_ = true;
        consecutive_failures_ = 0;
        backoff_ = t_->options_.initial_backoff_ms;
        Log().info("raft transport: node {} connected to node {} at {}", t_->options_.self.value(),
                   node_.value(), *address);
        return true;
      }
      if (st.ok()) st = Status::Aborted("stopping");
    } else {
      st = address.status();
    }
    t_->counters_.connect_failures.fetch_add(1, std::memory_order_relaxed);
    // The first failure of a series is worth a warning; the retries that follow are not.
    Log().log(consecutive_failures_++ == 0 ? spdlog::level::warn : spdlog::level::debug,
              "raft transport: node {} cannot reach node {}: {}", t_->options_.self.value(),
              node_.value(), st.ToString());
    ScheduleRetry();
    return false;
  }

  // Waits for the channel to connect. Fails as soon as an attempt fails (connection refused: the
  // node is down) rather than letting gRPC retry until the timeout; waits in slices so that
  // Stop() is not delayed.
  Status WaitConnected(grpc::Channel* channel) {
    const auto start = Clock::now();
    const auto deadline = start + milliseconds(t_->options_.connect_timeout_ms);
    grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
    while (state != GRPC_CHANNEL_READY) {
      const auto now = Clock::now();
      const auto elapsed_ms = std::chrono::duration_cast<milliseconds>(now - start).count();
      if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
        return Status::Unavailable("connection failed after " + std::to_string(elapsed_ms) +
                                   " ms (state " + std::to_string(state) + ")");
      }
      if (now >= deadline) {
        return Status::Unavailable("connection timed out after " + std::to_string(elapsed_ms) +
                                   " ms (state " + std::to_string(state) + ")");
      }
      const auto slice = std::min<Clock::duration>(deadline - now, kConnectSlice);
      channel->WaitForStateChange(state, std::chrono::system_clock::now() + slice);
      {
        std::lock_guard lock(mu_);
        if (stopping_) return Status::Aborted("stopping");
      }
      state = channel->GetState(/*try_to_connect=*/true);
    }
    return Status::OK();
  }

  bool OpenStream(std::shared_ptr<grpc::Channel> channel) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_wait_for_ready(false);  // fail fast when the connection breaks
    {
      std::lock_guard lock(mu_);
      if (stopping_) return false;
      active_ctx_ = ctx.get();
    }
    stub_ = v1::RaftTransport::NewStub(channel);
    ctx_ = std::move(ctx);
    stream_ = stub_->Stream(ctx_.get());
    channel_ = std::move(channel);
    return true;
  }

  // Ends the stream. cancel: do not wait for the receiver (shutdown); otherwise the stream has
  // already failed and Finish() returns at once with the reason.
  void CloseStream(bool cancel) {
    if (!stream_) return;
    if (cancel) ctx_->TryCancel();
    grpc::Status st = stream_->Finish();
    bool stopping = false;
    {
      std::lock_guard lock(mu_);
      stopping = stopping_;
      active_ctx_ = nullptr;
    }
    if (!cancel && !stopping) {
      Log().warn("raft transport: stream from node {} to node {} closed: {} {}",
                 t_->options_.self.value(), node_.value(), static_cast<int>(st.error_code()),
                 st.error_message());
    }
    stream_.reset();
    ctx_.reset();
    stub_.reset();
    channel_.reset();
  }

  // Encodes and writes every queued batch, coalesced into as few stream messages as
  // max_message_bytes allows. A single message over the limit is dropped into *dropped.
  // Returns false when a write fails (the stream is broken).
  bool WriteAll(const std::deque<Queued>& work, std::vector<ShardId>* dropped) {
    const uint64_t limit = t_->options_.max_message_bytes;
    v1::RaftBatchMsg msg;
    uint64_t msg_bytes = kBatchHeaderBytes;
    bool wrote = false;
    for (const Queued& q : work) {
      for (const multiraft::ShardMessage& m : q.batch.messages) {
        v1::ShardMessage pm;
        EncodeShardMessage(m, &pm);
        const uint64_t bytes = pm.ByteSizeLong() + kRepeatedFieldOverheadBytes;
        if (kBatchHeaderBytes + bytes > limit) {
          Log().warn("raft transport: dropping a {}-byte message of shard {} to node {}", bytes,
                     m.shard.value(), node_.value());
          t_->counters_.messages_dropped.fetch_add(1, std::memory_order_relaxed);
          t_->counters_.batches_dropped.fetch_add(1, std::memory_order_relaxed);
          dropped->push_back(m.shard);
          continue;
        }
        if (msg_bytes + bytes > limit) {
          if (!WriteOne(&msg, msg_bytes)) return false;
          wrote = true;
          msg_bytes = kBatchHeaderBytes;
        }
        *msg.add_messages() = std::move(pm);
        msg_bytes += bytes;
      }
    }
    // Work with no message at all is a node-level heartbeat: it goes as an empty batch.
    return (msg.messages_size() == 0 && wrote) || WriteOne(&msg, msg_bytes);
  }

  bool WriteOne(v1::RaftBatchMsg* msg, uint64_t bytes) {
    msg->set_from(t_->options_.self.value());
    msg->set_to(node_.value());
    if (!stream_->Write(*msg)) return false;
    t_->counters_.stream_writes.fetch_add(1, std::memory_order_relaxed);
    t_->counters_.messages_sent.fetch_add(msg->messages_size(), std::memory_order_relaxed);
    t_->counters_.bytes_sent.fetch_add(bytes, std::memory_order_relaxed);
    msg->Clear();
    return true;
  }

  GrpcTransport* const t_;
  const NodeId node_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;      // guarded by mu_
  std::deque<Queued> queue_;   // guarded by mu_
  uint64_t queued_bytes_ = 0;  // guarded by mu_
  // Guarded by mu_: shards of batches dropped at enqueue, to report (bounded by the shard count).
  std::set<ShardId> dropped_shards_;
  grpc::ClientContext* active_ctx_ = nullptr;  // guarded by mu_; ctx_ while a stream is open

  // Sender thread only.
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RaftTransport::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::RaftBatchMsg, v1::RaftStreamAck>> stream_;
  bool ever_connected_ = false;
  uint64_t consecutive_failures_ = 0;
  uint64_t backoff_;  // ms
  Clock::time_point next_attempt_{};

  std::thread thread_;  // last: started after every other member is initialized
};

// ---- GrpcTransport ------------------------------------------------------------------------------

GrpcTransport::GrpcTransport(GrpcTransportOptions options, const AddressResolver* resolver,
                             multiraft::RaftBatchHandler* handler)
    : options_(std::move(options)), resolver_(resolver), handler_(handler) {
  TESSERA_ASSERT(options_.Validate().ok(), "invalid GrpcTransportOptions");
  TESSERA_ASSERT(resolver_ != nullptr && handler_ != nullptr, "resolver and handler required");
}

GrpcTransport::~GrpcTransport() { Stop(); }

void GrpcTransport::Send(multiraft::RaftBatch batch) {
  TESSERA_ASSERT(batch.from == options_.self, "sending a batch from another node");
  TESSERA_ASSERT(batch.to && batch.to != options_.self, "bad destination node");
  // An empty batch is a node-level heartbeat (node_liveness.h): it is sent like any other.
  Peer* peer = nullptr;
  {
    std::lock_guard lock(mu_);
    if (stopped_ || blocked_.count(batch.to) > 0) {
      counters_.batches_dropped.fetch_add(1, std::memory_order_relaxed);
      counters_.messages_dropped.fetch_add(batch.messages.size(), std::memory_order_relaxed);
      return;
    }
    auto& slot = peers_[batch.to];
    if (!slot) slot = std::make_unique<Peer>(this, batch.to);
    peer = slot.get();
  }
  // Peers live until Stop(), which first takes them out of peers_ under mu_; a Send racing with
  // Stop() may still enqueue into a stopping peer, which drops the batch.
  peer->Enqueue(std::move(batch));
}

void GrpcTransport::SetBlockedPeers(std::set<NodeId> peers) {
  std::lock_guard lock(mu_);
  blocked_ = std::move(peers);
}

void GrpcTransport::Stop() {
  std::map<NodeId, std::unique_ptr<Peer>> peers;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    peers.swap(peers_);
  }
  for (auto& [node, peer] : peers) peer->Stop();
}

void GrpcTransport::ReportUnreachable(NodeId to, std::vector<ShardId> shards) {
  std::sort(shards.begin(), shards.end());
  shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
  counters_.unreachable_reports.fetch_add(1, std::memory_order_relaxed);
  handler_->ReportUnreachable(to, shards);
}

GrpcTransportMetrics GrpcTransport::metrics() const {
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return GrpcTransportMetrics{
      .batches_sent = get(counters_.batches_sent),
      .messages_sent = get(counters_.messages_sent),
      .bytes_sent = get(counters_.bytes_sent),
      .stream_writes = get(counters_.stream_writes),
      .batches_dropped = get(counters_.batches_dropped),
      .messages_dropped = get(counters_.messages_dropped),
      .connects = get(counters_.connects),
      .reconnects = get(counters_.reconnects),
      .connect_failures = get(counters_.connect_failures),
      .unreachable_reports = get(counters_.unreachable_reports),
  };
}

}  // namespace tessera::server

// GrpcTransport and RaftTransportService over real gRPC on 127.0.0.1 (OS-assigned ports):
// batches of many shards between three nodes, coalescing, large batches split over several
// stream messages, an unreachable peer reported to Raft, a restarted peer reconnected, a
// misaddressed stream refused, and clean shutdown. Every wait is on a condition with a deadline.
#include "server/grpc_transport.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "server/raft_transport_service.h"

namespace tessera::server {
namespace {

using namespace std::chrono_literals;
using multiraft::RaftBatch;
using multiraft::ShardMessage;

constexpr auto kDeadline = 20s;

// Records what the transport and the service hand to the node.
class RecordingHandler final : public multiraft::RaftBatchHandler {
 public:
  void HandleRaftBatch(RaftBatch batch) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !blocked_; });  // stalls the stream while blocked
    for (auto& m : batch.messages) received_[batch.from].push_back(std::move(m));
    ++batches_;
    cv_.notify_all();
  }
  void ReportUnreachable(NodeId to, const std::vector<ShardId>& shards) override {
    std::lock_guard lock(mu_);
    EXPECT_TRUE(std::is_sorted(shards.begin(), shards.end()));
    unreachable_[to].insert(shards.begin(), shards.end());
    cv_.notify_all();
  }

  // While blocked, incoming batches wait (a stalled receiver).
  void SetBlocked(bool blocked) {
    std::lock_guard lock(mu_);
    blocked_ = blocked;
    cv_.notify_all();
  }

  // Waits until pred() (called under the lock) holds or the deadline passes.
  template <typename Pred>
  bool WaitFor(Pred pred, std::chrono::milliseconds timeout = kDeadline) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(); });
  }

  size_t ReceivedFrom(NodeId n) const { return received_.count(n) ? received_.at(n).size() : 0; }
  bool ReportedUnreachable(NodeId to, ShardId s) const {
    return unreachable_.count(to) && unreachable_.at(to).count(s);
  }
  const std::vector<ShardMessage>& MessagesFrom(NodeId n) { return received_[n]; }
  std::unique_lock<std::mutex> Lock() { return std::unique_lock(mu_); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<NodeId, std::vector<ShardMessage>> received_;
  std::map<NodeId, std::set<ShardId>> unreachable_;
  size_t batches_ = 0;
  bool blocked_ = false;
};

// One node: a gRPC server with the RaftTransportService, and a GrpcTransport.
class TestNode {
 public:
  TestNode(NodeId id, StaticAddressResolver* resolver, GrpcTransportOptions opts = {},
           uint64_t max_receive_bytes = (16ull << 20) + (64 << 10))
      : id_(id), resolver_(resolver), max_receive_bytes_(max_receive_bytes) {
    StartServer(0);
    opts.self = id;
    opts.connect_timeout_ms = 2000;
    opts.initial_backoff_ms = 10;
    opts.max_backoff_ms = 100;
    transport_ = std::make_unique<GrpcTransport>(opts, resolver_, &handler_);
  }
  ~TestNode() {
    transport_->Stop();
    StopServer();
  }

  // Starts the server on `port` (0: any free port) and publishes its address. Returns false if
  // the port could not be bound.
  bool StartServer(int port) {
    service_ = std::make_unique<RaftTransportService>(
        RaftTransportServiceOptions{.self = id_, .max_message_bytes = max_receive_bytes_},
        &handler_);
    grpc::ServerBuilder builder;
    int chosen = 0;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                             &chosen);
    service_->ConfigureBuilder(&builder);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || chosen == 0) {
      server_.reset();
      return false;
    }
    port_ = chosen;
    resolver_->Set(id_, "127.0.0.1:" + std::to_string(port_));
    return true;
  }

  // Cancels the open streams at once and waits for their reactors to finish.
  void StopServer() {
    if (!server_) return;
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    EXPECT_EQ(service_->metrics().streams_active, 0u);
    server_.reset();
  }

  NodeId id() const { return id_; }
  int port() const { return port_; }
  GrpcTransport& transport() { return *transport_; }
  RecordingHandler& handler() { return handler_; }
  RaftTransportService& service() { return *service_; }

 private:
  const NodeId id_;
  StaticAddressResolver* const resolver_;
  const uint64_t max_receive_bytes_;
  RecordingHandler handler_;
  std::unique_ptr<RaftTransportService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<GrpcTransport> transport_;
};

std::string Describe(TestNode& n) {
  const GrpcTransportMetrics m = n.transport().metrics();
  const RaftTransportServiceMetrics r = n.service().metrics();
  return "sent " + std::to_string(m.batches_sent) + " dropped " +
         std::to_string(m.batches_dropped) + " connects " + std::to_string(m.connects) +
         " failures " + std::to_string(m.connect_failures) + " writes " +
         std::to_string(m.stream_writes) + " received " + std::to_string(r.messages_received) +
         " streams " + std::to_string(r.streams_opened);
}

// A batch from `from` to `to` with one heartbeat-like append per shard in [first, first + n).
RaftBatch MakeBatch(NodeId from, NodeId to, uint64_t first_shard, uint64_t n, size_t entry_bytes,
                    uint64_t round) {
  RaftBatch b{.from = from, .to = to};
  for (uint64_t s = first_shard; s < first_shard + n; ++s) {
    raft::Message m{.type = raft::MessageType::kApp,
                    .to = to,
                    .from = from,
                    .term = Term(3),
                    .log_term = Term(3),
                    .index = LogIndex(round),
                    .commit = LogIndex(round)};
    m.entries.push_back(
        raft::Entry{.term = Term(3),
                    .index = LogIndex(round + 1),
                    .data = std::string(entry_bytes, static_cast<char>('a' + s % 26))});
    multiraft::ShardDescriptor d{.id = ShardId(s),
                                 .start_key = "k" + std::to_string(s),
                                 .end_key = "k" + std::to_string(s) + "z",
                                 .epoch = {.conf_version = 1, .version = round},
                                 .voters = {NodeId(1), NodeId(2), NodeId(3)}};
    b.messages.push_back(ShardMessage{ShardId(s), std::move(m), std::move(d)});
  }
  return b;
}

// Sends rounds from `a` to `b` until pred() holds (the transport is best effort: a round may be
// dropped while a connection breaks or reopens).
// `sends` (optional) counts the batches handed to Send().
template <typename Pred>
bool SendUntil(TestNode& a, NodeId to, RecordingHandler& watch, uint64_t shard, Pred pred,
               uint64_t* sends = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  for (uint64_t round = 1; std::chrono::steady_clock::now() < deadline; ++round) {
    a.transport().Send(MakeBatch(a.id(), to, shard, 1, 8, round));
    if (sends != nullptr) ++*sends;
    if (watch.WaitFor(pred, 20ms)) return true;
  }
  return false;
}

TEST(GrpcTransportTest, ThreeNodesExchangeBatchesOfManyShards) {
  StaticAddressResolver resolver;
  std::vector<std::unique_ptr<TestNode>> nodes;
  for (uint64_t i = 1; i <= 3; ++i) {
    nodes.push_back(std::make_unique<TestNode>(NodeId(i), &resolver));
  }
  // Open every stream first: delivery is best effort, and a batch that meets a failed connection
  // attempt is dropped (and reported), which is correct but not what this test counts.
  constexpr uint64_t kWarmupShard = 999999;
  auto is_warmup = [](const ShardMessage& m) { return m.shard == ShardId(kWarmupShard); };
  std::map<uint64_t, uint64_t> sends;  // node -> batches handed to Send()
  for (auto& from : nodes) {
    for (auto& to : nodes) {
      if (from == to) continue;
      RecordingHandler& h = to->handler();
      ASSERT_TRUE(SendUntil(
          *from, to->id(), h, kWarmupShard, [&] { return h.ReceivedFrom(from->id()) > 0; },
          &sends[from->id().value()]));
    }
  }
  std::vector<GrpcTransportMetrics> before;
  for (auto& n : nodes) before.push_back(n->transport().metrics());

  constexpr uint64_t kRounds = 40, kShards = 200;
  std::map<std::pair<uint64_t, uint64_t>, std::vector<ShardMessage>> sent;  // (from, to)
  std::vector<std::pair<TestNode*, RaftBatch>> batches;
  for (uint64_t round = 1; round <= kRounds; ++round) {
    for (auto& from : nodes) {
      for (auto& to : nodes) {
        if (from == to) continue;
        RaftBatch b = MakeBatch(from->id(), to->id(), 1, kShards, 16, round);
        auto& log = sent[{from->id().value(), to->id().value()}];
        log.insert(log.end(), b.messages.begin(), b.messages.end());
        batches.emplace_back(from.get(), std::move(b));
      }
    }
  }
  // All at once, so that rounds queue up behind the sender threads and get coalesced.
  for (auto& [from, b] : batches) {
    ++sends[from->id().value()];
    from->transport().Send(std::move(b));
  }

  auto bulk_from = [&](TestNode& to, NodeId from) {
    const auto& got = to.handler().MessagesFrom(from);
    return static_cast<uint64_t>(
        std::count_if(got.begin(), got.end(), [&](const auto& m) { return !is_warmup(m); }));
  };
  for (auto& to : nodes) {
    ASSERT_TRUE(to->handler().WaitFor([&] {
      for (auto& from : nodes) {
        if (from != to && bulk_from(*to, from->id()) < kRounds * kShards) return false;
      }
      return true;
    })) << "node "
        << to->id() << ": " << Describe(*nodes[0]) << "; " << Describe(*nodes[1]) << "; "
        << Describe(*nodes[2]);
  }
  // Every message arrived once, intact and in order.
  for (auto& to : nodes) {
    auto lock = to->handler().Lock();
    for (auto& from : nodes) {
      if (from == to) continue;
      std::vector<ShardMessage> got;
      for (const auto& m : to->handler().MessagesFrom(from->id())) {
        if (!is_warmup(m)) got.push_back(m);
      }
      const auto& want = sent[{from->id().value(), to->id().value()}];
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i].msg, want[i].msg) << i;
        ASSERT_EQ(got[i].descriptor, want[i].descriptor) << i;
      }
    }
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    nodes[i]->transport().Stop();  // makes the counters final
    const GrpcTransportMetrics m = nodes[i]->transport().metrics();
    const GrpcTransportMetrics& b = before[i];
    EXPECT_EQ(m.batches_sent + m.batches_dropped, sends[nodes[i]->id().value()]);
    EXPECT_EQ(m.batches_dropped, b.batches_dropped);  // nothing lost once the streams were up
    EXPECT_EQ(m.connects, b.connects);                // and they stayed up
    EXPECT_GE(m.connects, 2u);
    EXPECT_GE(m.messages_sent - b.messages_sent, 2 * kRounds * kShards);
    EXPECT_GT(m.bytes_sent - b.bytes_sent, 2 * kRounds * kShards * 16);
    // Coalescing: rounds queued while the sender thread was busy went out together.
    EXPECT_LT(m.stream_writes, m.batches_sent) << Describe(*nodes[i]);
    EXPECT_EQ(nodes[i]->service().metrics().decode_errors, 0u);
  }
}

TEST(GrpcTransportTest, LargeBatchesAreSplitAndOversizedMessagesReported) {
  StaticAddressResolver resolver;
  GrpcTransportOptions opts;
  opts.max_message_bytes = 1 << 20;  // 1 MiB stream messages
  TestNode a(NodeId(1), &resolver, opts, (1 << 20) + (64 << 10));
  TestNode b(NodeId(2), &resolver, opts, (1 << 20) + (64 << 10));

  constexpr uint64_t kWarmupShard = 999999;
  ASSERT_TRUE(SendUntil(a, b.id(), b.handler(), kWarmupShard,
                        [&] { return b.handler().ReceivedFrom(a.id()) > 0; }));
  // Messages from node 1 other than the warm-up ones. Call under b's handler lock.
  auto bulk = [&] {
    std::vector<ShardMessage> out;
    for (const auto& m : b.handler().MessagesFrom(a.id())) {
      if (m.shard != ShardId(kWarmupShard)) out.push_back(m);
    }
    return out;
  };

  // 3 rounds x 100 shards x 64 KiB = ~19 MiB: at least 19 stream messages.
  constexpr uint64_t kRounds = 3, kShards = 100;
  const uint64_t writes_before = a.transport().metrics().stream_writes;
  for (uint64_t round = 1; round <= kRounds; ++round) {
    a.transport().Send(MakeBatch(a.id(), b.id(), 1, kShards, 64 << 10, round));
  }
  ASSERT_TRUE(b.handler().WaitFor([&] { return bulk().size() == kRounds * kShards; }));
  {
    auto lock = b.handler().Lock();
    const auto got = bulk();
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].shard, ShardId(1 + i % kShards));
      ASSERT_EQ(got[i].msg.entries.at(0).data.size(), 64u << 10);
    }
  }
  EXPECT_GE(a.transport().metrics().stream_writes - writes_before, 19u);

  // One message bigger than a whole stream message cannot travel: dropped and reported; the
  // small message after it still arrives.
  RaftBatch big = MakeBatch(a.id(), b.id(), 500, 1, 2 << 20, 1);
  RaftBatch small = MakeBatch(a.id(), b.id(), 501, 1, 10, 1);
  big.messages.push_back(std::move(small.messages[0]));
  a.transport().Send(std::move(big));
  ASSERT_TRUE(
      a.handler().WaitFor([&] { return a.handler().ReportedUnreachable(b.id(), ShardId(500)); }));
  ASSERT_TRUE(b.handler().WaitFor([&] { return bulk().size() == kRounds * kShards + 1; }));
  EXPECT_FALSE(a.handler().WaitFor(
      [&] { return a.handler().ReportedUnreachable(b.id(), ShardId(501)); }, 0ms));
  EXPECT_EQ(a.transport().metrics().messages_dropped, 1u);
}

TEST(GrpcTransportTest, FullQueueDropsOldestAndReportsIt) {
  StaticAddressResolver resolver;
  GrpcTransportOptions opts;
  opts.max_queued_batches = 4;
  TestNode a(NodeId(1), &resolver, opts);
  TestNode b(NodeId(2), &resolver);
  uint64_t sends = 0;
  ASSERT_TRUE(SendUntil(
      a, b.id(), b.handler(), 1000, [&] { return b.handler().ReceivedFrom(a.id()) > 0; }, &sends));

  // Node 2 stops reading: HTTP/2 flow control blocks node 1's writer, and its queue overflows.
  b.handler().SetBlocked(true);
  constexpr uint64_t kBatches = 100;  // 1 MiB each: far more than the windows and socket buffers
  for (uint64_t shard = 1; shard <= kBatches; ++shard) {
    a.transport().Send(MakeBatch(a.id(), b.id(), shard, 1, 1 << 20, 1));
    ++sends;
  }
  b.handler().SetBlocked(false);

  // The newest batch always survives (FIFO: everything before it was written or dropped).
  ASSERT_TRUE(b.handler().WaitFor([&] {
    const auto& got = b.handler().MessagesFrom(a.id());
    return !got.empty() && got.back().shard == ShardId(kBatches);
  }));
  a.transport().Stop();  // makes the counters final; drops are reported before the thread ends
  const GrpcTransportMetrics m = a.transport().metrics();
  EXPECT_GT(m.batches_dropped, 0u);
  EXPECT_EQ(m.batches_sent + m.batches_dropped, sends);
  auto lock_a = a.handler().Lock();
  auto lock_b = b.handler().Lock();
  std::set<uint64_t> delivered;
  for (const auto& msg : b.handler().MessagesFrom(a.id())) delivered.insert(msg.shard.value());
  for (uint64_t shard = 1; shard <= kBatches; ++shard) {
    EXPECT_TRUE(delivered.count(shard) || a.handler().ReportedUnreachable(b.id(), ShardId(shard)))
        << "shard " << shard << " neither delivered nor reported";
  }
}

TEST(GrpcTransportTest, UnreachablePeerIsReported) {
  StaticAddressResolver resolver;
  TestNode a(NodeId(1), &resolver);
  TestNode b(NodeId(2), &resolver);
  b.StopServer();  // node 2's address now refuses connections
  a.transport().Send(MakeBatch(a.id(), b.id(), 10, 3, 8, 1));
  ASSERT_TRUE(a.handler().WaitFor([&] {
    return a.handler().ReportedUnreachable(b.id(), ShardId(10)) &&
           a.handler().ReportedUnreachable(b.id(), ShardId(11)) &&
           a.handler().ReportedUnreachable(b.id(), ShardId(12));
  }));
  const GrpcTransportMetrics m = a.transport().metrics();
  EXPECT_GE(m.connect_failures, 1u);
  EXPECT_EQ(m.batches_dropped, 1u);
  EXPECT_EQ(m.messages_dropped, 3u);
  EXPECT_EQ(m.connects, 0u);

  // A node without an address is unreachable too.
  a.transport().Send(MakeBatch(a.id(), NodeId(9), 20, 1, 8, 1));
  ASSERT_TRUE(
      a.handler().WaitFor([&] { return a.handler().ReportedUnreachable(NodeId(9), ShardId(20)); }));
}

TEST(GrpcTransportTest, RestartedPeerIsReconnected) {
  StaticAddressResolver resolver;
  TestNode a(NodeId(1), &resolver);
  TestNode b(NodeId(2), &resolver);
  ASSERT_TRUE(
      SendUntil(a, b.id(), b.handler(), 1, [&] { return b.handler().ReceivedFrom(a.id()) > 0; }));
  EXPECT_EQ(a.transport().metrics().connects, 1u);

  // Node 2 goes down: the open stream breaks and node 1 reports shard 2 unreachable.
  const int port = b.port();
  b.StopServer();
  ASSERT_TRUE(SendUntil(a, b.id(), a.handler(), 2,
                        [&] { return a.handler().ReportedUnreachable(b.id(), ShardId(2)); }));

  // Node 2 comes back (on its old port when it is still free, else on a new one).
  if (!b.StartServer(port)) {
    ASSERT_TRUE(b.StartServer(0));
  }
  ASSERT_TRUE(SendUntil(a, b.id(), b.handler(), 3, [&] {
    const auto& got = b.handler().MessagesFrom(a.id());
    return std::any_of(got.begin(), got.end(), [](auto& m) { return m.shard == ShardId(3); });
  }));
  const GrpcTransportMetrics m = a.transport().metrics();
  EXPECT_EQ(m.connects, 2u);
  EXPECT_EQ(m.reconnects, 1u);
  EXPECT_GE(m.unreachable_reports, 1u);
}

TEST(GrpcTransportTest, MisaddressedStreamIsRefused) {
  StaticAddressResolver resolver;
  TestNode a(NodeId(1), &resolver);
  TestNode b(NodeId(2), &resolver);
  resolver.Set(NodeId(3), "127.0.0.1:" + std::to_string(b.port()));  // a stale address
  RecordingHandler& ah = a.handler();
  const bool reported =
      SendUntil(a, NodeId(3), ah, 8, [&] { return ah.ReportedUnreachable(NodeId(3), ShardId(8)); });
  ASSERT_TRUE(reported);
  EXPECT_GE(b.service().metrics().decode_errors, 1u);
  auto lock = b.handler().Lock();
  for (const auto& m : b.handler().MessagesFrom(a.id())) EXPECT_NE(m.shard, ShardId(8));
}

TEST(GrpcTransportTest, StopIsCleanWithOpenStreamsAndQueuedBatches) {
  StaticAddressResolver resolver;
  auto a = std::make_unique<TestNode>(NodeId(1), &resolver);
  auto b = std::make_unique<TestNode>(NodeId(2), &resolver);
  auto c = std::make_unique<TestNode>(NodeId(3), &resolver);
  uint64_t sends = 0;
  ASSERT_TRUE(SendUntil(
      *a, b->id(), b->handler(), 1, [&] { return b->handler().ReceivedFrom(a->id()) > 0; },
      &sends));
  ASSERT_TRUE(SendUntil(
      *a, c->id(), c->handler(), 1, [&] { return c->handler().ReceivedFrom(a->id()) > 0; },
      &sends));
  for (uint64_t round = 1; round <= 50; ++round) {
    a->transport().Send(MakeBatch(a->id(), b->id(), 1, 100, 1000, round));
    a->transport().Send(MakeBatch(a->id(), c->id(), 1, 100, 1000, round));
    sends += 2;
  }
  a->transport().Stop();
  a->transport().Stop();  // idempotent
  // After Stop: sends are dropped and counted, and no thread is left to touch the handler.
  a->transport().Send(MakeBatch(a->id(), b->id(), 1, 1, 1, 1));
  ++sends;
  const GrpcTransportMetrics m = a->transport().metrics();
  EXPECT_EQ(m.batches_sent + m.batches_dropped, sends)
      << "every batch handed to Send() was either sent or dropped";
  EXPECT_GE(m.batches_dropped, 1u);
  // The receivers see the streams end (StopServer in the destructors checks no reactor is left).
  b.reset();
  c.reset();
  a.reset();
}

}  // namespace
}  // namespace tessera::server

// The snapshot stream over real gRPC on 127.0.0.1 (OS-assigned ports): a multi-file snapshot
// arrives intact and ingests into another engine; a corrupted chunk is refused with DATA_LOSS
// and leaves no directory; a cancelled stream leaves no directory; a receiver at its receive
// limit refuses with RESOURCE_EXHAUSTED, which the sender reports as Busy; the sender's pacing
// follows the rate limit (checked on a SimClock, never timed); an unknown node is Unavailable.
// Every wait is on a condition with a deadline.
#include "server/snapshot_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "multiraft/snapshot.h"
#include "server/raft_codec.h"
#include "server/snapshot_sender.h"
#include "storage/fs_util.h"
#include "storage/memory_engine.h"
#include "storage/test_util.h"

namespace tessera::server {
namespace {

using namespace std::chrono_literals;
using multiraft::ShardMessage;
using multiraft::SnapshotManifest;
using storage::testing::TempDir;

constexpr auto kDeadline = 20s;

// Waits until pred() holds or the deadline passes (the conditions live in gRPC's threads and
// expose no notification, so this polls, yielding between checks).
template <typename Pred>
bool Eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

class RecordingReceiver final : public multiraft::SnapshotReceiver {
 public:
  void HandleSnapshot(NodeId from, ShardMessage msg, std::string dir) override {
    std::lock_guard lock(mu_);
    got_.push_back({from, std::move(msg), std::move(dir)});
  }
  struct Got {
    NodeId from;
    ShardMessage msg;
    std::string dir;
  };
  std::vector<Got> got() {
    std::lock_guard lock(mu_);
    return got_;
  }

 private:
  std::mutex mu_;
  std::vector<Got> got_;
};

// The outcome of one SendSnapshot.
class Outcome {
 public:
  std::function<void(Status)> Callback() {
    return [this](Status st) {
      std::lock_guard lock(mu_);
      status_ = std::move(st);
      cv_.notify_all();
    };
  }
  std::optional<Status> Wait() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kDeadline, [&] { return status_.has_value(); });
    return status_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Status> status_;
};

ShardMessage SnapMessage(NodeId from, NodeId to, const SnapshotManifest& m) {
  raft::Message msg{.type = raft::MessageType::kSnap, .to = to, .from = from, .term = Term(9)};
  msg.snapshot = raft::Snapshot{.metadata = m.RaftMetadata()};
  return ShardMessage{m.desc.id, std::move(msg), m.desc};
}

// Node 2: a gRPC server with the SnapshotService. Node 1 sends to it.
class SnapshotServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = std::move(storage::OpenMemoryEngine()).value();
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(engine_
                      ->Put({}, storage::Cf::kData, "k" + std::to_string(10000 + i),
                            std::string(1000, static_cast<char>('a' + i % 26)))
                      .ok());
    }
    ASSERT_TRUE(dirs1_.Open().ok());
    ASSERT_TRUE(dirs2_.Open().ok());
    auto snap = std::move(engine_->GetSnapshot()).value();
    const multiraft::ShardDescriptor d{.id = ShardId(4),
                                       .start_key = "k",
                                       .end_key = "l",
                                       .epoch = {.conf_version = 1, .version = 1},
                                       .voters = {NodeId(1), NodeId(2)}};
    const multiraft::ApplyState a{.applied_index = LogIndex(30),
                                  .applied_term = Term(3),
                                  .conf_state = {.voters = {NodeId(1), NodeId(2)}}};
    dir_ = dirs1_.NewSendDir(d.id, a.applied_term, a.applied_index);
    auto m =
        multiraft::CutSnapshot(engine_.get(), *snap, d, a, dir_, {.target_file_bytes = 128 << 10});
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    manifest_ = *m;
    ASSERT_GE(manifest_.files.size(), 5u);
  }
  void TearDown() override {
    if (sender_) sender_->Stop();
    if (server_) {
      server_->Shutdown(std::chrono::system_clock::now());
      server_->Wait();
    }
  }

  void StartServer(multiraft::SnapshotLimits limits = {}) {
    service_ = std::make_unique<SnapshotService>(
        SnapshotServiceOptions{.self = NodeId(2), .limits = limits}, &dirs2_, &rx_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    service_->ConfigureBuilder(&builder);
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_ != nullptr && port != 0);
    address_ = "127.0.0.1:" + std::to_string(port);
    resolver_.Set(NodeId(2), address_);
  }

  void StartSender(GrpcSnapshotSenderOptions opts = {}) {
    opts.self = NodeId(1);
    sender_ = std::make_unique<GrpcSnapshotSender>(std::move(opts), &resolver_);
  }

  std::optional<Status> SendAndWait() {
    Outcome out;
    sender_->SendSnapshot(NodeId(2), SnapMessage(NodeId(1), NodeId(2), manifest_), dir_,
                          out.Callback());
    return out.Wait();
  }

  bool RecvRootEmpty() { return std::filesystem::is_empty(dirs2_.recv_root()); }

  // A raw client stream to the service, for what the sender never does.
  struct RawStream {
    grpc::ClientContext ctx;
    v1::SnapshotResponse resp;
    std::unique_ptr<v1::SnapshotTransport::Stub> stub;
    std::unique_ptr<grpc::ClientWriter<v1::SnapshotChunk>> w;
  };
  std::unique_ptr<RawStream> OpenRaw() {
    auto r = std::make_unique<RawStream>();
    r->stub = v1::SnapshotTransport::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
    r->w = r->stub->Send(&r->ctx, &r->resp);
    v1::SnapshotChunk header;
    header.mutable_header()->set_from(1);
    header.mutable_header()->set_to(2);
    EncodeShardMessage(SnapMessage(NodeId(1), NodeId(2), manifest_),
                       header.mutable_header()->mutable_message());
    header.mutable_header()->set_manifest(multiraft::EncodeSnapshotManifest(manifest_));
    EXPECT_TRUE(r->w->Write(header));
    return r;
  }

  TempDir tmp_;
  std::unique_ptr<storage::Engine> engine_;
  multiraft::SnapshotDirs dirs1_{tmp_.Sub("n1")}, dirs2_{tmp_.Sub("n2")};
  std::string dir_;
  SnapshotManifest manifest_;
  RecordingReceiver rx_;
  StaticAddressResolver resolver_;
  std::unique_ptr<SnapshotService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::unique_ptr<GrpcSnapshotSender> sender_;
};

TEST_F(SnapshotServiceTest, MultiFileSnapshotArrivesIntact) {
  StartServer();
  StartSender(GrpcSnapshotSenderOptions{.limits = {.chunk_bytes = 32 << 10}});
  const auto st = SendAndWait();
  ASSERT_TRUE(st.has_value());
  ASSERT_TRUE(st->ok()) << st->ToString();
  const auto got = rx_.got();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].from, NodeId(1));
  const ShardMessage want = SnapMessage(NodeId(1), NodeId(2), manifest_);
  EXPECT_EQ(got[0].msg.shard, want.shard);
  EXPECT_EQ(got[0].msg.msg, want.msg);
  EXPECT_EQ(got[0].msg.descriptor, want.descriptor);
  EXPECT_EQ(std::filesystem::path(got[0].dir).parent_path(), dirs2_.recv_root());
  SnapshotManifest m;
  ASSERT_TRUE(multiraft::VerifySnapshotDir(got[0].dir, &m).ok());
  EXPECT_EQ(m, manifest_);
  // The received copy ingests into another engine and reproduces the range.
  auto other = std::move(storage::OpenMemoryEngine()).value();
  ASSERT_TRUE(multiraft::IngestSnapshot(other.get(), m, got[0].dir).ok());
  auto a = engine_->NewIterator(storage::Cf::kData, {});
  auto b = other->NewIterator(storage::Cf::kData, {});
  EXPECT_EQ(storage::testing::ScanAll(*a), storage::testing::ScanAll(*b));
  EXPECT_EQ(service_->metrics().received, 1u);
  EXPECT_EQ(service_->metrics().bytes_received, manifest_.TotalBytes());
  EXPECT_EQ(sender_->metrics().sent, 1u);
}

TEST_F(SnapshotServiceTest, CorruptedChunkIsRefusedAndLeavesNoDirectory) {
  StartServer();
  auto raw = OpenRaw();
  for (uint32_t i = 0; i < manifest_.files.size(); ++i) {
    auto data = storage::ReadWholeFile(dir_ + "/" + manifest_.files[i].name, 1 << 30);
    ASSERT_TRUE(data.ok());
    if (i == 2) (*data)[data->size() / 2] ^= 0x10;
    v1::SnapshotChunk c;
    c.set_file_index(i);
    c.set_offset(0);
    c.set_data(*data);
    if (!raw->w->Write(c)) break;  // the receiver may already have refused
  }
  raw->w->WritesDone();
  const grpc::Status st = raw->w->Finish();
  EXPECT_EQ(st.error_code(), grpc::DATA_LOSS) << st.error_message();
  EXPECT_TRUE(rx_.got().empty());
  EXPECT_TRUE(RecvRootEmpty());
  EXPECT_EQ(service_->metrics().receives_active, 0u);
}

TEST_F(SnapshotServiceTest, CancelledStreamLeavesNoDirectory) {
  StartServer();
  auto raw = OpenRaw();
  ASSERT_TRUE(Eventually([&] { return service_->metrics().receives_active == 1; }));
  EXPECT_FALSE(RecvRootEmpty());
  raw->ctx.TryCancel();
  (void)raw->w->Finish();
  ASSERT_TRUE(Eventually([&] { return service_->metrics().receives_active == 0; }));
  EXPECT_TRUE(RecvRootEmpty());
  EXPECT_TRUE(rx_.got().empty());
}

TEST_F(SnapshotServiceTest, ReceiverAtItsLimitRefusesWithBusy) {
  StartServer(multiraft::SnapshotLimits{.max_concurrent_receives = 1});
  StartSender();
  auto raw = OpenRaw();  // holds the only receive slot
  ASSERT_TRUE(Eventually([&] { return service_->metrics().receives_active == 1; }));
  const auto st = SendAndWait();
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->Is(Status::Code::kBusy)) << st->ToString();
  EXPECT_EQ(service_->metrics().refused_busy, 1u);
  raw->ctx.TryCancel();
  (void)raw->w->Finish();
  ASSERT_TRUE(Eventually([&] { return service_->metrics().receives_active == 0; }));
  // The slot is free again.
  const auto again = SendAndWait();
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->ok()) << again->ToString();
  EXPECT_EQ(rx_.got().size(), 1u);
}

TEST_F(SnapshotServiceTest, SendsFollowTheRateLimit) {
  StartServer();
  SimClock clock;
  std::atomic<int64_t> waited{0};
  const uint64_t rate = 256 << 10;  // 256 KiB/s
  const uint64_t chunk = 16 << 10;
  StartSender(
      GrpcSnapshotSenderOptions{.limits = {.send_bytes_per_sec = rate, .chunk_bytes = chunk},
                                .clock = &clock,
                                .wait_for_rate = [&](int64_t nanos) {
                                  waited += nanos;
                                  clock.Advance(nanos);
                                  return true;
                                }});
  const auto st = SendAndWait();
  ASSERT_TRUE(st.has_value());
  ASSERT_TRUE(st->ok()) << st->ToString();
  // The first chunk passes on the full bucket; every further byte takes 1/rate seconds of
  // simulated time, so the waits add up to (total - chunk) / rate.
  const double expect = static_cast<double>(manifest_.TotalBytes() - chunk) * 1e9 / rate;
  EXPECT_NEAR(static_cast<double>(waited.load()), expect, 1e6);  // within 1 ms
  EXPECT_GT(expect, 3e9);                                        // about 4 s of pacing
  EXPECT_EQ(sender_->metrics().rate_wait_nanos, static_cast<uint64_t>(waited.load()));
}

TEST_F(SnapshotServiceTest, UnknownNodeIsUnavailableAndStopAbortsQueuedSends) {
  StartSender();
  Outcome out;
  sender_->SendSnapshot(NodeId(2), SnapMessage(NodeId(1), NodeId(2), manifest_), dir_,
                        out.Callback());
  const auto st = out.Wait();
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->Is(Status::Code::kUnavailable)) << st->ToString();
  sender_->Stop();
  Outcome late;
  sender_->SendSnapshot(NodeId(2), SnapMessage(NodeId(1), NodeId(2), manifest_), dir_,
                        late.Callback());
  const auto aborted = late.Wait();
  ASSERT_TRUE(aborted.has_value());
  EXPECT_TRUE(aborted->Is(Status::Code::kAborted));
}

}  // namespace
}  // namespace tessera::server

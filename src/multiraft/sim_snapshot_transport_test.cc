// SimSnapshotNetwork: a snapshot arrives as a verified copy in the receiver's recv directory and
// the sender hears OK; a partition drops it (Unavailable, no directory left); in deferred mode a
// queued transfer holds the receive slot, so one more is refused with Busy; a message that does
// not match the manifest is refused.
#include "multiraft/sim_snapshot_transport.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "multiraft/snapshot.h"
#include "storage/memory_engine.h"
#include "storage/test_util.h"

namespace tessera::multiraft {
namespace {

using storage::testing::TempDir;

class RecordingReceiver final : public SnapshotReceiver {
 public:
  struct Got {
    NodeId from;
    ShardMessage msg;
    std::string dir;
  };
  void HandleSnapshot(NodeId from, ShardMessage msg, std::string dir) override {
    got.push_back(Got{from, std::move(msg), std::move(dir)});
  }
  std::vector<Got> got;
};

ShardMessage SnapMessage(NodeId from, NodeId to, const SnapshotManifest& m) {
  raft::Message msg{.type = raft::MessageType::kSnap, .to = to, .from = from, .term = Term(9)};
  msg.snapshot = raft::Snapshot{.metadata = m.RaftMetadata()};
  return ShardMessage{m.desc.id, std::move(msg), m.desc};
}

bool IsEmptyDir(const std::string& dir) { return std::filesystem::is_empty(dir); }

class SimSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = std::move(storage::OpenMemoryEngine()).value();
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(
          engine_->Put({}, storage::Cf::kData, "k" + std::to_string(1000 + i), std::string(64, 'v'))
              .ok());
    }
    ASSERT_TRUE(dirs1_.Open().ok());
    ASSERT_TRUE(dirs2_.Open().ok());
    auto snap = std::move(engine_->GetSnapshot()).value();
    const ShardDescriptor d{
        .id = ShardId(3), .start_key = "k", .end_key = "l", .voters = {NodeId(1), NodeId(2)}};
    const ApplyState a{.applied_index = LogIndex(10),
                       .applied_term = Term(2),
                       .conf_state = {.voters = {NodeId(1), NodeId(2)}}};
    dir_ = dirs1_.NewSendDir(d.id, a.applied_term, a.applied_index);
    auto m = CutSnapshot(engine_.get(), *snap, d, a, dir_, {.target_file_bytes = 2048});
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    manifest_ = *m;
    ASSERT_GT(manifest_.files.size(), 2u);
  }

  void Build(SnapshotLimits limits = {}) {
    net_ = std::make_unique<SimSnapshotNetwork>(limits);
    net_->Register(NodeId(1), &rx1_, &dirs1_);
    net_->Register(NodeId(2), &rx2_, &dirs2_);
    sender_ = net_->SenderFor(NodeId(1));
  }

  // Sends the snapshot from node 1 to node 2; the outcome lands in *out when done runs.
  void Send(std::optional<Status>* out, ShardMessage msg) {
    sender_->SendSnapshot(NodeId(2), std::move(msg), dir_, [out](Status st) { *out = st; });
  }
  void Send(std::optional<Status>* out) { Send(out, SnapMessage(NodeId(1), NodeId(2), manifest_)); }

  TempDir tmp_;
  std::unique_ptr<storage::Engine> engine_;
  SnapshotDirs dirs1_{tmp_.Sub("n1")}, dirs2_{tmp_.Sub("n2")};
  RecordingReceiver rx1_, rx2_;
  std::string dir_;
  SnapshotManifest manifest_;
  std::unique_ptr<SimSnapshotNetwork> net_;
  std::unique_ptr<SnapshotSender> sender_;
};

TEST_F(SimSnapshotTest, DeliversAVerifiedCopy) {
  Build();
  std::optional<Status> done;
  Send(&done);
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE(done->ok()) << done->ToString();
  ASSERT_EQ(rx2_.got.size(), 1u);
  EXPECT_EQ(rx2_.got[0].from, NodeId(1));
  const ShardMessage want = SnapMessage(NodeId(1), NodeId(2), manifest_);
  EXPECT_EQ(rx2_.got[0].msg.shard, want.shard);
  EXPECT_EQ(rx2_.got[0].msg.msg, want.msg);
  EXPECT_EQ(rx2_.got[0].msg.descriptor, want.descriptor);
  EXPECT_EQ(std::filesystem::path(rx2_.got[0].dir).parent_path(), dirs2_.recv_root());
  SnapshotManifest got;
  ASSERT_TRUE(VerifySnapshotDir(rx2_.got[0].dir, &got).ok());
  EXPECT_EQ(got, manifest_);
  EXPECT_TRUE(VerifySnapshotDir(dir_, nullptr).ok());  // the sender's directory is untouched
  EXPECT_EQ(net_->delivered(), 1u);
  EXPECT_EQ(net_->receives_in_flight(NodeId(2)), 0u);
}

TEST_F(SimSnapshotTest, PartitionDropsAndLeavesNothing) {
  Build();
  net_->Isolate(NodeId(2));
  std::optional<Status> done;
  Send(&done);
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE(done->Is(Status::Code::kUnavailable)) << done->ToString();
  EXPECT_TRUE(rx2_.got.empty());
  EXPECT_TRUE(IsEmptyDir(dirs2_.recv_root()));
  EXPECT_EQ(net_->dropped(), 1u);
  net_->Heal();
  Send(&done);
  EXPECT_TRUE(done->ok());
}

TEST_F(SimSnapshotTest, QueuedTransfersHoldTheReceiveLimit) {
  Build(SnapshotLimits{.max_concurrent_receives = 1});
  net_->SetDeferred(true);
  std::optional<Status> first, second, third;
  Send(&first);
  EXPECT_FALSE(first.has_value());
  EXPECT_EQ(net_->receives_in_flight(NodeId(2)), 1u);
  Send(&second);
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->Is(Status::Code::kBusy)) << second->ToString();
  EXPECT_EQ(net_->refused_busy(), 1u);
  EXPECT_EQ(net_->DeliverAll(), 1u);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->ok());
  EXPECT_EQ(rx2_.got.size(), 1u);
  Send(&third);
  EXPECT_TRUE(net_->DeliverNext());
  EXPECT_TRUE(third.has_value() && third->ok());
}

TEST_F(SimSnapshotTest, MessageThatDoesNotMatchTheManifestIsRefused) {
  Build();
  ShardMessage msg = SnapMessage(NodeId(1), NodeId(2), manifest_);
  msg.msg.snapshot->metadata.index = LogIndex(11);
  std::optional<Status> done;
  Send(&done, std::move(msg));
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE(done->Is(Status::Code::kInvalidArgument)) << done->ToString();
  EXPECT_TRUE(rx2_.got.empty());
  EXPECT_TRUE(IsEmptyDir(dirs2_.recv_root()));
}

}  // namespace
}  // namespace tessera::multiraft

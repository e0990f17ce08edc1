// Three in-process servers talking real gRPC over loopback: the client API and the Raft transport
// on one port each, RocksDB in temporary directories (CTest label "multiraft").
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "proto/admin.grpc.pb.h"
#include "server/server.h"
#include "tests/server/kv_client.h"

namespace tessera::server {
namespace {

using testing::FreePort;
using testing::KvTestClient;

class GrpcCluster {
 public:
  explicit GrpcCluster(int n, bool lease_reads = true) {
    dir_ = std::filesystem::temp_directory_path() /
           ("tessera-grpc-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    std::string cluster;
    for (int i = 1; i <= n; ++i) {
      addrs_[i] = "127.0.0.1:" + std::to_string(FreePort());
      cluster += (i > 1 ? "," : "") + std::to_string(i) + "=" + addrs_[i];
    }
    for (int i = 1; i <= n; ++i) {
      ServerConfig c;
      c.node_id = NodeId(i);
      c.data_dir = (dir_ / ("n" + std::to_string(i))).string();
      c.listen = addrs_[i];
      c.initial_cluster = cluster;
      c.node.tick_ms = 10;
      c.node.lease_reads = lease_reads;
      configs_[i] = c;
      Start(i);
    }
  }
  ~GrpcCluster() {
    for (auto& [i, s] : servers_) {
      if (s) s->Shutdown(0);
    }
    servers_.clear();
    std::filesystem::remove_all(dir_);
  }
  void Start(int i) {
    auto s = Server::Start(configs_[i]);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    servers_[i] = std::move(s).value();
  }
  void Stop(int i) {
    servers_[i]->Shutdown(100);
    servers_[i].reset();
  }
  std::map<uint64_t, std::string> addresses() const {
    std::map<uint64_t, std::string> m;
    for (auto& [i, a] : addrs_) m[i] = a;
    return m;
  }
  const std::string& address(int i) { return addrs_[i]; }
  Server* server(int i) { return servers_.at(i).get(); }
  // Cuts node i off from every other node, in both directions (transport failpoints).
  void Isolate(int i) {
    std::set<NodeId> others;
    for (auto& [j, s] : servers_) {
      if (j == i) continue;
      others.insert(NodeId(j));
      if (s) s->transport()->SetBlockedPeers({NodeId(i)});
    }
    servers_.at(i)->transport()->SetBlockedPeers(others);
  }
  void Heal() {
    for (auto& [j, s] : servers_) {
      if (s) s->transport()->SetBlockedPeers({});
    }
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::map<int, std::string> addrs_;
  std::map<int, ServerConfig> configs_;
  std::map<int, std::unique_ptr<Server>> servers_;
};

TEST(GrpcCluster, WritesReadsAndTypedErrorsOverTheWire) {
  GrpcCluster c(3);
  KvTestClient client(c.addresses());
  v1::Error e = client.Put("hello", "world");
  ASSERT_FALSE(e.has_not_leader() || !e.message().empty()) << e.DebugString();
  EXPECT_EQ(client.Get("hello"), "world");

  // A follower answers NotLeader with the leader's id (once it has heard from that leader: just
  // after an election it may know none yet, so it is asked again until the deadline).
  uint64_t follower = 0, named_leader = 0;
  std::string named_address;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (named_leader == 0 && std::chrono::steady_clock::now() < until) {
    for (uint64_t i = 1; i <= 3 && named_leader == 0; ++i) {
      v1::PutRequest req;
      *req.mutable_header() = KvTestClient::Header();
      req.set_key("k");
      req.set_value("v");
      v1::PutResponse resp;
      grpc::ClientContext ctx;
      ASSERT_TRUE(client.stub(i)->Put(&ctx, req, &resp).ok());
      if (resp.error().has_not_leader()) {
        follower = i;
        named_leader = resp.error().not_leader().leader_node_id();
        named_address = resp.error().not_leader().leader_address();
      }
    }
  }
  EXPECT_NE(follower, 0u);
  EXPECT_NE(named_leader, 0u) << "a follower never named the leader";
  // ... and its address, so a client without a route (tessera ctl --endpoints) can follow it.
  if (named_leader != 0) {
    EXPECT_EQ(named_address, c.addresses().at(named_leader));
  }

  // Typed errors: unknown shard, stale epoch, oversized value, missing header.
  auto put = [&](const v1::RequestHeader& h, std::string value) {
    v1::PutRequest req;
    *req.mutable_header() = h;
    req.set_key("k2");
    req.set_value(std::move(value));
    v1::PutResponse resp;
    for (uint64_t i = 1; i <= 3; ++i) {
      grpc::ClientContext ctx;
      EXPECT_TRUE(client.stub(i)->Put(&ctx, req, &resp).ok());
      if (!resp.error().has_not_leader()) break;
    }
    return resp.error();
  };
  EXPECT_TRUE(put(KvTestClient::Header(42), "v").has_shard_not_found());
  EXPECT_TRUE(put(KvTestClient::Header(1, 9, 9), "v").has_epoch_not_match());
  EXPECT_TRUE(put(KvTestClient::Header(), std::string((8u << 20) + 1, 'x')).has_invalid_argument());
  EXPECT_TRUE(put(v1::RequestHeader(), "v").has_invalid_argument());
}

// One strong read from node `node` only (no retry elsewhere): the value, or nullopt on any error.
std::optional<std::string> ReadFrom(KvTestClient& client, uint64_t node, const std::string& key,
                                    std::chrono::milliseconds timeout) {
  v1::GetRequest req;
  *req.mutable_header() = KvTestClient::Header();
  req.set_key(key);
  v1::GetResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  const grpc::Status s = client.stub(node)->Get(&ctx, req, &resp);
  if (!s.ok() || resp.has_error() || !resp.found()) return std::nullopt;
  return resp.value();
}

// The leader among the nodes (a strong read it answers itself), waiting up to 10 s.
std::optional<uint64_t> FindLeader(KvTestClient& client, int n, std::optional<uint64_t> exclude) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    for (int i = 1; i <= n; ++i) {
      if (exclude && *exclude == static_cast<uint64_t>(i)) continue;
      v1::GetRequest req;
      *req.mutable_header() = KvTestClient::Header();
      req.set_key("probe");
      v1::GetResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
      if (client.stub(i)->Get(&ctx, req, &resp).ok() && !resp.has_error()) return i;
    }
  }
  return std::nullopt;
}

class GrpcDeposedLeader : public ::testing::TestWithParam<bool> {};

// Over real gRPC with transport failpoints: an isolated leader cannot commit, and no strong read
// it serves after the majority acknowledged a newer value returns the old one (lease and
// ReadIndex paths).
TEST_P(GrpcDeposedLeader, ServesNoStaleReadAndLosesItsMinorityWrite) {
  GrpcCluster c(3, /*lease_reads=*/GetParam());
  KvTestClient client(c.addresses());
  ASSERT_TRUE(client.Put("k", "old").message().empty());
  auto leader = FindLeader(client, 3, std::nullopt);
  ASSERT_TRUE(leader);
  c.Isolate(static_cast<int>(*leader));
  // The minority write cannot commit.
  {
    v1::PutRequest req;
    *req.mutable_header() = KvTestClient::Header();
    req.set_key("minority");
    req.set_value("x");
    v1::PutResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1500));
    const grpc::Status s = client.stub(*leader)->Put(&ctx, req, &resp);
    EXPECT_TRUE(!s.ok() || resp.has_error());
  }
  auto next = FindLeader(client, 3, leader);
  ASSERT_TRUE(next);
  {
    v1::PutRequest req;
    *req.mutable_header() = KvTestClient::Header();
    req.set_key("k");
    req.set_value("new");
    v1::PutResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ASSERT_TRUE(client.stub(*next)->Put(&ctx, req, &resp).ok());
    ASSERT_FALSE(resp.has_error()) << resp.error().DebugString();
  }
  // Every read started after the acknowledgement fails on the deposed leader.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(ReadFrom(client, *leader, "k", std::chrono::milliseconds(400)), std::nullopt);
  }
  c.Heal();
  EXPECT_EQ(client.Get("k"), "new");
  EXPECT_EQ(client.Get("minority"), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(LeaseAndReadIndex, GrpcDeposedLeader, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Lease" : "ReadIndex"; });

TEST(GrpcCluster, AdminApiSplitsListsAndMovesLeadership) {
  GrpcCluster c(3);
  KvTestClient client(c.addresses());
  ASSERT_TRUE(client.Put("apple", "1").message().empty());
  ASSERT_TRUE(client.Put("zebra", "2").message().empty());
  auto leader = FindLeader(client, 3, std::nullopt);
  ASSERT_TRUE(leader);
  auto channel =
      grpc::CreateChannel(c.address(static_cast<int>(*leader)), grpc::InsecureChannelCredentials());
  auto admin = v1::Admin::NewStub(channel);

  // Bad input is refused with a typed error.
  {
    v1::SplitShardRequest req;
    req.set_split_key("m");
    v1::SplitShardResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin->SplitShard(&ctx, req, &resp).ok());
    EXPECT_TRUE(resp.error().has_invalid_argument());
  }
  v1::SplitShardResponse split;
  {
    v1::SplitShardRequest req;
    *req.mutable_header() = KvTestClient::Header();
    req.set_split_key("m");
    req.set_new_shard_id(42);
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin->SplitShard(&ctx, req, &split).ok());
    ASSERT_FALSE(split.has_error()) << split.error().DebugString();
    ASSERT_EQ(split.shards_size(), 2);
    EXPECT_EQ(split.shards(0).end_key(), "m");
    EXPECT_EQ(split.shards(1).id(), 42u);
    EXPECT_EQ(split.shards(1).start_key(), "m");
  }
  {
    // The same split again carries a stale epoch.
    v1::SplitShardRequest req;
    *req.mutable_header() = KvTestClient::Header();
    req.set_split_key("f");
    v1::SplitShardResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin->SplitShard(&ctx, req, &resp).ok());
    EXPECT_TRUE(resp.error().has_epoch_not_match());
    EXPECT_GE(resp.error().epoch_not_match().current_shards_size(), 2);
  }
  // Every node lists both shards once the split applied there.
  for (int i = 1; i <= 3; ++i) {
    auto a =
        v1::Admin::NewStub(grpc::CreateChannel(c.address(i), grpc::InsecureChannelCredentials()));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int n = 0;
    while (n != 2 && std::chrono::steady_clock::now() < deadline) {
      v1::ListShardsResponse resp;
      grpc::ClientContext ctx;
      ASSERT_TRUE(a->ListShards(&ctx, v1::ListShardsRequest(), &resp).ok());
      n = resp.replicas_size();
    }
    EXPECT_EQ(n, 2) << "node " << i;
  }
  // Move shard 1's leadership to another node.
  const uint64_t to = *leader % 3 + 1;
  {
    v1::TransferLeaderRequest req;
    *req.mutable_header()->mutable_epoch() = split.shards(0).epoch();
    req.mutable_header()->set_shard_id(1);
    req.set_to_node_id(to);
    v1::TransferLeaderResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin->TransferLeader(&ctx, req, &resp).ok());
    EXPECT_FALSE(resp.has_error()) << resp.error().DebugString();
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool moved = false;
  while (!moved && std::chrono::steady_clock::now() < deadline) {
    v1::GetRequest req;
    req.mutable_header()->set_shard_id(1);
    *req.mutable_header()->mutable_epoch() = split.shards(0).epoch();
    req.set_key("apple");
    v1::GetResponse resp;
    grpc::ClientContext ctx;
    moved = client.stub(to)->Get(&ctx, req, &resp).ok() && !resp.has_error() && resp.value() == "1";
  }
  EXPECT_TRUE(moved);
}

TEST(GrpcCluster, LeaderLossAndFullRestartKeepAcknowledgedWrites) {
  GrpcCluster c(3);
  KvTestClient client(c.addresses());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client.Put("k" + std::to_string(i), std::to_string(i)).message().empty());
  }
  // Stop each node in turn (a majority stays up) and keep writing.
  for (int n = 1; n <= 3; ++n) {
    c.Stop(n);
    ASSERT_TRUE(client.Put("during" + std::to_string(n), "x").message().empty()) << n;
    c.Start(n);
  }
  // Stop everything, restart, read everything back.
  for (int n = 1; n <= 3; ++n) c.Stop(n);
  for (int n = 1; n <= 3; ++n) c.Start(n);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(client.Get("k" + std::to_string(i)), std::to_string(i));
  for (int n = 1; n <= 3; ++n) EXPECT_EQ(client.Get("during" + std::to_string(n)), "x");
}

}  // namespace
}  // namespace tessera::server

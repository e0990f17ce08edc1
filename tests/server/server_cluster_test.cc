// Three in-process servers talking real gRPC over loopback: the client API and the Raft transport
// on one port each, RocksDB in temporary directories (CTest label "multiraft").
#include <gtest/gtest.h>

#include <filesystem>

#include "server/server.h"
#include "tests/server/kv_client.h"

namespace tessera::server {
namespace {

using testing::FreePort;
using testing::KvTestClient;

class GrpcCluster {
 public:
  explicit GrpcCluster(int n) {
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

  // A follower answers NotLeader with the leader's id.
  uint64_t follower = 0;
  for (uint64_t i = 1; i <= 3 && follower == 0; ++i) {
    v1::PutRequest req;
    *req.mutable_header() = KvTestClient::Header();
    req.set_key("k");
    req.set_value("v");
    v1::PutResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(client.stub(i)->Put(&ctx, req, &resp).ok());
    if (resp.error().has_not_leader()) {
      follower = i;
      EXPECT_NE(resp.error().not_leader().leader_node_id(), 0u);
    }
  }
  EXPECT_NE(follower, 0u);

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

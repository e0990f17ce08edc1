#include "pd_test_cluster.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "server/raft_codec.h"
#include "tests/server/kv_client.h"

namespace tessera::testing {

bool PollUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout, int poll_ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return pred();
}

PdTestCluster::PdTestCluster(PdClusterOptions opts) : opts_(std::move(opts)) {
  dir_ = std::filesystem::temp_directory_path() /
         ("tessera-pd-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  std::string endpoints;
  for (int i = 1; i <= opts_.pd_members; ++i) {
    pd_addrs_[i] = "127.0.0.1:" + std::to_string(FreePort());
    endpoints += (i > 1 ? "," : "") + pd_addrs_[i];
  }
  for (int i = 1; i <= opts_.pd_members; ++i) StartPd(i);
  pd::PdClientOptions co;
  co.endpoints = pd::SplitEndpoints(endpoints);
  co.call_deadline_ms = 20000;
  pd_client_ = std::make_unique<pd::PdClient>(co);
  for (int i = 1; i <= opts_.nodes; ++i) StartNode(i);
}

PdTestCluster::~PdTestCluster() {
  for (auto& [i, s] : nodes_) {
    if (s) s->Shutdown(0);
  }
  nodes_.clear();
  for (auto& [i, p] : pds_) {
    if (p) p->Shutdown();
  }
  pds_.clear();
  std::filesystem::remove_all(dir_);
}

void PdTestCluster::StartPd(int member) {
  pd::PdServerConfig c;
  c.member_id = NodeId(member);
  c.data_dir = (dir_ / ("pd" + std::to_string(member))).string();
  c.listen = pd_addrs_.at(member);
  for (const auto& [i, a] : pd_addrs_) {
    c.initial_members += (c.initial_members.empty() ? "" : ",") + std::to_string(i) + "=" + a;
  }
  c.raft.tick_ms = 20;
  c.leadership_check_ms = 50;
  c.schedule_interval_ms = 100;
  c.pd.schedule.node_disconnected_ms = 2000;
  if (opts_.tune_pd) opts_.tune_pd(c);
  auto s = pd::PdServer::Start(c);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  pds_[member] = std::move(s).value();
}

void PdTestCluster::StopPd(int member) {
  pds_.at(member)->Shutdown();
  pds_[member].reset();
}

int PdTestCluster::PdLeader() const {
  for (const auto& [i, p] : pds_) {
    if (p && p->core()->IsLeader()) return i;
  }
  return 0;
}

void PdTestCluster::StartNode(int i) {
  server::ServerConfig c;
  c.data_dir = (dir_ / ("n" + std::to_string(i))).string();
  std::filesystem::create_directories(c.data_dir);
  c.listen = "127.0.0.1:0";
  for (const auto& [m, a] : pd_addrs_) c.pd_endpoints += (c.pd_endpoints.empty() ? "" : ",") + a;
  c.pd_heartbeat_ms = 100;
  c.node.tick_ms = 10;
  if (opts_.tune_node) opts_.tune_node(c);
  auto s = server::Server::Start(c);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  nodes_[i] = std::move(s).value();
}

void PdTestCluster::StopNode(int i) {
  nodes_.at(i)->Shutdown(100);
  nodes_[i].reset();
}

v1::Kv::Stub* PdTestCluster::StubFor(const std::string& address) {
  auto& stub = stubs_[address];
  if (!stub) {
    stub = v1::Kv::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }
  return stub.get();
}

std::string PdTestCluster::AddressOf(NodeId node) {
  auto it = addresses_.find(node);
  if (it != addresses_.end()) return it->second;
  auto nodes = pd_client_->GetNodes();
  if (!nodes.ok()) return "";
  for (const auto& n : *nodes) addresses_[n.info.id] = n.info.address;
  return addresses_.count(node) ? addresses_[node] : "";
}

Status PdTestCluster::Put(const std::string& key, const std::string& value,
                          std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Status last = Status::Timeout("no attempt");
  NodeId hint;
  while (std::chrono::steady_clock::now() < deadline) {
    auto shard = pd_client_->GetShardByKey(key);
    if (!shard.ok()) {
      last = shard.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    const NodeId target = hint ? hint : shard->leader;
    hint = NodeId();
    const std::string addr = target ? AddressOf(target) : "";
    if (addr.empty()) {
      last = Status::Unavailable("no leader known for the key's shard");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    v1::PutRequest req;
    req.mutable_header()->set_shard_id(shard->desc.id.value());
    req.mutable_header()->mutable_epoch()->set_conf_version(shard->desc.epoch.conf_version);
    req.mutable_header()->mutable_epoch()->set_version(shard->desc.epoch.version);
    req.set_key(key);
    req.set_value(value);
    v1::PutResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    grpc::Status g = StubFor(addr)->Put(&ctx, req, &resp);
    if (g.ok() && !resp.has_error()) return Status::OK();
    if (g.ok() && resp.error().has_not_leader())
      hint = NodeId(resp.error().not_leader().leader_node_id());
    last = Status::Unavailable(g.ok() ? resp.error().message() : g.error_message());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return last;
}

Result<std::optional<std::string>> PdTestCluster::Get(const std::string& key,
                                                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Status last = Status::Timeout("no attempt");
  while (std::chrono::steady_clock::now() < deadline) {
    auto shard = pd_client_->GetShardByKey(key);
    const std::string addr = shard.ok() && shard->leader ? AddressOf(shard->leader) : std::string();
    if (addr.empty()) {
      last = shard.ok() ? Status::Unavailable("no leader known") : shard.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    v1::GetRequest req;
    req.mutable_header()->set_shard_id(shard->desc.id.value());
    req.mutable_header()->mutable_epoch()->set_conf_version(shard->desc.epoch.conf_version);
    req.mutable_header()->mutable_epoch()->set_version(shard->desc.epoch.version);
    req.set_key(key);
    v1::GetResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    grpc::Status g = StubFor(addr)->Get(&ctx, req, &resp);
    if (g.ok() && !resp.has_error()) {
      if (!resp.found()) return std::optional<std::string>();
      return std::optional<std::string>(resp.value());
    }
    last = Status::Unavailable(g.ok() ? resp.error().message() : g.error_message());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return last;
}

std::vector<pd::ShardInfo> PdTestCluster::Shards() {
  auto s = pd_client_->ScanShards("", "");
  if (!s.ok()) return {};
  return *s;
}

}  // namespace tessera::testing

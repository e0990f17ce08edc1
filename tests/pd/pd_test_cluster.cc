#include "pd_test_cluster.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "server/raft_codec.h"
#include "tests/server/kv_client.h"

namespace tessera::testing {

void ChangeSignal::Notify() {
  {
    std::lock_guard l(mu_);
    ++count_;
  }
  cv_.notify_all();
}

uint64_t ChangeSignal::count() const {
  std::lock_guard l(mu_);
  return count_;
}

bool ChangeSignal::WaitPast(uint64_t seen, std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock l(mu_);
  return cv_.wait_until(l, deadline, [&] { return count_ > seen; });
}

bool PdTestCluster::WaitUntil(const std::function<bool()>& pred,
                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const uint64_t seen = changes_.count();
    if (pred()) return true;
    if (!changes_.WaitPast(seen, deadline)) return pred();
  }
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
  c.on_change = [this] { changes_.Notify(); };
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

namespace {

// Whether a node's error means that PD's route was stale: the client should wait for PD to learn
// the change rather than retry at once.
bool RouteIsStale(const v1::Error& e) {
  return (e.has_not_leader() && e.not_leader().leader_node_id() == 0) || e.has_epoch_not_match() ||
         e.has_key_not_in_shard() || e.has_shard_not_found();
}

template <typename Request>
void Route(const pd::ShardInfo& shard, Request* req) {
  req->mutable_header()->set_shard_id(shard.desc.id.value());
  req->mutable_header()->mutable_epoch()->set_conf_version(shard.desc.epoch.conf_version);
  req->mutable_header()->mutable_epoch()->set_version(shard.desc.epoch.version);
}

}  // namespace

template <typename Request, typename Response>
Status PdTestCluster::CallRouted(const std::string& key, std::chrono::milliseconds timeout,
                                 Request req, Response* resp,
                                 grpc::Status (v1::Kv::Stub::*method)(grpc::ClientContext*,
                                                                      const Request&, Response*)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Status last = Status::Timeout("no attempt");
  NodeId hint;  // the leader a node named in its last answer
  while (std::chrono::steady_clock::now() < deadline) {
    const uint64_t seen = changes_.count();
    auto shard = pd_client_->GetShardByKey(key);
    const NodeId target = hint ? hint : (shard.ok() ? shard->leader : NodeId());
    hint = NodeId();
    const std::string addr = target ? AddressOf(target) : "";
    if (!shard.ok() || addr.empty()) {
      last =
          shard.ok() ? Status::Unavailable("no leader known for the key's shard") : shard.status();
      changes_.WaitPast(seen, deadline);  // PD will learn better
      continue;
    }
    Route(*shard, &req);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    grpc::Status g = (StubFor(addr)->*method)(&ctx, req, resp);
    if (g.ok() && !resp->has_error()) return Status::OK();
    last = Status::Unavailable(g.ok() ? resp->error().message() : g.error_message());
    if (g.ok() && resp->error().has_not_leader()) {
      hint = NodeId(resp->error().not_leader().leader_node_id());
    }
    // A node that is gone, or an answer that says the route is stale: PD will learn better.
    if (g.error_code() == grpc::StatusCode::UNAVAILABLE || (g.ok() && RouteIsStale(resp->error())))
      changes_.WaitPast(seen, deadline);  // PD will learn better
  }
  return last;
}

Status PdTestCluster::Put(const std::string& key, const std::string& value,
                          std::chrono::milliseconds timeout) {
  v1::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  v1::PutResponse resp;
  return CallRouted(key, timeout, req, &resp, &v1::Kv::Stub::Put);
}

Result<std::optional<std::string>> PdTestCluster::Get(const std::string& key,
                                                      std::chrono::milliseconds timeout) {
  v1::GetRequest req;
  req.set_key(key);
  v1::GetResponse resp;
  TESSERA_RETURN_IF_ERROR(CallRouted(key, timeout, req, &resp, &v1::Kv::Stub::Get));
  if (!resp.found()) return std::optional<std::string>();
  return std::optional<std::string>(resp.value());
}

std::vector<pd::ShardInfo> PdTestCluster::Shards() {
  auto s = pd_client_->ScanShards("", "");
  if (!s.ok()) return {};
  return *s;
}

}  // namespace tessera::testing

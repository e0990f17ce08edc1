#include "tests/multiraft/test_cluster.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <future>
#include <thread>

#include "common/assert.h"
#include "multiraft/local_state.h"
#include "storage/memory_engine.h"

namespace tessera::multiraft::testing {

namespace {
std::string ShardPrefix(uint64_t i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "s%06llu/", static_cast<unsigned long long>(i));
  return buf;
}
}  // namespace

TestCluster::TestCluster(int n, int shards, int workers, bool lease_reads,
                         std::function<void(NodeOptions*)> tweak)
    : n_(n), workers_(workers), lease_reads_(lease_reads), tweak_(std::move(tweak)) {
  std::vector<NodeId> voters;
  for (int i = 1; i <= n; ++i) voters.push_back(NodeId(i));
  for (int s = 1; s <= shards; ++s) {
    ShardDescriptor d;
    d.id = ShardId(s);
    // Shard 1 starts at the beginning of the key space and the last one runs to its end.
    d.start_key = s == 1 ? "" : ShardPrefix(s);
    d.end_key = s == shards ? "" : ShardPrefix(s + 1);
    d.voters = voters;
    shards_[d.id] = d;
  }
  char tmpl[] = "/tmp/tessera-cluster-XXXXXX";
  TESSERA_ASSERT(mkdtemp(tmpl) != nullptr, "mkdtemp");
  dir_ = tmpl;
  nodes_.resize(n);
  for (int i = 1; i <= n; ++i) {
    auto e = storage::OpenMemoryEngine();
    TESSERA_ASSERT(e.ok(), "memory engine");
    engines_.push_back(std::move(e).value());
    transports_.push_back(network_.TransportFor(NodeId(i)));
    snap_dirs_.emplace_back();
    snap_senders_.push_back(snap_net_.SenderFor(NodeId(i)));
    StartNode(NodeId(i));
    for (const auto& [sid, d] : shards_) {
      const Status st = node(NodeId(i))->Bootstrap(d);
      TESSERA_ASSERT(st.ok(), st.ToString().c_str());
    }
  }
}

TestCluster::~TestCluster() {
  for (int i = 1; i <= n_; ++i) {
    if (running(NodeId(i))) StopNode(NodeId(i));
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

NodeId TestCluster::AddNode() {
  const NodeId id(++n_);
  auto e = storage::OpenMemoryEngine();
  TESSERA_ASSERT(e.ok(), "memory engine");
  engines_.push_back(std::move(e).value());
  transports_.push_back(network_.TransportFor(id));
  snap_dirs_.emplace_back();
  snap_senders_.push_back(snap_net_.SenderFor(id));
  nodes_.emplace_back();
  StartNode(id);
  return id;
}

WriteResponse TestCluster::ChangeMembership(NodeId on, ShardId shard, const std::string& changes,
                                            std::chrono::milliseconds timeout) {
  auto parsed = raft::ParseConfChanges(changes);
  TESSERA_ASSERT(parsed.ok(), "bad change text");
  raft::ConfChange cc;
  cc.changes = std::move(parsed).value();
  // Unavailable (the followers have not acknowledged the new leader yet) is retried until the
  // deadline.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<WriteResponse> refused;
  while (true) {
    auto p = std::make_shared<std::promise<WriteResponse>>();
    auto f = p->get_future();
    node(on)->ChangeMembership(shard, this->shard(shard).epoch, cc,
                               [p](WriteResponse r) { p->set_value(std::move(r)); });
    if (f.wait_until(deadline) != std::future_status::ready) {
      if (refused) return *refused;
      return WriteResponse{Status::Timeout("test: no answer in time"), {}, {}};
    }
    WriteResponse r = f.get();
    if (r.status.ok()) {
      for (const auto& d : r.hint.current) Learn(d);
    }
    if (!r.status.Is(Status::Code::kUnavailable) || std::chrono::steady_clock::now() >= deadline) {
      return r;
    }
    refused = r;
    std::this_thread::yield();
  }
}

std::string TestCluster::KeyIn(ShardId id, const std::string& suffix) const {
  return ShardPrefix(id.value()) + suffix;
}

void TestCluster::StartNode(NodeId id) {
  NodeOptions o;
  o.node_id = id;
  o.workers = workers_;
  o.tick_ms = 10;  // fast elections for tests: 100 ms election timeout
  o.election_ticks = 10;
  o.heartbeat_ticks = 2;
  o.lease_reads = lease_reads_;
  o.node_heartbeat_interval_ms = 50;  // node liveness on the same scale
  o.node_dead_after_ms = 200;
  if (tweak_) tweak_(&o);
  const size_t i = id.value() - 1;
  snap_dirs_[i] = std::make_unique<SnapshotDirs>(dir_ + "/node" + std::to_string(id.value()));
  const Status st = snap_dirs_[i]->Open();
  TESSERA_ASSERT(st.ok(), st.ToString().c_str());
  auto node = Node::Open(o, engines_[i].get(), transports_[i].get(),
                         SnapshotServices{snap_senders_[i].get(), snap_dirs_[i].get()});
  TESSERA_ASSERT(node.ok(), node.status().ToString().c_str());
  nodes_[i] = std::move(node).value();
  network_.Register(id, nodes_[i].get());
  snap_net_.Register(id, nodes_[i].get(), snap_dirs_[i].get());
  nodes_[id.value() - 1]->Start();
}

void TestCluster::StopNode(NodeId id) {
  network_.Unregister(id);
  snap_net_.Unregister(id);
  nodes_[id.value() - 1]->Stop();
  nodes_[id.value() - 1].reset();
}

void TestCluster::RestartNode(NodeId id) {
  if (running(id)) StopNode(id);
  StartNode(id);
}

WriteResponse TestCluster::Write(NodeId on, ShardId shard, WriteCommand cmd,
                                 std::chrono::milliseconds timeout) {
  auto p = std::make_shared<std::promise<WriteResponse>>();
  auto f = p->get_future();
  node(on)->Write(shard, std::move(cmd), [p](WriteResponse r) { p->set_value(std::move(r)); });
  if (f.wait_for(timeout) != std::future_status::ready) {
    return WriteResponse{Status::Timeout("test: no answer in time"), {}, {}};
  }
  return f.get();
}

void TestCluster::Learn(const ShardDescriptor& d) {
  auto it = shards_.find(d.id);
  if (it == shards_.end() || it->second.epoch.version < d.epoch.version ||
      (it->second.epoch.version == d.epoch.version &&
       it->second.epoch.conf_version < d.epoch.conf_version)) {
    shards_[d.id] = d;
  }
}

WriteResponse TestCluster::Split(NodeId on, ShardId shard, const std::string& key,
                                 ShardId new_shard, std::chrono::milliseconds timeout) {
  auto p = std::make_shared<std::promise<WriteResponse>>();
  auto f = p->get_future();
  node(on)->Split(
      shard, this->shard(shard).epoch, key, [p](WriteResponse r) { p->set_value(std::move(r)); },
      new_shard);
  if (f.wait_for(timeout) != std::future_status::ready) {
    return WriteResponse{Status::Timeout("test: no answer in time"), {}, {}};
  }
  WriteResponse r = f.get();
  if (r.status.ok()) {
    for (const auto& d : r.hint.current) Learn(d);
  }
  return r;
}

WriteResponse TestCluster::Merge(NodeId on, ShardId source, ShardId target,
                                 std::chrono::milliseconds timeout) {
  auto p = std::make_shared<std::promise<WriteResponse>>();
  auto f = p->get_future();
  node(on)->Merge(source, this->shard(source).epoch, target,
                  [p](WriteResponse r) { p->set_value(std::move(r)); });
  if (f.wait_for(timeout) != std::future_status::ready) {
    return WriteResponse{Status::Timeout("test: no answer in time"), {}, {}};
  }
  WriteResponse r = f.get();
  for (const auto& d : r.hint.current) Learn(d);
  return r;
}

WriteResponse TestCluster::Put(NodeId on, ShardId shard, const std::string& key,
                               const std::string& value, std::chrono::milliseconds timeout) {
  WriteCommand cmd;
  cmd.epoch = this->shard(shard).epoch;
  cmd.ops.push_back(WriteOp{WriteOp::Type::kPut, key, value, {}, {}, false});
  return Write(on, shard, std::move(cmd), timeout);
}

TestCluster::ReadResult TestCluster::Get(NodeId on, ShardId shard, const std::string& key,
                                         ReadConsistency c, std::chrono::milliseconds timeout,
                                         uint64_t max_staleness_ms) {
  ReadRequest q;
  q.shard = shard;
  q.epoch = this->shard(shard).epoch;
  q.consistency = c;
  q.start_key = key;
  q.point = true;
  q.max_staleness_ms = max_staleness_ms;
  auto p = std::make_shared<std::promise<ReadResponse>>();
  auto f = p->get_future();
  node(on)->Read(q, [p](ReadResponse r) { p->set_value(std::move(r)); });
  if (f.wait_for(timeout) != std::future_status::ready) {
    return ReadResult{Status::Timeout("test: no answer in time"), {}, std::nullopt};
  }
  ReadResponse r = f.get();
  ReadResult out{r.status, r.hint, std::nullopt};
  if (r.status.ok()) {
    auto v = node(on)->engine()->Get(storage::Cf::kData, key);
    if (v.ok()) out.value = std::move(v).value();
  }
  return out;
}

std::optional<NodeId> TestCluster::WaitForLeader(ShardId shard, std::chrono::milliseconds timeout,
                                                 std::optional<NodeId> exclude) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // The shard's first key is always inside it ("\x01" for the shard that starts the key space).
  const std::string& start = this->shard(shard).start_key;
  const std::string probe = start.empty() ? std::string("\x01") : start;
  while (std::chrono::steady_clock::now() < deadline) {
    for (int i = 1; i <= n_; ++i) {
      const NodeId id(i);
      if (!running(id) || (exclude && *exclude == id)) continue;
      const auto r =
          Get(id, shard, probe, ReadConsistency::kStrong, std::chrono::milliseconds(300));
      if (r.status.ok()) return id;
    }
  }
  return std::nullopt;
}

WriteResponse TestCluster::PutAnywhere(ShardId shard, const std::string& key,
                                       const std::string& value,
                                       std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  WriteResponse last{Status::Timeout("test: no leader accepted the write"), {}, {}};
  while (std::chrono::steady_clock::now() < deadline) {
    for (int i = 1; i <= n_; ++i) {
      if (!running(NodeId(i))) continue;
      last = Put(NodeId(i), shard, key, value, std::chrono::milliseconds(500));
      if (last.status.ok()) return last;
    }
  }
  return last;
}

}  // namespace tessera::multiraft::testing

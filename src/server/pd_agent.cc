#include "server/pd_agent.h"

#include <chrono>
#include <filesystem>

#include "common/logging.h"
#include "common/thread_name.h"
#include "server/node_ident.h"
#include "storage/engine.h"

namespace tessera::server {

namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Below this many ids in the node's pool the agent asks PD for more; how many it asks for.
constexpr size_t kShardIdLowWater = 32;
constexpr uint32_t kShardIdBatch = 128;
// Heartbeats between two refreshes of the address book.
constexpr int kAddressRefreshEvery = 5;
// Shards estimated below this many keys are counted exactly (a bounded scan).
constexpr uint64_t kExactCountKeys = 4096;

// The engine's estimate for a shard's range, counted exactly when small: the estimate works in
// whole data blocks, so a small range inside a file looks many times its size, and PD would split
// a shard of a few keys again and again.
Result<storage::RangeStats> ShardSize(storage::Engine* engine,
                                      const multiraft::ShardDescriptor& d) {
  auto est = engine->ApproximateRange(storage::Cf::kData, d.start_key, d.end_key);
  if (!est.ok() || est->approximate_keys > kExactCountKeys) return est;
  storage::RangeStats exact;
  auto it = engine->NewIterator(storage::Cf::kData, storage::IterOptions{d.start_key, d.end_key});
  for (it->Seek(d.start_key); it->Valid(); it->Next()) {
    if (++exact.approximate_keys > 4 * kExactCountKeys) return est;  // the estimate was far off
    exact.approximate_bytes += it->key().size() + it->value().size();
  }
  if (!it->status().ok()) return est;
  return exact;
}

}  // namespace

PdAgent::PdAgent(Options opts) : opts_(std::move(opts)) {
  pd::PdClientOptions co;
  co.endpoints = pd::SplitEndpoints(opts_.endpoints);
  client_ = std::make_unique<pd::PdClient>(co);
}

PdAgent::~PdAgent() { Stop(); }

Result<NodeId> PdAgent::Identify() {
  auto ident = ReadNodeIdent(opts_.data_dir);
  if (!ident.ok()) return ident.status();
  if (*ident) {
    const NodeIdent& i = **ident;
    if (opts_.configured_id && opts_.configured_id != i.node_id) {
      return Status::InvalidArgument(
          "config: node_id " + std::to_string(opts_.configured_id.value()) + " but " +
          opts_.data_dir + " belongs to node " + std::to_string(i.node_id.value()));
    }
    pd::PdClientOptions co;
    co.endpoints = pd::SplitEndpoints(opts_.endpoints);
    co.cluster_id = i.cluster_id;  // never join another cluster's PD
    client_ = std::make_unique<pd::PdClient>(co);
    id_ = i.node_id;
    return id_;
  }
  if (opts_.configured_id) {
    id_ = opts_.configured_id;
    // Learn the cluster id before writing the ident.
    auto boot = client_->FirstShard();
    if (!boot.ok()) return boot.status();
  } else {
    auto first = client_->AllocIds(1);
    if (!first.ok()) return first.status();
    id_ = NodeId(*first);
  }
  TESSERA_RETURN_IF_ERROR(WriteNodeIdent(opts_.data_dir, NodeIdent{id_, client_->cluster_id()}));
  Log().info("node {}: identity from PD (cluster {})", id_.value(), client_->cluster_id());
  return id_;
}

Status PdAgent::Join(multiraft::Node* node, StaticAddressResolver* resolver,
                     const std::string& address) {
  node_ = node;
  resolver_ = resolver;
  address_ = address;
  auto reg = client_->RegisterNode(id_, address);
  if (!reg.ok()) return reg.status();
  TESSERA_RETURN_IF_ERROR(BootstrapIfNeeded());
  RefreshAddresses();
  RefillShardIds();
  thread_ = std::thread([this] {
    SetThreadName("pd-agent");
    Loop();
  });
  return Status::OK();
}

Status PdAgent::BootstrapIfNeeded() {
  if (!node_->Shards().empty()) return Status::OK();  // a member of the cluster already
  auto first = client_->FirstShard();
  if (!first.ok()) return first.status();
  if (*first) {
    // A node that bootstrapped PD and stopped before creating its shard creates it now: nobody
    // else can have a replica of a shard whose only voter never started it.
    if ((*first)->voters == std::vector<NodeId>{id_} && (*first)->learners.empty()) {
      Log().info("node {}: creating the first shard it bootstrapped PD with", id_.value());
      return node_->Bootstrap(**first);
    }
    return Status::OK();
  }
  auto sid = client_->AllocIds(1);
  if (!sid.ok()) return sid.status();
  multiraft::ShardDescriptor d;
  d.id = ShardId(*sid);
  d.voters = {id_};
  pd::NodeInfo me{id_, address_, pd::NodeState::kUp, 0, {}};
  pd::ShardDescriptor existing;
  Status s = client_->Bootstrap(me, d, &existing);
  if (s.Is(Status::Code::kAlreadyExists)) {
    if (existing.voters == std::vector<NodeId>{id_} && existing.learners.empty()) {
      return node_->Bootstrap(existing);
    }
    return Status::OK();  // another node was first
  }
  TESSERA_RETURN_IF_ERROR(s);
  Log().info("node {}: bootstrapped the cluster with {}", id_.value(), DescribeShard(d));
  return node_->Bootstrap(d);
}

void PdAgent::Stop() {
  {
    std::lock_guard l(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PdAgent::Loop() {
  int beats = 0;
  std::unique_lock l(mu_);
  while (!stop_) {
    l.unlock();
    HeartbeatOnce();
    if (++beats % kAddressRefreshEvery == 0) RefreshAddresses();
    RefillShardIds();
    l.lock();
    cv_.wait_for(l, std::chrono::milliseconds(opts_.heartbeat_ms), [&] { return stop_; });
  }
}

void PdAgent::RefreshAddresses() {
  auto nodes = client_->GetNodes();
  if (!nodes.ok()) return;
  for (const auto& n : *nodes) {
    if (n.info.id == id_) continue;
    if (n.info.state == pd::NodeState::kTombstone) {
      resolver_->Remove(n.info.id);
    } else {
      resolver_->Set(n.info.id, n.info.address);
    }
  }
}

void PdAgent::RefillShardIds() {
  if (node_->shard_ids_left() >= kShardIdLowWater) return;
  auto first = client_->AllocIds(kShardIdBatch);
  if (first.ok()) node_->AddShardIds(*first, kShardIdBatch);
}

void PdAgent::HeartbeatOnce() {
  const int64_t now = SteadyMs();
  const double secs =
      last_heartbeat_ms_ == 0 ? 0 : static_cast<double>(now - last_heartbeat_ms_) / 1000.0;
  last_heartbeat_ms_ = now;
  std::vector<multiraft::ReplicaReport> reports = node_->Report(1000);
  storage::Engine* engine = node_->engine();

  pd::NodeStats ns;
  std::error_code ec;
  const auto space = std::filesystem::space(opts_.data_dir, ec);
  if (!ec) {
    ns.capacity_bytes = space.capacity;
    ns.available_bytes = space.available;
  }
  if (auto all = engine->ApproximateRange(storage::Cf::kData, "", ""); all.ok()) {
    ns.used_bytes = all->approximate_bytes;
  }
  ns.shard_count = static_cast<uint32_t>(reports.size());
  std::vector<pd::ShardInfo> shards;
  std::map<ShardId, multiraft::ReplicaCounters> counters;
  std::map<ShardId, MeasuredSize> sizes;
  for (const auto& r : reports) {
    counters[r.desc.id] = r.counters;
    auto prev = last_counters_.find(r.desc.id);
    multiraft::ReplicaCounters d;
    if (prev != last_counters_.end() && secs > 0) {
      d.write_ops = r.counters.write_ops - prev->second.write_ops;
      d.write_bytes = r.counters.write_bytes - prev->second.write_bytes;
      d.read_ops = r.counters.read_ops - prev->second.read_ops;
    }
    const double rate = secs > 0 ? 1.0 / secs : 0;
    ns.write_ops_per_sec += static_cast<double>(d.write_ops) * rate;
    ns.write_bytes_per_sec += static_cast<double>(d.write_bytes) * rate;
    ns.read_ops_per_sec += static_cast<double>(d.read_ops) * rate;
    if (!r.leader) continue;
    ++ns.leader_count;
    pd::ShardInfo rep;
    rep.desc = r.desc;
    rep.leader = id_;
    rep.down_replicas = r.down_peers;
    rep.pending_replicas = r.pending_peers;
    rep.term = r.term;
    auto measured = sizes_.find(r.desc.id);
    const bool fresh =
        measured != sizes_.end() && measured->second.version == r.desc.epoch.version &&
        measured->second.term == r.term && measured->second.write_ops == r.counters.write_ops;
    if (fresh) {
      sizes[r.desc.id] = measured->second;
    } else if (auto st = ShardSize(engine, r.desc); st.ok()) {
      sizes[r.desc.id] = {r.desc.epoch.version, r.term, r.counters.write_ops, *st};
    }
    if (auto s = sizes.find(r.desc.id); s != sizes.end()) {
      rep.stats.approximate_size_bytes = s->second.stats.approximate_bytes;
      rep.stats.approximate_keys = s->second.stats.approximate_keys;
    }
    rep.stats.write_ops_per_sec = static_cast<double>(d.write_ops) * rate;
    rep.stats.write_bytes_per_sec = static_cast<double>(d.write_bytes) * rate;
    rep.stats.read_ops_per_sec = static_cast<double>(d.read_ops) * rate;
    shards.push_back(std::move(rep));
  }
  last_counters_ = std::move(counters);
  sizes_ = std::move(sizes);
  std::erase_if(started_,
                [&](const auto& e) { return now - e.second.second >= 3 * opts_.heartbeat_ms; });

  auto state = client_->NodeHeartbeat(id_, ns);
  Result<std::vector<pd::ShardCommand>> cmds =
      state.ok() ? client_->ShardHeartbeat(id_, shards)
                 : Result<std::vector<pd::ShardCommand>>(state.status());
  // Logged when PD stops answering and when it answers again, not at every heartbeat.
  if (!cmds.ok() && !pd_failing_) {
    Log().warn("node {}: PD heartbeats fail: {}", id_.value(), cmds.status().ToString());
  } else if (cmds.ok() && pd_failing_) {
    Log().info("node {}: PD heartbeats work again", id_.value());
  }
  pd_failing_ = !cmds.ok();
  if (!cmds.ok()) return;
  for (const auto& c : *cmds) Execute(c);
}

void PdAgent::Execute(const pd::ShardCommand& cmd) {
  auto local = node_->ranges().Get(cmd.shard);
  if (!local || !(local->epoch == cmd.epoch)) return;  // PD will see the change and move on
  const int64_t now = SteadyMs();
  const std::string what = cmd.step.Describe();
  auto& started = started_[cmd.shard];
  if (started.first == what && now - started.second < 3 * opts_.heartbeat_ms) return;
  started = {what, now};
  const ShardId shard = cmd.shard;
  const NodeId self = id_;
  auto report = [self, shard, what](multiraft::WriteResponse r) {
    if (!r.status.ok()) {
      Log().info("node {}: PD step on shard {} ({}) not done: {}", self.value(), shard.value(),
                 what, r.status.ToString());
    }
  };
  auto change = [&](raft::ConfChangeType type) {
    raft::ConfChange cc;
    cc.changes.push_back(raft::ConfChangeSingle{type, cmd.step.node});
    node_->ChangeMembership(shard, cmd.epoch, std::move(cc), report);
  };
  Log().info("node {}: carrying out PD's step on shard {}: {}", id_.value(), shard.value(), what);
  switch (cmd.step.kind) {
    case pd::Step::Kind::kAddLearner:
      return change(raft::ConfChangeType::kAddLearnerNode);
    case pd::Step::Kind::kPromoteLearner:
      return change(raft::ConfChangeType::kAddNode);
    case pd::Step::Kind::kRemoveReplica:
      return change(raft::ConfChangeType::kRemoveNode);
    case pd::Step::Kind::kTransferLeader:
      return node_->TransferLeader(shard, cmd.step.node, report);
    case pd::Step::Kind::kSplit: {
      std::string key = cmd.step.split_key;
      if (key.empty()) {
        auto k = node_->engine()->SplitKey(storage::Cf::kData, local->start_key, local->end_key);
        if (!k.ok()) return;  // fewer than two keys: nothing to split
        key = std::move(k).value();
      }
      return node_->Split(shard, cmd.epoch, key, report, cmd.step.new_shard);
    }
    case pd::Step::Kind::kMerge:
      return node_->Merge(shard, cmd.epoch, cmd.step.merge_target, report);
  }
}

}  // namespace tessera::server

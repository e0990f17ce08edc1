#include "pd/pd_core.h"

#include <nlohmann/json.hpp>

#include "common/logging.h"
#include "pd/schedulers.h"

namespace tessera::pd {

namespace {

// Metadata keys (docs/pd.md, "Metadata").
const std::string kClusterIdKey = "c/id";
const std::string kBootstrapKey = "c/bootstrap";  // the first shard, EncodeShardDescriptor
const std::string kScheduleKey = "c/schedule";    // ScheduleConfigToJson
const std::string kIdKey = "i/end";               // ids below it are taken (decimal)
const std::string kTsoKey = "t/window";           // the timestamp window end in ms (decimal)
const std::string kSessionKey = "l/session";
const std::string kNodePrefix = "n/";
const std::string kShardPrefix = "s/";

// Fixed-width so that records scan in id order.
std::string IdKey(const std::string& prefix, uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return prefix + buf;
}

std::string EncodeNode(const NodeInfo& n) {
  nlohmann::json j;
  j["id"] = n.id.value();
  j["address"] = n.address;
  j["state"] = static_cast<int>(n.state);
  return j.dump();
}

Result<NodeInfo> DecodeNode(const std::string& s) {
  auto j = nlohmann::json::parse(s, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("PD node record: " + s);
  NodeInfo n;
  try {
    n.id = NodeId(j.at("id").get<uint64_t>());
    n.address = j.at("address").get<std::string>();
    const int st = j.at("state").get<int>();
    if (st < 0 || st > 2) return Status::Corruption("PD node record: bad state");
    n.state = static_cast<NodeState>(st);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("PD node record: ") + e.what());
  }
  return n;
}

Result<uint64_t> ParseDecimal(const std::optional<std::string>& v) {
  if (!v) return uint64_t{0};
  uint64_t x = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return Status::Corruption("PD record: not a number: " + *v);
    x = x * 10 + static_cast<uint64_t>(c - '0');
  }
  return x;
}

}  // namespace

PdCore::PdCore(const PdOptions& opts, MetaStore* store, Clock* clock)
    : opts_(opts), store_(store), clock_(clock) {}

int64_t PdCore::NowMs() const { return clock_->NowNanos() / 1'000'000; }
int64_t PdCore::WallMs() const { return clock_->WallMicros() / 1000; }

bool PdCore::IsLeader() const {
  std::lock_guard l(mu_);
  return leader_;
}

NodeId PdCore::LeaderHint() const {
  if (IsLeader()) return opts_.member_id;
  return store_->leader_hint();
}

uint64_t PdCore::cluster_id() const {
  std::lock_guard l(mu_);
  return cluster_id_;
}

Status PdCore::RequireLeader() const {
  if (!IsLeader()) return Status::NotLeader("not PD's leader");
  return Status::OK();
}

void PdCore::SetChangeListener(std::function<void()> listener) {
  listener_ = listener;
  cluster_.SetChangeListener(std::move(listener));
}

void PdCore::DropSession(const char* why) {
  {
    std::lock_guard l(mu_);
    if (!leader_) return;
    Log().info("PD member {}: leaving the leader's session ({})", opts_.member_id.value(), why);
    leader_ = false;
  }
  if (listener_) listener_();
}

bool PdCore::CheckLeadership() {
  auto v = store_->Get(kSessionKey);
  if (!v.ok()) {
    DropSession(v.status().ToString().c_str());
    return false;
  }
  {
    std::lock_guard l(mu_);
    if (leader_ && *v == nonce_) return true;
  }
  // Raft leader without the session (or someone else's): take it.
  DropSession("session changed hands");
  std::string nonce =
      std::to_string(opts_.member_id.value()) + ":" + std::to_string(random_.Next64());
  auto swapped = store_->CompareAndSwap(kSessionKey, *v, nonce);
  if (!swapped.ok() || !*swapped) return false;
  // Requests are refused (leader_ is false) until everything is loaded.
  if (Status s = Load(); !s.ok()) {
    Log().warn("PD member {}: cannot load the metadata: {}", opts_.member_id.value(), s.ToString());
    return false;
  }
  {
    std::lock_guard l(mu_);
    nonce_ = nonce;
    leader_ = true;
    Log().info("PD member {}: now PD's leader (cluster {}, {} nodes, {} shards)",
               opts_.member_id.value(), cluster_id_, cluster_.Nodes().size(),
               cluster_.shard_count());
  }
  if (listener_) listener_();
  return true;
}

Status PdCore::Load() {
  // The cluster id: made once, by the first leader.
  auto cid = store_->Get(kClusterIdKey);
  if (!cid.ok()) return cid.status();
  if (!*cid) {
    const uint64_t fresh = (static_cast<uint64_t>(WallMs()) << 16) | (random_.Next64() & 0xffff);
    auto ok = store_->CompareAndSwap(kClusterIdKey, std::nullopt, std::to_string(fresh));
    if (!ok.ok()) return ok.status();
    cid = store_->Get(kClusterIdKey);
    if (!cid.ok()) return cid.status();
  }
  auto cluster_id = ParseDecimal(*cid);
  if (!cluster_id.ok()) return cluster_id.status();

  auto boot = store_->Get(kBootstrapKey);
  if (!boot.ok()) return boot.status();
  std::optional<ShardDescriptor> first;
  if (*boot) {
    auto d = multiraft::DecodeShardDescriptor(**boot);
    if (!d.ok()) return d.status();
    first = *d;
  }

  auto ids = store_->Get(kIdKey);
  if (!ids.ok()) return ids.status();
  auto id_end = ParseDecimal(*ids);
  if (!id_end.ok()) return id_end.status();

  ScheduleConfig config = opts_.schedule;
  auto sc = store_->Get(kScheduleKey);
  if (!sc.ok()) return sc.status();
  if (*sc) {
    auto parsed = ScheduleConfigFromJson(**sc, config);
    if (!parsed.ok()) return parsed.status();
    config = *parsed;
  }

  std::vector<NodeInfo> nodes;
  auto nrecs = store_->Scan(kNodePrefix);
  if (!nrecs.ok()) return nrecs.status();
  for (const auto& [k, v] : *nrecs) {
    auto n = DecodeNode(v);
    if (!n.ok()) return n.status();
    nodes.push_back(*n);
  }
  std::vector<ShardDescriptor> shards;
  auto srecs = store_->Scan(kShardPrefix);
  if (!srecs.ok()) return srecs.status();
  for (const auto& [k, v] : *srecs) {
    auto d = multiraft::DecodeShardDescriptor(v);
    if (!d.ok()) return d.status();
    shards.push_back(*d);
  }
  // Bootstrapped, but the first shard's record was not written yet.
  if (shards.empty() && first) shards.push_back(*first);

  // The timestamp window: past everything handed out before.
  auto tw = store_->Get(kTsoKey);
  if (!tw.ok()) return tw.status();
  auto saved = ParseDecimal(*tw);
  if (!saved.ok()) return saved.status();
  {
    std::lock_guard tl(tso_mu_);
    const int64_t end = tso_.Start(WallMs(), static_cast<int64_t>(*saved), opts_.tso_window_ms);
    auto ok = store_->CompareAndSwap(kTsoKey, *tw, std::to_string(end));
    if (!ok.ok()) return ok.status();
    if (!*ok) return Status::Aborted("the timestamp window moved under a new session");
    tso_.Persisted(end);
  }

  cluster_.Load(std::move(nodes), std::move(shards), config, NowMs());
  {
    // Ids are never reused: start past everything any leader reserved.
    std::lock_guard il(id_mu_);
    next_id_ = id_end_ = std::max<uint64_t>(*id_end, 1);
    id_key_present_ = ids->has_value();
  }
  std::lock_guard l(mu_);
  cluster_id_ = *cluster_id;
  first_shard_ = std::move(first);
  return Status::OK();
}

Result<std::optional<ShardDescriptor>> PdCore::FirstShard() {
  std::lock_guard l(mu_);
  if (!leader_) return Status::NotLeader("not PD's leader");
  return first_shard_;
}

Status PdCore::AnswerBootstrapped(const ShardDescriptor& first, const std::string& encoded,
                                  ShardDescriptor* existing) {
  if (multiraft::EncodeShardDescriptor(first) == encoded) return Status::OK();  // our own retry
  if (existing != nullptr) *existing = first;
  return Status::AlreadyExists("the cluster is already bootstrapped");
}

Status PdCore::Bootstrap(const NodeInfo& node, const ShardDescriptor& shard,
                         ShardDescriptor* existing) {
  auto first = FirstShard();
  if (!first.ok()) return first.status();
  const std::string encoded = multiraft::EncodeShardDescriptor(shard);
  if (*first) return AnswerBootstrapped(**first, encoded, existing);
  if (!node.id || shard.voters != std::vector<NodeId>{node.id} || !shard.learners.empty() ||
      !shard.start_key.empty() || !shard.end_key.empty() || !shard.id) {
    return Status::InvalidArgument(
        "bootstrap: the first shard covers every key with the bootstrapping node as its only "
        "voter");
  }
  auto swapped = store_->CompareAndSwap(kBootstrapKey, std::nullopt, encoded);
  if (!swapped.ok()) return swapped.status();
  if (!*swapped) {
    // Another node's bootstrap, answered meanwhile by this same session.
    auto cur = store_->Get(kBootstrapKey);
    if (!cur.ok()) return cur.status();
    if (!*cur) return Status::Aborted("bootstrap: the record vanished; retry");
    auto d = multiraft::DecodeShardDescriptor(**cur);
    if (!d.ok()) return d.status();
    return AnswerBootstrapped(*d, encoded, existing);
  }
  TESSERA_RETURN_IF_ERROR(PersistNode(node));
  TESSERA_RETURN_IF_ERROR(store_->Write({{IdKey(kShardPrefix, shard.id.value()), encoded}}, {}));
  cluster_.PutNode(node);
  ShardInfo info;
  info.desc = shard;
  info.leader = node.id;
  cluster_.HandleShardReport(info, NowMs());
  {
    std::lock_guard l(mu_);
    first_shard_ = shard;
  }
  Log().info("PD: cluster bootstrapped by node {} with {}", node.id.value(), DescribeShard(shard));
  return Status::OK();
}

Status PdCore::ReserveIdsBelowLocked(uint64_t end) {
  if (end <= id_end_) return Status::OK();
  auto ok = store_->CompareAndSwap(
      kIdKey, id_key_present_ ? std::optional<std::string>(std::to_string(id_end_)) : std::nullopt,
      std::to_string(end));
  if (!ok.ok()) return ok.status();
  if (!*ok) {
    // Only a leader of a newer session moves the allocator: ours is over.
    return Status::NotLeader("the id allocator moved: another PD member leads");
  }
  id_end_ = end;
  id_key_present_ = true;
  return Status::OK();
}

Result<uint64_t> PdCore::AllocIds(uint64_t count) {
  if (count == 0 || count > 10000) return Status::InvalidArgument("id count must be 1..10000");
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  Status st;
  uint64_t first = 0;
  {
    std::lock_guard l(id_mu_);
    if (next_id_ + count > id_end_) {
      st = ReserveIdsBelowLocked(std::max(next_id_ + count, id_end_ + opts_.id_batch));
    }
    if (st.ok()) {
      first = next_id_;
      next_id_ += count;
    }
  }
  if (st.Is(Status::Code::kNotLeader)) DropSession("the id allocator moved");
  if (!st.ok()) return st;
  return first;
}

Status PdCore::PersistNode(const NodeInfo& node) {
  return store_->Write({{IdKey(kNodePrefix, node.id.value()), EncodeNode(node)}}, {});
}

Result<NodeId> PdCore::RegisterNode(NodeInfo node) {
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  if (node.address.empty()) return Status::InvalidArgument("a node registers with its address");
  if (!node.id) {
    auto id = AllocIds(1);
    if (!id.ok()) return id.status();
    node.id = NodeId(*id);
  } else {
    // A node started with an id of its own: the allocator must never hand that id out.
    Status st;
    {
      std::lock_guard l(id_mu_);
      if (node.id.value() >= next_id_) {
        st = ReserveIdsBelowLocked(node.id.value() + 1);
        if (st.ok()) next_id_ = node.id.value() + 1;
      }
    }
    if (st.Is(Status::Code::kNotLeader)) DropSession("the id allocator moved");
    TESSERA_RETURN_IF_ERROR(st);
  }
  auto known = cluster_.GetNode(node.id);
  if (known && known->state == NodeState::kTombstone) {
    return Status::InvalidArgument("node " + std::to_string(node.id.value()) +
                                   " was removed (tombstone); start it with an empty data dir");
  }
  if (known) node.state = known->state;
  if (!known || known->address != node.address) TESSERA_RETURN_IF_ERROR(PersistNode(node));
  cluster_.PutNode(node);
  return node.id;
}

Result<NodeState> PdCore::NodeHeartbeat(NodeId node, const NodeStats& stats) {
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  return cluster_.NodeHeartbeat(node, stats, NowMs());
}

Result<std::vector<ShardCommand>> PdCore::ShardHeartbeat(NodeId node,
                                                         const std::vector<ShardInfo>& reports) {
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  std::vector<ShardCommand> commands;
  std::vector<MetaStore::Put> puts;
  std::vector<std::string> deletes;
  for (const auto& r : reports) {
    if (r.leader != node) continue;  // only leaders report
    auto out = cluster_.HandleShardReport(r, NowMs());
    for (const auto& d : out.persist) {
      puts.push_back({IdKey(kShardPrefix, d.id.value()), multiraft::EncodeShardDescriptor(d)});
    }
    for (ShardId id : out.removed) deletes.push_back(IdKey(kShardPrefix, id.value()));
    if (out.command) commands.push_back({r.desc.id, r.desc.epoch, *out.command});
  }
  // Persisted before the reply, so that a new leader routes by what this one answered from.
  TESSERA_RETURN_IF_ERROR(store_->Write(puts, deletes));
  return commands;
}

Result<ShardInfo> PdCore::ShardByKey(std::string_view key) {
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  auto s = cluster_.ShardByKey(key);
  if (!s) return Status::NotFound("no shard known for the key");
  return *s;
}

Result<ShardInfo> PdCore::ShardById(ShardId id) {
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  auto s = cluster_.ShardById(id);
  if (!s) return Status::NotFound("no shard " + std::to_string(id.value()));
  return *s;
}

Result<std::vector<ShardInfo>> PdCore::ScanShards(std::string_view start, std::string_view end,
                                                  size_t limit) {
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  if (!end.empty() && start >= end) return Status::InvalidArgument("start_key >= end_key");
  return cluster_.ScanShards(start, end, limit);
}

Result<std::vector<NodeInfo>> PdCore::Nodes() {
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  return cluster_.Nodes();
}

Status PdCore::SetNodeState(NodeId node, NodeState state) {
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  auto n = cluster_.GetNode(node);
  if (!n) return Status::NotFound("no node " + std::to_string(node.value()));
  if (n->state == NodeState::kTombstone && state != NodeState::kTombstone) {
    return Status::InvalidArgument("a tombstone node cannot come back");
  }
  if (state == NodeState::kTombstone) {
    for (const auto& s : cluster_.ScanShards("", "", 0)) {
      if (s.HasReplicaOn(node)) {
        return Status::InvalidArgument("node " + std::to_string(node.value()) +
                                       " still holds replicas; drain it first");
      }
    }
  }
  n->state = state;
  TESSERA_RETURN_IF_ERROR(PersistNode(*n));
  return cluster_.SetNodeState(node, state);
}

Status PdCore::ConfirmSession() {
  std::unique_lock l(confirm_mu_);
  // A read that starts after this call began: number confirms_started_ + 1 or later.
  const uint64_t need = confirms_started_ + 1;
  while (confirms_done_ < need) {
    if (confirm_running_) {
      confirm_cv_.wait(l);
      continue;
    }
    confirm_running_ = true;
    const uint64_t mine = ++confirms_started_;
    l.unlock();
    std::string nonce;
    {
      std::lock_guard sl(mu_);
      nonce = leader_ ? nonce_ : std::string();
    }
    Status st;
    if (nonce.empty()) {
      st = Status::NotLeader("not PD's leader");
    } else {
      auto v = store_->Get(kSessionKey);
      if (!v.ok()) {
        st = v.status();
      } else if (!*v || **v != nonce) {
        st = Status::NotLeader("another PD member took the session");
      }
    }
    if (!st.ok() && st.Is(Status::Code::kNotLeader)) DropSession("session lost");
    l.lock();
    confirm_running_ = false;
    confirms_done_ = mine;
    confirm_status_ = st;
    confirm_cv_.notify_all();
  }
  return confirm_status_;
}

Status PdCore::ExtendTimestampWindow(int64_t end_ms) {
  // REQUIRES: tso_mu_ held.
  auto ok =
      store_->CompareAndSwap(kTsoKey, std::to_string(tso_.window_end_ms()), std::to_string(end_ms));
  if (!ok.ok()) return ok.status();
  // The caller drops the session after releasing tso_mu_ (lock order: mu_ before tso_mu_).
  if (!*ok) return Status::NotLeader("the timestamp window moved: another PD member leads");
  tso_.Persisted(end_ms);
  return Status::OK();
}

Result<uint64_t> PdCore::GetTimestamps(uint32_t count) {
  if (count == 0 || count > kMaxLogical) {
    return Status::InvalidArgument("timestamp count must be 1.." + std::to_string(kMaxLogical));
  }
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  TESSERA_RETURN_IF_ERROR(ConfirmSession());
  Status st;
  {
    std::lock_guard l(tso_mu_);
    for (int attempt = 0; attempt < 3 && st.ok(); ++attempt) {
      if (auto ts = tso_.Allocate(count, WallMs())) return *ts;
      const int64_t now = WallMs();
      auto end = tso_.Extend(now, opts_.tso_window_ms);
      st = ExtendTimestampWindow(end ? *end : now + opts_.tso_window_ms);
    }
  }
  if (st.Is(Status::Code::kNotLeader)) DropSession("the timestamp window moved");
  if (!st.ok()) return st;
  return Status::Unavailable("the timestamp window cannot keep up with the clock");
}

Status PdCore::StartOperator(Operator op) {
  for (auto& s : op.steps) {
    if (s.kind == Step::Kind::kSplit && !s.new_shard) {
      auto id = AllocIds(1);
      if (!id.ok()) return id.status();
      s.new_shard = ShardId(*id);
    }
  }
  if (!cluster_.AddOperator(op, NowMs())) {
    return Status::Unavailable("shard " + std::to_string(op.shard.value()) +
                               " has an operator running or changed meanwhile");
  }
  return Status::OK();
}

Result<std::string> PdCore::Admin(const AdminRequest& req) {
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  auto s = cluster_.ShardById(req.shard);
  if (!s) return Status::NotFound("no shard " + std::to_string(req.shard.value()));
  if (req.epoch && !(*req.epoch == s->desc.epoch)) {
    return Status::EpochNotMatch("shard " + std::to_string(req.shard.value()) +
                                 " is at another epoch: " + DescribeShard(s->desc));
  }
  auto need_node = [&](bool member) -> Status {
    if (!cluster_.GetNode(req.node))
      return Status::NotFound("no node " + std::to_string(req.node.value()));
    if (member != s->HasReplicaOn(req.node)) {
      return Status::InvalidArgument(member ? "the node holds no replica of the shard"
                                            : "the node already holds a replica of the shard");
    }
    return Status::OK();
  };
  Operator op;
  op.shard = req.shard;
  op.epoch = s->desc.epoch;
  op.kind = "admin";
  op.priority = kPriorityRepair + 1;
  switch (req.kind) {
    case AdminRequest::Kind::kTransferLeader:
      TESSERA_RETURN_IF_ERROR(need_node(true));
      op.steps.push_back({Step::Kind::kTransferLeader, req.node, "", ShardId(), ShardId()});
      break;
    case AdminRequest::Kind::kAddReplica:
      TESSERA_RETURN_IF_ERROR(need_node(false));
      op.steps.push_back({Step::Kind::kAddLearner, req.node, "", ShardId(), ShardId()});
      op.steps.push_back({Step::Kind::kPromoteLearner, req.node, "", ShardId(), ShardId()});
      break;
    case AdminRequest::Kind::kRemoveReplica: {
      TESSERA_RETURN_IF_ERROR(need_node(true));
      if (s->leader == req.node) {
        NodeId other;
        for (NodeId v : s->desc.voters) {
          if (v != req.node) other = v;
        }
        if (!other) return Status::InvalidArgument("cannot remove the shard's only voter");
        op.steps.push_back({Step::Kind::kTransferLeader, other, "", ShardId(), ShardId()});
      }
      op.steps.push_back({Step::Kind::kRemoveReplica, req.node, "", ShardId(), ShardId()});
      break;
    }
    case AdminRequest::Kind::kSplitAt:
      if (!s->desc.ContainsKey(req.split_key) || req.split_key == s->desc.start_key) {
        return Status::InvalidArgument("the split key must lie strictly inside the shard");
      }
      op.steps.push_back({Step::Kind::kSplit, NodeId(), req.split_key, ShardId(), ShardId()});
      break;
    case AdminRequest::Kind::kSplitMiddle:
      op.steps.push_back({Step::Kind::kSplit, NodeId(), "", ShardId(), ShardId()});
      break;
    case AdminRequest::Kind::kMerge: {
      auto t = cluster_.ShardById(req.merge_target);
      if (!t) return Status::NotFound("no shard " + std::to_string(req.merge_target.value()));
      if (t->desc.end_key != s->desc.start_key && s->desc.end_key != t->desc.start_key) {
        return Status::InvalidArgument("the shards are not adjacent");
      }
      op.steps.push_back({Step::Kind::kMerge, NodeId(), "", ShardId(), req.merge_target});
      break;
    }
  }
  const std::string what = op.Describe();
  TESSERA_RETURN_IF_ERROR(StartOperator(std::move(op)));
  return what;
}

Result<std::vector<RunningOperator>> PdCore::Operators() {
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  return cluster_.Operators();
}

Result<std::string> PdCore::CancelOperator(ShardId shard) {
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  auto what = cluster_.CancelOperator(shard);
  if (!what) return Status::NotFound("shard " + std::to_string(shard.value()) + " has no operator");
  return *what;
}

Result<ScheduleConfig> PdCore::GetScheduleConfig() {
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  return cluster_.config();
}

Status PdCore::SetScheduleConfig(const ScheduleConfig& config) {
  TESSERA_RETURN_IF_ERROR(RequireLeader());
  TESSERA_RETURN_IF_ERROR(store_->Write({{kScheduleKey, ScheduleConfigToJson(config)}}, {}));
  cluster_.SetConfig(config);
  return Status::OK();
}

std::map<std::string, uint64_t> PdCore::scheduler_decisions() const {
  std::lock_guard l(stats_mu_);
  return decisions_;
}

size_t PdCore::Tick() {
  if (!IsLeader()) return 0;
  Status st;
  {
    std::lock_guard l(tso_mu_);
    if (auto end = tso_.Extend(WallMs(), opts_.tso_window_ms)) st = ExtendTimestampWindow(*end);
  }
  if (!st.ok()) {
    Log().warn("PD: cannot extend the timestamp window: {}", st.ToString());
    if (st.Is(Status::Code::kNotLeader)) DropSession("the timestamp window moved");
    return 0;
  }
  const int64_t now = NowMs();
  cluster_.ExpireOperators(now);
  size_t started = 0;
  for (auto& op : Schedule(cluster_.View(now))) {
    {
      std::lock_guard l(stats_mu_);
      ++decisions_[op.kind];
    }
    if (StartOperator(std::move(op)).ok()) ++started;
  }
  return started;
}

}  // namespace tessera::pd

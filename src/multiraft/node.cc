#include "multiraft/node.h"

#include <algorithm>
#include <map>

#include "common/logging.h"
#include "multiraft/local_state.h"
#include "storage/write_batch.h"

namespace tessera::multiraft {

using storage::Cf;

Node::Node(const NodeOptions& opts, storage::Engine* engine, Transport* transport)
    : opts_(opts), engine_(engine), transport_(transport) {
  seed_ = opts.random_seed != 0 ? opts.random_seed : SystemRandom().Next64();
  id_rng_ = std::make_unique<SeededRandom>(seed_ ^ opts.node_id.value());
}

Node::~Node() { Stop(); }

Result<std::unique_ptr<Node>> Node::Open(const NodeOptions& opts, storage::Engine* engine,
                                         Transport* transport) {
  TESSERA_RETURN_IF_ERROR(opts.Validate());
  std::unique_ptr<Node> node(new Node(opts, engine, transport));
  auto store = storage::LogStore::Open(engine);
  if (!store.ok()) return store.status();
  node->log_store_ = std::move(store).value();
  for (int i = 0; i < opts.workers; ++i) {
    node->workers_.push_back(
        std::make_unique<Worker>(i, opts, engine, node->log_store_.get(), transport, node.get()));
  }
  TESSERA_RETURN_IF_ERROR(node->Recover());
  return node;
}

Status Node::Recover() {
  size_t n = 0;
  for (const ShardDescriptor& desc : Shards()) {
    auto r = LoadReplica(desc);
    if (!r.ok()) return r.status();
    const bool ok = WorkerFor(desc.id).Submit(AddReplicaTask{std::move(r).value()});
    TESSERA_ASSERT(ok, "a new worker's mailbox refused a replica");
    ++n;
  }
  if (n > 0) Log().info("node {}: recovered {} replicas", opts_.node_id.value(), n);
  return Status::OK();
}

std::vector<ShardDescriptor> Node::Shards() const {
  std::vector<ShardDescriptor> out;
  storage::IterOptions io;
  io.lower_bound = std::string(kShardDescriptorPrefix);
  io.upper_bound =
      std::string(kShardDescriptorPrefix.substr(0, kShardDescriptorPrefix.size() - 1)) + "0";
  auto it = engine_->NewIterator(Cf::kMeta, io);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto d = DecodeShardDescriptor(it->value());
    if (d.ok()) out.push_back(std::move(d).value());
  }
  return out;
}

Result<std::unique_ptr<Replica>> Node::LoadReplica(const ShardDescriptor& desc) {
  auto apply = engine_->Get(Cf::kMeta, ApplyStateKey(desc.id));
  if (!apply.ok()) {
    return Status::Corruption("shard " + std::to_string(desc.id.value()) +
                              " has a descriptor but no apply state: " + apply.status().ToString());
  }
  auto st = DecodeApplyState(*apply);
  if (!st.ok()) return st.status();
  return BuildReplica(desc, *st);
}

Result<std::unique_ptr<Replica>> Node::BuildReplica(const ShardDescriptor& desc,
                                                    const ApplyState& apply) {
  auto r = std::make_unique<Replica>();
  r->desc = desc;
  r->apply = apply;
  r->log = std::make_unique<ReplicaLogStorage>(log_store_->ShardStorage(desc.id), &r->apply);
  // Per replica, a generator of its own: deterministic for a given node seed and shard.
  r->rng = std::make_unique<SeededRandom>(seed_ ^ (desc.id.value() * 0x9e3779b97f4a7c15ULL));
  raft::Config c;
  c.id = opts_.node_id;
  c.election_ticks = opts_.election_ticks;
  c.heartbeat_ticks = opts_.heartbeat_ticks;
  c.storage = r->log.get();
  c.random = r->rng.get();
  c.applied = r->apply.applied_index;
  c.max_msg_bytes = opts_.max_msg_bytes;
  c.max_uncommitted_entries_bytes = opts_.max_uncommitted_bytes;
  c.max_entry_bytes = opts_.max_command_bytes;
  c.check_quorum = true;
  c.pre_vote = true;
  c.read_only_option =
      opts_.lease_reads ? raft::ReadOnlyOption::kLeaseBased : raft::ReadOnlyOption::kSafe;
  auto node = raft::RawNode::Create(c);
  if (!node.ok()) {
    return Status::Corruption("shard " + std::to_string(desc.id.value()) +
                              ": cannot restart its raft group: " + node.status().ToString());
  }
  r->raft = std::move(node).value();
  return r;
}

void Node::AddReplica(std::unique_ptr<Replica> replica) {
  Worker& w = WorkerFor(replica->desc.id);
  const bool ok = w.Submit(AddReplicaTask{std::move(replica)});
  // Replica hand-overs use the urgent allowance; losing one would lose a shard until restart.
  TESSERA_ASSERT(ok, "a worker refused a new replica");
}

ShardId Node::AllocShardId() {
  // Until the placement driver hands out ids: random 62-bit ids (collisions are negligible).
  std::lock_guard<std::mutex> lock(id_mu_);
  uint64_t id = 0;
  while (id < 1024) id = id_rng_->Next64() >> 2;
  return ShardId(id);
}

Status Node::Bootstrap(const ShardDescriptor& desc) {
  std::lock_guard<std::mutex> lock(bootstrap_mu_);
  if (!desc.id) return Status::InvalidArgument("bootstrap: shard id 0");
  if (desc.voters.empty()) return Status::InvalidArgument("bootstrap: a shard needs voters");
  auto existing = engine_->Get(Cf::kMeta, ShardDescriptorKey(desc.id));
  if (existing.ok()) {
    auto d = DecodeShardDescriptor(*existing);
    if (d.ok() && d->start_key == desc.start_key && d->end_key == desc.end_key) return Status::OK();
    return Status::AlreadyExists("bootstrap: this node has another shard with id " +
                                 std::to_string(desc.id.value()));
  }
  raft::ConfState cs;
  cs.voters = desc.voters;
  cs.learners = desc.learners;
  // The log first (synced), then the local metadata that makes the replica visible: a crash in
  // between leaves a log without a descriptor, which the next Bootstrap completes.
  if (!log_store_->State(desc.id).ok()) {
    storage::LogWriteBatch lb;
    lb.ApplySnapshot(desc.id, raft::SnapshotMetadata{cs, kBootstrapIndex, kBootstrapTerm});
    lb.SetHardState(desc.id, raft::HardState{kBootstrapTerm, NodeId(), kBootstrapIndex});
    TESSERA_RETURN_IF_ERROR(log_store_->Write(lb, storage::LogWriteOptions{.sync = true}));
  }
  storage::WriteBatch wb;
  TESSERA_RETURN_IF_ERROR(
      wb.Put(Cf::kMeta, ApplyStateKey(desc.id),
             EncodeApplyState(ApplyState{kBootstrapIndex, kBootstrapTerm, cs})));
  TESSERA_RETURN_IF_ERROR(
      wb.Put(Cf::kMeta, ShardDescriptorKey(desc.id), EncodeShardDescriptor(desc)));
  TESSERA_RETURN_IF_ERROR(engine_->Write(storage::WriteOptions{.sync = true}, wb));
  auto r = LoadReplica(desc);
  if (!r.ok()) return r.status();
  if (!WorkerFor(desc.id).Submit(AddReplicaTask{std::move(r).value()})) {
    return Status::Busy("bootstrap: worker mailbox full");
  }
  return Status::OK();
}

void Node::Start() {
  if (started_) return;
  started_ = true;
  for (auto& w : workers_) w->Start();
}

bool Node::Poll() {
  bool more = false;
  for (auto& w : workers_) more = w->Poll() || more;
  return more;
}

int64_t Node::NextTickNanos() const {
  int64_t next = workers_.front()->next_tick_nanos();
  for (const auto& w : workers_) next = std::min(next, w->next_tick_nanos());
  return next;
}

void Node::Stop() {
  for (auto& w : workers_) w->Stop();
}

void Node::Write(ShardId shard, WriteCommand command, WriteCallback done) {
  // The callback must survive a refused Submit (the task, and the callback in it, would be gone).
  auto shared = std::make_shared<WriteCallback>(std::move(done));
  ProposeTask t{shard, std::move(command), [shared](WriteResponse r) { (*shared)(std::move(r)); }};
  if (!WorkerFor(shard).Submit(std::move(t))) {
    (*shared)(WriteResponse{Status::Busy("server is busy: worker mailbox full"), {}, {}});
  }
}

void Node::Split(ShardId shard, Epoch epoch, std::string split_key, WriteCallback done,
                 ShardId new_shard) {
  auto shared = std::make_shared<WriteCallback>(std::move(done));
  AdminCommand cmd;
  cmd.type = AdminCommand::Type::kSplit;
  cmd.epoch = epoch;
  cmd.split_key = std::move(split_key);
  cmd.new_shard = new_shard ? new_shard : AllocShardId();
  ProposeTask t{shard, {}, [shared](WriteResponse r) { (*shared)(std::move(r)); }, std::move(cmd)};
  if (!WorkerFor(shard).Submit(std::move(t))) {
    (*shared)(WriteResponse{Status::Busy("server is busy: worker mailbox full"), {}, {}});
  }
}

void Node::Read(ReadRequest request, ReadCallback done) {
  auto shared = std::make_shared<ReadCallback>(std::move(done));
  const ShardId shard = request.shard;
  ReadTask t{std::move(request), [shared](ReadResponse r) { (*shared)(std::move(r)); }, 0};
  if (!WorkerFor(shard).Submit(std::move(t))) {
    (*shared)(ReadResponse{Status::Busy("server is busy: worker mailbox full"), {}});
  }
}

void Node::HandleRaftBatch(RaftBatch batch) {
  std::map<size_t, MessagesTask> per_worker;
  for (ShardMessage& m : batch.messages) {
    per_worker[m.shard.value() % workers_.size()].messages.push_back(std::move(m));
  }
  for (auto& [w, task] : per_worker) (void)workers_[w]->Submit(std::move(task));
}

void Node::ReportUnreachable(NodeId to, const std::vector<ShardId>& shards) {
  std::map<size_t, UnreachableTask> per_worker;
  for (ShardId s : shards) {
    auto& t = per_worker[s.value() % workers_.size()];
    t.to = to;
    t.shards.push_back(s);
  }
  for (auto& [w, task] : per_worker) (void)workers_[w]->Submit(std::move(task));
}

Node::Stats Node::stats() const {
  Stats s;
  for (const auto& w : workers_) {
    const WorkerStats& ws = w->stats();
    s.rounds += ws.rounds.load();
    s.log_writes += ws.log_writes.load();
    s.log_syncs += ws.log_syncs.load();
    s.entries_persisted += ws.entries_persisted.load();
    s.entries_applied += ws.entries_applied.load();
    s.messages_sent += ws.messages_sent.load();
    s.batches_sent += ws.batches_sent.load();
  }
  return s;
}

}  // namespace tessera::multiraft

#include "multiraft/node.h"

#include <algorithm>
#include <map>

#include "common/logging.h"
#include "common/thread_name.h"
#include "multiraft/local_state.h"
#include "multiraft/snapshot.h"
#include "storage/write_batch.h"

namespace tessera::multiraft {

using storage::Cf;

Node::Node(const NodeOptions& opts, storage::Engine* engine, Transport* transport,
           SnapshotServices snapshots)
    : opts_(opts),
      engine_(engine),
      transport_(transport),
      snapshots_(snapshots),
      liveness_(opts.clock->NowNanos() / 1'000'000) {
  seed_ = opts.random_seed != 0 ? opts.random_seed : SystemRandom().Next64();
  id_rng_ = std::make_unique<SeededRandom>(seed_ ^ opts.node_id.value());
  poll_rng_ = std::make_unique<SeededRandom>(seed_ ^ (opts.node_id.value() << 32) ^ 0x5bd1e995);
}

Node::~Node() { Stop(); }

template <typename MakeTask>
void Node::SubmitWrite(ShardId shard, WriteCallback done, MakeTask make) {
  // The callback must survive a refused Submit (the task, and the callback in it, would be gone).
  auto shared = std::make_shared<WriteCallback>(std::move(done));
  if (!WorkerFor(shard).Submit(make([shared](WriteResponse r) { (*shared)(std::move(r)); }))) {
    (*shared)(WriteResponse{Status::Busy("server is busy: worker mailbox full"), {}, {}});
  }
}

Result<std::unique_ptr<Node>> Node::Open(const NodeOptions& opts, storage::Engine* engine,
                                         Transport* transport, SnapshotServices snapshots) {
  TESSERA_RETURN_IF_ERROR(opts.Validate());
  std::unique_ptr<Node> node(new Node(opts, engine, transport, snapshots));
  auto store = storage::LogStore::Open(engine);
  if (!store.ok()) return store.status();
  node->log_store_ = std::move(store).value();
  if (opts.apply_threads > 0) node->apply_pool_ = std::make_unique<ApplyPool>(opts.apply_threads);
  for (int i = 0; i < opts.workers; ++i) {
    node->workers_.push_back(std::make_unique<Worker>(
        i, opts, engine, node->log_store_.get(), transport, node.get(), node->apply_pool_.get()));
  }
  TESSERA_RETURN_IF_ERROR(node->Recover());
  return node;
}

Status Node::Recover() {
  // Snapshot installs a crash interrupted are finished first (snapshot.h, the crash protocol).
  auto pending = RecoverPendingSnapshots(engine_);
  if (!pending.ok()) return pending.status();
  std::vector<std::string> keep;
  std::vector<ShardId> unrecoverable;
  for (RecoveredSnapshot& p : *pending) {
    if (!p.status.ok()) {
      Log().error("node {}: shard {} cannot be recovered here: {}", opts_.node_id.value(),
                  p.shard.value(), p.status.ToString());
      keep.push_back(p.dir);
      unrecoverable.push_back(p.shard);
      continue;
    }
    storage::WriteBatch wb;
    TESSERA_RETURN_IF_ERROR(ClearSnapshotPending(&wb, p.shard));
    TESSERA_RETURN_IF_ERROR(
        wb.Put(Cf::kMeta, ShardDescriptorKey(p.shard), EncodeShardDescriptor(p.manifest.desc)));
    TESSERA_RETURN_IF_ERROR(
        wb.Put(Cf::kMeta, ApplyStateKey(p.shard), EncodeApplyState(p.manifest.apply)));
    storage::LogWriteBatch lb;
    const raft::SnapshotMetadata meta{p.manifest.apply.conf_state, p.manifest.apply.applied_index,
                                      p.manifest.apply.applied_term};
    auto state = log_store_->State(p.shard);
    if (!state.ok() || state->snapshot.index < meta.index) {
      lb.ApplySnapshot(p.shard, meta);
      // The Ready that carried the snapshot also carried a hard state committing it: the crash
      // lost it, so write one that commits the snapshot (term and vote kept).
      raft::HardState hs = state.ok() ? state->hard_state : raft::HardState{};
      hs.term = std::max(hs.term, meta.term);
      hs.commit = std::max(hs.commit, meta.index);
      lb.SetHardState(p.shard, hs);
    }
    TESSERA_RETURN_IF_ERROR(
        log_store_->Write(lb, storage::LogWriteOptions{.sync = true, .extra = &wb}));
    Log().info("node {}: finished installing a snapshot of shard {} at index {}",
               opts_.node_id.value(), p.shard.value(), meta.index.value());
  }
  if (snapshots_.dirs != nullptr) {
    auto removed = snapshots_.dirs->CleanupAbandoned(keep);
    if (removed.ok() && *removed > 0) {
      Log().info("node {}: removed {} abandoned snapshot directories", opts_.node_id.value(),
                 *removed);
    }
  }
  // Tombstones.
  storage::IterOptions io;
  io.lower_bound = std::string(kTombstonePrefix);
  io.upper_bound = std::string(kTombstonePrefix.substr(0, kTombstonePrefix.size() - 1)) + "0";
  auto it = engine_->NewIterator(Cf::kMeta, io);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto d = DecodeShardDescriptor(it->value());
    if (!d.ok()) continue;
    ranges_.SetTombstone(d->id, d->epoch.conf_version);
    if (d->epoch.conf_version == ShardRanges::kMergedTombstone)
      ranges_.SetMerged(d->id, d->start_key);
    // A merged shard's log is removed after the merge; a crash in between leaves it here.
    if (d->epoch.conf_version == ShardRanges::kMergedTombstone && log_store_->State(d->id).ok()) {
      storage::LogWriteBatch lb;
      lb.DestroyShard(d->id);
      TESSERA_RETURN_IF_ERROR(log_store_->Write(lb, storage::LogWriteOptions{.sync = false}));
    }
  }
  size_t n = 0;
  for (const ShardDescriptor& desc : Shards()) {
    if (std::find(unrecoverable.begin(), unrecoverable.end(), desc.id) != unrecoverable.end()) {
      continue;
    }
    if (ranges_.Tombstone(desc.id) == ShardRanges::kMergedTombstone) {
      Log().error("node {}: shard {} has a descriptor but was merged away: not recovered",
                  opts_.node_id.value(), desc.id.value());
      continue;
    }
    auto r = LoadReplica(desc);
    if (!r.ok()) return r.status();
    ranges_.Set(desc);
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
  auto r = BuildReplica(desc, *st);
  // Applied its own removal before the restart, but was not destroyed yet.
  if (r.ok()) (*r)->removed = !st->conf_state.Contains(opts_.node_id);
  return r;
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
  // A node that is stopping refuses it, which is fine: the replica is on disk and recovery
  // starts it.
  TESSERA_ASSERT(ok || w.stopping(), "a worker refused a new replica");
}

ShardId Node::AllocShardId() {
  std::lock_guard<std::mutex> lock(id_mu_);
  while (!id_ranges_.empty()) {
    auto& [first, end] = id_ranges_.front();
    if (first < end) return ShardId(first++);
    id_ranges_.pop_front();
  }
  // No id from the placement driver: random 62-bit ids (collisions are negligible).
  uint64_t id = 0;
  while (id < 1024) id = id_rng_->Next64() >> 2;
  return ShardId(id);
}

void Node::AddShardIds(uint64_t first, uint64_t count) {
  std::lock_guard<std::mutex> lock(id_mu_);
  id_ranges_.emplace_back(first, first + count);
}

size_t Node::shard_ids_left() const {
  std::lock_guard<std::mutex> lock(id_mu_);
  size_t n = 0;
  for (const auto& [first, end] : id_ranges_) n += end - first;
  return n;
}

std::vector<ReplicaReport> Node::Report(int timeout_ms) {
  struct Collected {
    std::mutex mu;
    std::condition_variable cv;
    size_t answered = 0;
    std::vector<ReplicaReport> reports;
  };
  auto c = std::make_shared<Collected>();
  size_t asked = 0;
  for (auto& w : workers_) {
    const bool queued = w->Submit(ReportTask{[c](std::vector<ReplicaReport> part) {
      std::lock_guard l(c->mu);
      for (auto& r : part) c->reports.push_back(std::move(r));
      ++c->answered;
      c->cv.notify_all();
    }});
    if (queued) ++asked;
  }
  std::unique_lock l(c->mu);
  c->cv.wait_for(l, std::chrono::milliseconds(timeout_ms), [&] { return c->answered == asked; });
  return std::move(c->reports);
}

Status Node::Bootstrap(const ShardDescriptor& desc) { return Bootstrap(std::vector{desc}); }

Status Node::Bootstrap(const std::vector<ShardDescriptor>& shards) {
  std::lock_guard<std::mutex> lock(bootstrap_mu_);
  std::vector<const ShardDescriptor*> fresh;
  for (const ShardDescriptor& desc : shards) {
    if (!desc.id) return Status::InvalidArgument("bootstrap: shard id 0");
    if (desc.voters.empty()) return Status::InvalidArgument("bootstrap: a shard needs voters");
    // Already bootstrapped here: as it was, or changed since (a split, a membership change; the
    // node restarts with the same initial cluster). A different range under an unchanged epoch
    // is another bootstrap configuration: refused.
    auto existing = engine_->Get(Cf::kMeta, ShardDescriptorKey(desc.id));
    if (existing.ok()) {
      auto d = DecodeShardDescriptor(*existing);
      if (d.ok() && ((d->start_key == desc.start_key && d->end_key == desc.end_key) ||
                     d->epoch.version > 0 || d->epoch.conf_version > 0)) {
        continue;
      }
      return Status::AlreadyExists("bootstrap: this node has another shard with id " +
                                   std::to_string(desc.id.value()));
    }
    // Removed from this node since: never re-created by a restart.
    if (ranges_.Tombstone(desc.id)) continue;
    if (auto other = ranges_.Overlap(desc.start_key, desc.end_key, desc.id)) {
      return Status::AlreadyExists("bootstrap: shard " + std::to_string(desc.id.value()) +
                                   " overlaps shard " + std::to_string(other->value()) +
                                   " on this node");
    }
    fresh.push_back(&desc);
  }
  if (fresh.empty()) return Status::OK();
  // The logs first (one synced write), then the local metadata that makes the replicas visible
  // (another): a crash in between leaves logs without descriptors, which the next Bootstrap
  // completes.
  storage::LogWriteBatch lb;
  storage::WriteBatch wb;
  bool any_log = false;
  for (const ShardDescriptor* desc : fresh) {
    raft::ConfState cs;
    cs.voters = desc->voters;
    cs.learners = desc->learners;
    if (!log_store_->State(desc->id).ok()) {
      lb.ApplySnapshot(desc->id, raft::SnapshotMetadata{cs, kBootstrapIndex, kBootstrapTerm});
      lb.SetHardState(desc->id, raft::HardState{kBootstrapTerm, NodeId(), kBootstrapIndex});
      any_log = true;
    }
    TESSERA_RETURN_IF_ERROR(
        wb.Put(Cf::kMeta, ApplyStateKey(desc->id),
               EncodeApplyState(ApplyState{kBootstrapIndex, kBootstrapTerm, cs})));
    TESSERA_RETURN_IF_ERROR(
        wb.Put(Cf::kMeta, ShardDescriptorKey(desc->id), EncodeShardDescriptor(*desc)));
  }
  if (any_log) {
    TESSERA_RETURN_IF_ERROR(log_store_->Write(lb, storage::LogWriteOptions{.sync = true}));
  }
  TESSERA_RETURN_IF_ERROR(engine_->Write(storage::WriteOptions{.sync = true}, wb));
  for (const ShardDescriptor* desc : fresh) {
    auto r = LoadReplica(*desc);
    if (!r.ok()) return r.status();
    ranges_.Set(*desc);
    if (!WorkerFor(desc->id).Submit(AddReplicaTask{std::move(r).value()})) {
      return Status::Busy("bootstrap: worker mailbox full");
    }
  }
  return Status::OK();
}

void Node::Start() {
  if (started_) return;
  started_ = true;
  bg_thread_ = std::thread([this] {
    SetThreadName("node-background");
    BackgroundLoop();
  });
  if (apply_pool_) apply_pool_->Start();
  for (auto& w : workers_) w->Start();
}

void Node::RunInBackground(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(bg_mu_);
    if (bg_stop_) return;
    bg_jobs_.push_back(std::move(job));
  }
  bg_cv_.notify_one();
}

void Node::BackgroundLoop() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(bg_mu_);
      bg_cv_.wait(lock, [&] { return bg_stop_ || !bg_jobs_.empty(); });
      if (bg_stop_) return;
      job = std::move(bg_jobs_.front());
      bg_jobs_.pop_front();
    }
    job();
  }
}

bool Node::RunBackgroundJobs() {
  std::deque<std::function<void()>> jobs;
  {
    std::lock_guard<std::mutex> lock(bg_mu_);
    jobs.swap(bg_jobs_);
  }
  for (auto& j : jobs) j();
  return !jobs.empty();
}

void Node::SubmitTo(ShardId shard, Task task) { (void)WorkerFor(shard).Submit(std::move(task)); }

void Node::HandleSnapshot(NodeId from, ShardMessage msg, std::string received_dir) {
  const ShardId shard = msg.shard;
  if (!WorkerFor(shard).Submit(SnapshotTask{from, std::move(msg), received_dir})) {
    (void)SnapshotDirs::Remove(received_dir);
  }
}

void Node::TransferLeader(ShardId shard, NodeId to, WriteCallback done) {
  SubmitWrite(shard, std::move(done), [&](WriteCallback cb) {
    return TransferLeaderTask{shard, to, std::move(cb)};
  });
}

void Node::ChangeMembership(ShardId shard, Epoch epoch, raft::ConfChange change,
                            WriteCallback done) {
  WriteCommand cmd;
  cmd.epoch = epoch;  // checked against the shard's epoch like any request
  SubmitWrite(shard, std::move(done), [&](WriteCallback cb) {
    return ProposeTask{shard, std::move(cmd), std::move(cb), std::nullopt, std::move(change)};
  });
}

bool Node::Poll() {
  bool more = RunBackgroundJobs();
  for (auto& w : workers_) more = w->Poll() || more;
  // The apply lags behind the workers' rounds, as it does with threads: by a round, or (drawn
  // from the node's seed) by several. Simulated time does not pass while jobs wait (a Poll with
  // jobs left reports more work).
  if (apply_pool_ && apply_pool_->pending()) {
    if (poll_rng_->Chance(0.6)) apply_pool_->RunPending();
    more = true;
  }
  return more;
}

int64_t Node::NextTickNanos() const {
  int64_t next = workers_.front()->next_tick_nanos();
  for (const auto& w : workers_) next = std::min(next, w->next_tick_nanos());
  return next;
}

void Node::Stop() {
  {
    std::lock_guard<std::mutex> lock(bg_mu_);
    bg_stop_ = true;
    bg_jobs_.clear();
  }
  bg_cv_.notify_all();
  if (bg_thread_.joinable()) bg_thread_.join();
  for (auto& w : workers_) w->Stop();
  // After the workers: what they handed over is applied and answered (jobs may still submit to
  // the stopped workers' mailboxes, which refuse).
  if (apply_pool_) apply_pool_->Stop();
}

void Node::Write(ShardId shard, WriteCommand command, WriteCallback done) {
  SubmitWrite(shard, std::move(done), [&](WriteCallback cb) {
    return ProposeTask{shard, std::move(command), std::move(cb)};
  });
}

void Node::Split(ShardId shard, Epoch epoch, std::string split_key, WriteCallback done,
                 ShardId new_shard) {
  AdminCommand cmd;
  cmd.type = AdminCommand::Type::kSplit;
  cmd.epoch = epoch;
  cmd.split_key = std::move(split_key);
  cmd.new_shard = new_shard ? new_shard : AllocShardId();
  SubmitWrite(shard, std::move(done), [&](WriteCallback cb) {
    return ProposeTask{shard, {}, std::move(cb), std::move(cmd)};
  });
}

void Node::Merge(ShardId source, Epoch epoch, ShardId target, WriteCallback done) {
  const std::optional<ShardDescriptor> t = ranges_.Get(target);
  if (!t) {
    done(WriteResponse{
        Status::ShardNotFound("merge: no replica of the target shard on this node"), {}, {}});
    return;
  }
  AdminCommand cmd;
  cmd.type = AdminCommand::Type::kPrepareMerge;
  cmd.epoch = epoch;
  cmd.merge_target = target;
  cmd.merge_target_epoch = t->epoch;
  SubmitWrite(source, std::move(done), [&](WriteCallback cb) {
    return ProposeTask{source, {}, std::move(cb), std::move(cmd)};
  });
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
  liveness_.Heard(batch.from, opts_.clock->NowNanos() / 1'000'000);
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
    s.wakes += ws.wakes.load();  // first: a wake is counted after its hibernation
    s.hibernations += ws.hibernations.load();
    s.proposals += ws.proposals.load();
    s.entries_committed += ws.entries_committed.load();
    s.mailbox_tasks += static_cast<int64_t>(w->mailbox_depth());
    s.log_sync_seconds.Add(ws.log_sync_seconds.Snap());
    s.round_entries.Add(ws.round_entries.Snap());
  }
  s.hibernating = static_cast<int64_t>(s.hibernations - s.wakes);
  return s;
}

}  // namespace tessera::multiraft

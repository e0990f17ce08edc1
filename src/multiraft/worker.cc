// The worker loop and how each kind of task is taken in. The round's later phases are in
// worker_round.cc.
#include "multiraft/worker.h"

#include <algorithm>

#include "common/logging.h"
#include "common/thread_name.h"
#include "storage/write_batch.h"

namespace tessera::multiraft {

Worker::Worker(int index, const NodeOptions& opts, storage::Engine* engine,
               storage::LogStore* log_store, Transport* transport, ReplicaHost* host,
               ApplyPool* apply_pool)
    : index_(index),
      opts_(opts),
      engine_(engine),
      log_store_(log_store),
      transport_(transport),
      host_(host),
      apply_pool_(apply_pool),
      clock_(opts.clock),
      tick_ns_(int64_t{opts.tick_ms} * 1'000'000),
      mailbox_(opts.mailbox_capacity),
      next_tick_ns_(clock_->NowNanos() + tick_ns_) {}

Worker::~Worker() { Stop(); }

void Worker::Start() {
  TESSERA_ASSERT(!started_.exchange(true), "worker started twice");
  thread_ = std::thread([this] {
    SetThreadName("worker-" + std::to_string(index_));
    Run();
  });
}

void Worker::Stop() {
  mailbox_.Close();
  if (thread_.joinable()) {
    thread_.join();
  } else if (!stopped_) {
    // Polled mode: answer what is still queued or waiting, as the thread would.
    std::vector<Task> tasks;
    mailbox_.TryDrain(&tasks);
    for (Task& t : tasks) {
      const Status s = Status::Unavailable("node stopping");
      if (auto* w = std::get_if<ProposeTask>(&t)) w->done(WriteResponse{s, {}, {}});
      if (auto* r = std::get_if<ReadTask>(&t)) r->done(ReadResponse{s, {}, {}});
      if (auto* a = std::get_if<HintedAnswerTask>(&t)) a->done(std::move(a->response));
    }
    FailEverything();
  }
  stopped_ = true;
}

bool Worker::Submit(Task task) {
  // Raft messages and transport feedback must not be starved by client requests: they may use
  // up to four times the capacity.
  const bool urgent =
      std::holds_alternative<MessagesTask>(task) || std::holds_alternative<UnreachableTask>(task) ||
      std::holds_alternative<AddReplicaTask>(task) || std::holds_alternative<SnapshotTask>(task) ||
      std::holds_alternative<SnapshotStatusTask>(task) ||
      std::holds_alternative<MergeSourceTask>(task) ||
      std::holds_alternative<MergeReadyTask>(task) || std::holds_alternative<MergeDoneTask>(task) ||
      std::holds_alternative<MergeCheckTask>(task) ||
      std::holds_alternative<MergeSourceGoneTask>(task) ||
      std::holds_alternative<ObsoleteReplicaTask>(task) ||
      std::holds_alternative<AppliedTask>(task) || std::holds_alternative<HintedAnswerTask>(task);
  const size_t limit = urgent ? mailbox_.capacity() * 4 : mailbox_.capacity();
  return mailbox_.Push(std::move(task), limit);
}

void Worker::Run() {
  std::vector<Task> tasks;
  bool more = false;  // a replica still had work after the last round: do not wait
  while (true) {
    tasks.clear();
    const auto now = std::chrono::steady_clock::now();
    const int64_t wait_ns = more ? 0 : std::max<int64_t>(0, next_tick_ns_ - clock_->NowNanos());
    if (!mailbox_.DrainUntil(now + std::chrono::nanoseconds(wait_ns), &tasks)) break;
    more = Round(tasks);
  }
  FailEverything();
}

bool Worker::Poll() {
  TESSERA_ASSERT(!started_.load(), "Poll on a worker that runs its own thread");
  std::vector<Task> tasks;
  mailbox_.TryDrain(&tasks);
  return Round(tasks);
}

bool Worker::Round(std::vector<Task>& tasks) {
  CollectAllApplied();
  for (Task& t : tasks) Dispatch(t);
  const int64_t now = clock_->NowNanos();
  if (now >= next_tick_ns_) {
    Tick();
    next_tick_ns_ += tick_ns_;
    if (next_tick_ns_ < now) next_tick_ns_ = now + tick_ns_;  // fell behind: do not burst ticks
  }
  FlushRequests();
  const bool more = ProcessReadies();
  stats_.rounds.fetch_add(1, std::memory_order_relaxed);
  return more;
}

void Worker::FailEverything() {
  for (auto& [id, r] : replicas_) {
    FailAll(*r, Status::Timeout("node stopping: the outcome of the request is unknown"));
  }
}

void Worker::Dispatch(Task& task) {
  std::visit(
      [this](auto& t) {
        using T = std::decay_t<decltype(t)>;
        if constexpr (std::is_same_v<T, MessagesTask>) {
          HandleMessages(t);
        } else if constexpr (std::is_same_v<T, ProposeTask>) {
          HandlePropose(t);
        } else if constexpr (std::is_same_v<T, ReadTask>) {
          HandleRead(t);
        } else if constexpr (std::is_same_v<T, UnreachableTask>) {
          for (ShardId s : t.shards) {
            if (Replica* r = Find(s)) {
              r->raft->ReportUnreachable(t.to);
              Activate(r);
            }
          }
        } else if constexpr (std::is_same_v<T, MergeSourceTask>) {
          HandleMergeSource(t);
        } else if constexpr (std::is_same_v<T, MergeReadyTask>) {
          HandleMergeReady(t);
        } else if constexpr (std::is_same_v<T, MergeDoneTask>) {
          HandleMergeDone(t);
        } else if constexpr (std::is_same_v<T, ObsoleteReplicaTask>) {
          HandleObsoleteReplica(t);
        } else if constexpr (std::is_same_v<T, MergeCheckTask>) {
          HandleMergeCheck(t);
        } else if constexpr (std::is_same_v<T, MergeSourceGoneTask>) {
          HandleMergeSourceGone(t);
        } else if constexpr (std::is_same_v<T, ReportTask>) {
          t.done(Report());
        } else if constexpr (std::is_same_v<T, AppliedTask>) {
          // Progress is collected at the start of every round (CollectAllApplied).
        } else if constexpr (std::is_same_v<T, HintedAnswerTask>) {
          if (Replica* r = Find(t.shard)) t.response.hint = HintFor(*r);
          t.done(std::move(t.response));
        } else if constexpr (std::is_same_v<T, TransferLeaderTask>) {
          Replica* r = Find(t.shard);
          if (r != nullptr && r->merged) r = nullptr;
          if (r != nullptr) Wake(*r, /*tell_leader=*/true);
          if (r == nullptr || !r->initialized) {
            t.done(WriteResponse{
                Status::ShardNotFound("no replica of the shard on this node"), {}, {}});
          } else if (r->raft->soft_state().role != raft::StateRole::kLeader) {
            t.done(WriteResponse{
                Status::NotLeader("this replica is not the leader"), HintFor(*r), {}});
          } else if (!std::binary_search(r->desc.voters.begin(), r->desc.voters.end(), t.to)) {
            t.done(WriteResponse{Status::InvalidArgument("leadership goes to a voter of the shard"),
                                 HintFor(*r),
                                 {}});
          } else {
            // Raft sends TimeoutNow once the transferee is caught up, and abandons the transfer
            // after an election timeout; the answer says it started.
            r->raft->TransferLeader(t.to);
            Activate(r);
            t.done(WriteResponse{Status::OK(), HintFor(*r), {}});
          }
        } else if constexpr (std::is_same_v<T, SnapshotTask>) {
          HandleSnapshot(t);
        } else if constexpr (std::is_same_v<T, SnapshotStatusTask>) {
          if (Replica* r = Find(t.shard)) {
            r->raft->ReportSnapshot(t.to, t.ok);
            Activate(r);
          }
        } else if constexpr (std::is_same_v<T, AddReplicaTask>) {
          const ShardId id = t.replica->desc.id;
          TESSERA_ASSERT(!replicas_.count(id), "replica added twice");
          Replica* r = t.replica.get();
          replicas_.emplace(id, std::move(t.replica));
          awake_.emplace(id, r);
          if (r->campaign_on_start) {
            r->campaign_on_start = false;
            r->raft->Campaign();
          }
          Activate(r);
        }
      },
      task);
}

Replica* Worker::Find(ShardId shard) {
  auto it = replicas_.find(shard);
  return it == replicas_.end() ? nullptr : it->second.get();
}

void Worker::HandleMessages(MessagesTask& t) {
  for (ShardMessage& sm : t.messages) {
    if (sm.notice != ShardNotice::kNone) {
      HandleNotice(sm);
      continue;
    }
    Replica* r = Find(sm.shard);
    if (r != nullptr && r->merged) continue;  // stopped for a merge: gone in a moment
    if (r == nullptr) r = MaybeCreateReplica(sm);
    if (r == nullptr) {
      // A leader that believes this node has a replica (it sent no descriptor) learns otherwise.
      const auto type = sm.msg.type;
      if (auto by = host_->ranges().MergedInto(sm.shard)) {
        // A replica of a shard merged away here, left behind (its node was cut off or removed).
        SendNotice(sm.shard, sm.msg.from, sm.msg.term, ShardNotice::kMerged, std::move(by));
      } else if (!sm.descriptor &&
                 (type == raft::MessageType::kHeartbeat || type == raft::MessageType::kApp)) {
        SendNotice(sm.shard, sm.msg.from, sm.msg.term, ShardNotice::kNoReplica, std::nullopt);
      }
      continue;
    }
    // The sender's replica was removed and its node added back since: its acks of entries (its
    // log may be lost) and its votes must not count for the new replica.
    if (IsStaleIncarnation(*r, sm)) {
      Log().debug("shard {}: dropped a message from an old replica of node {} ({} < {})",
                  sm.shard.value(), sm.msg.from.value(), sm.incarnation,
                  r->apply.JoinedAt(sm.msg.from));
      continue;
    }
    if (std::find(r->heard_from.begin(), r->heard_from.end(), sm.msg.from) == r->heard_from.end()) {
      r->heard_from.push_back(sm.msg.from);
    }
    // Any message but a heartbeat answer (late ones arrive after the leader fell asleep) wakes a
    // hibernating replica; a follower tells its leader unless the leader sent it.
    if (r->hibernating && sm.msg.type != raft::MessageType::kHeartbeatResp) {
      // An append from the leader means it is awake; a heartbeat may be a late one.
      Wake(*r, /*tell_leader=*/sm.msg.from != r->raft->soft_state().lead ||
                   sm.msg.type != raft::MessageType::kApp);
    }
    // A replica removed while it was cut off learns it here. The message is still stepped: this
    // replica may be the one behind (it has not applied the sender's addition yet), and then the
    // sender ignores the notice.
    if (r->initialized && !r->removed && !r->apply.conf_state.Contains(sm.msg.from)) {
      SendNotice(sm.shard, sm.msg.from, r->raft->term(), ShardNotice::kNotMember, r->desc);
    }
    Activate(r);
    const Status s = r->raft->Step(std::move(sm.msg));
    if (!s.ok() && !s.Is(Status::Code::kProposalDropped)) {
      Log().debug("shard {}: dropped a malformed raft message: {}", sm.shard.value(), s.ToString());
    }
  }
}

RouteHint Worker::HintFor(const Replica& r) const {
  RouteHint h;
  h.leader = r.raft->soft_state().lead;
  h.current.push_back(r.desc);
  h.current.insert(h.current.end(), r.split_off.begin(), r.split_off.end());
  return h;
}

Status Worker::CheckAdmin(const Replica& r, const AdminCommand& cmd) const {
  switch (cmd.type) {
    case AdminCommand::Type::kSplit:
      if (r.apply.merge) return Status::InvalidArgument("split: the shard is merging");
      TESSERA_RETURN_IF_ERROR(storage::ValidateKey(cmd.split_key));
      if (!r.desc.ContainsKey(cmd.split_key) || cmd.split_key == r.desc.start_key) {
        return Status::InvalidArgument("split key is not strictly inside " + DescribeShard(r.desc));
      }
      if (!cmd.new_shard || cmd.new_shard == r.desc.id) {
        return Status::InvalidArgument("split: bad new shard id");
      }
      if (!r.apply.conf_state.voters_outgoing.empty()) {
        return Status::InvalidArgument("split: the shard is in a joint configuration");
      }
      return Status::OK();
    case AdminCommand::Type::kCompactLog:
      return Status::OK();
    case AdminCommand::Type::kPrepareMerge: {
      TESSERA_RETURN_IF_ERROR(CheckPrepareMerge(r, cmd));
      if (r.merge_wait) return Status::Busy("merge: the shard is taking over another one");
      // Every replica responding: the commit waits until all hold the prepare entry, so a
      // replica that is down would keep the source frozen.
      for (const raft::PeerProgress& p : r.raft->GetStatus().progress) {
        if (!p.recent_active) {
          return Status::Busy("merge: the replica on node " + std::to_string(p.id.value()) +
                              " does not respond");
        }
      }
      // The target as this node has it: adjacent, on the same nodes, at the epoch named.
      const std::optional<ShardDescriptor> t = host_->ranges().Get(cmd.merge_target);
      if (!t) return Status::ShardNotFound("merge: no replica of the target shard on this node");
      if (!(t->epoch == cmd.merge_target_epoch)) {
        return Status::EpochNotMatch("merge: the target's epoch differs: " + DescribeShard(*t));
      }
      return CheckMergeShape(r.desc, *t);
    }
    case AdminCommand::Type::kCommitMerge:
      return CheckCommitMerge(r, cmd);
    case AdminCommand::Type::kRollbackMerge:
      return Status::OK();
  }
  return Status::InvalidArgument("unknown admin command");
}

Status Worker::CheckEpoch(const Replica& r, const Epoch& epoch, RouteHint* hint) const {
  if (epoch.version != r.desc.epoch.version || epoch.conf_version != r.desc.epoch.conf_version) {
    *hint = HintFor(r);
    return Status::EpochNotMatch("request epoch differs from " + DescribeShard(r.desc));
  }
  return Status::OK();
}

void Worker::HandlePropose(ProposeTask& t) {
  Replica* r = Find(t.shard);
  if (r == nullptr || !r->initialized || r->merged) {
    t.done(WriteResponse{Status::ShardNotFound("no replica of the shard on this node"), {}, {}});
    return;
  }
  const bool rollback = t.admin && t.admin->type == AdminCommand::Type::kRollbackMerge;
  if (r->apply.merge && !rollback) {
    // Frozen until the merge commits (the shard is then gone) or rolls back.
    t.done(WriteResponse{Status::Busy("the shard is merging into shard " +
                                      std::to_string(r->apply.merge->target.value())),
                         HintFor(*r),
                         {}});
    return;
  }
  Wake(*r, /*tell_leader=*/true);
  r->last_request_ms = NowMs();
  RouteHint hint;
  Status s = CheckEpoch(*r, t.admin ? t.admin->epoch : t.command.epoch, &hint);
  if (s.ok() && r->raft->soft_state().role != raft::StateRole::kLeader) {
    hint.leader = r->raft->soft_state().lead;
    s = Status::NotLeader("this replica is not the leader");
  }
  // Admin commands are checked against the whole epoch above (CheckEpoch), then for sense.
  if (s.ok() && t.admin) s = CheckAdmin(*r, *t.admin);
  if (s.ok() && t.admin && t.admin->type == AdminCommand::Type::kSplit &&
      (host_->ranges().Contains(t.admin->new_shard) || log_store_->State(t.admin->new_shard).ok() ||
       host_->ranges().Tombstone(t.admin->new_shard))) {
    // Checked on the leader only (local state must not decide an applied command's outcome).
    s = Status::InvalidArgument("split: shard id " + std::to_string(t.admin->new_shard.value()) +
                                " is in use");
  }
  if (s.ok() && !t.admin) {
    for (const WriteOp& op : t.command.ops) {
      const bool range =
          op.type == WriteOp::Type::kDeleteRange || op.type == WriteOp::Type::kAssertUnchangedSince;
      const bool in =
          range ? r->desc.ContainsRange(op.key, op.end_key) : r->desc.ContainsKey(op.key);
      if (!in) {
        hint = HintFor(*r);
        s = Status::KeyNotInShard("key outside " + DescribeShard(r->desc));
        break;
      }
    }
  }
  if (!s.ok()) {
    t.done(WriteResponse{std::move(s), std::move(hint), {}});
    return;
  }
  if (!t.admin && !t.conf_change) {
    r->counters.write_ops += t.command.ops.size();
    for (const WriteOp& op : t.command.ops) {
      r->counters.write_bytes += op.key.size() + op.value.size() + op.end_key.size();
    }
  }
  if (r->round_writes.empty() && r->round_reads.empty()) touched_.push_back(r);
  r->round_writes.push_back(std::move(t));
}

void Worker::HandleRead(ReadTask& t) {
  Replica* r = Find(t.request.shard);
  if (r == nullptr || !r->initialized || r->merged) {
    t.done(ReadResponse{Status::ShardNotFound("no replica of the shard on this node"), {}});
    return;
  }
  if (r->apply.merge) {
    // The target may take writes to these keys any moment now: no read here is safe.
    t.done(ReadResponse{Status::Busy("the shard is merging into shard " +
                                     std::to_string(r->apply.merge->target.value())),
                        HintFor(*r)});
    return;
  }
  // Before any lease check: a leader that slept has no lease (RawNode::ResumeAfterPause).
  Wake(*r, /*tell_leader=*/true);
  r->last_request_ms = NowMs();
  RouteHint hint;
  Status s = CheckEpoch(*r, t.request.epoch, &hint);
  const ReadRequest& q = t.request;
  if (s.ok()) {
    const bool in =
        q.point ? r->desc.ContainsKey(q.start_key) : r->desc.ContainsRange(q.start_key, q.end_key);
    if (!in) {
      hint = HintFor(*r);
      s = Status::KeyNotInShard("read outside " + DescribeShard(r->desc));
    }
  }
  if (s.ok() && q.consistency == ReadConsistency::kStrong &&
      r->raft->soft_state().role != raft::StateRole::kLeader) {
    hint.leader = r->raft->soft_state().lead;
    s = Status::NotLeader("strong reads are served by the leader");
  }
  if (!s.ok()) {
    t.done(ReadResponse{std::move(s), std::move(hint)});
    return;
  }
  const int64_t now_ms = NowMs();
  t.shard_end_key = r->desc.end_key;
  if (q.consistency == ReadConsistency::kStale && r->fresh_as_of_ms >= 0 &&
      now_ms - r->fresh_as_of_ms <= static_cast<int64_t>(q.max_staleness_ms)) {
    ++r->counters.read_ops;
    t.done(ReadResponse{Status::OK(), {}, t.shard_end_key, r->apply.revision});
    return;
  }
  ++r->counters.read_ops;
  t.issued_ms = now_ms;
  if (r->round_writes.empty() && r->round_reads.empty()) touched_.push_back(r);
  r->round_reads.push_back(std::move(t));
}

void Worker::Tick() {
  // Raft drops a read index request silently when no leader is known or the leader steps down:
  // ask again every election timeout, and give up (Timeout; the client retries elsewhere) after
  // several.
  const int64_t now_ms = NowMs();
  const int64_t election_ms = static_cast<int64_t>(opts_.election_ticks) * opts_.tick_ms;
  std::vector<ShardId> to_destroy;
  SendNodeHeartbeats(now_ms);
  // Node liveness, once per tick. Sleeping replicas are not visited at all, unless a node has
  // just gone silent: then the followers whose leader it was wake up.
  std::vector<NodeId> dead = DeadPeers(now_ms);
  if (dead != last_dead_) {
    std::vector<NodeId> newly;
    std::set_difference(dead.begin(), dead.end(), last_dead_.begin(), last_dead_.end(),
                        std::back_inserter(newly));
    if (!newly.empty()) {
      for (auto& [id, r] : replicas_) {
        if (r->hibernating) TickHibernating(*r, newly);
      }
    }
    last_dead_ = std::move(dead);
  }
  std::vector<Replica*> ticking;
  ticking.reserve(awake_.size());
  for (auto& [id, r] : awake_) ticking.push_back(r);
  for (Replica* r : ticking) {
    if (r->removed &&
        (r->removed_by_notice > 0 || r->raft->soft_state().role != raft::StateRole::kLeader)) {
      to_destroy.push_back(r->desc.id);
      continue;
    }
    // Before the tick, whose heartbeat would make Raft look busy.
    MaybeHibernate(*r, now_ms);
    if (r->hibernating) continue;
    r->raft->Tick();
    Activate(r);
    if (now_ms >= r->next_split_check_ms) {
      r->next_split_check_ms = now_ms + opts_.split_check_interval_ms;
      CheckSplit(*r);
    }
    CheckMerge(*r, now_ms);
    if (r->merge_wait && !r->merge_wait->source_ready &&
        now_ms - r->merge_wait->asked_ms > election_ms) {
      AskMergeSource(*r);
    }
    if (now_ms >= r->next_log_gc_ms) {
      r->next_log_gc_ms = now_ms + opts_.log_gc_interval_ms;
      CheckLogGc(*r);
    }
    // Writes not applied in time: the outcome is unknown (the entry may still commit), so the
    // answer is Timeout, never a failure.
    for (auto& w : r->pending_writes) {
      if (w.done && now_ms - w.proposed_ms > opts_.write_timeout_ms) {
        w.done(WriteResponse{Status::Timeout("not applied in time; the outcome is unknown"),
                             RouteHint{r->raft->soft_state().lead, {}},
                             {}});
        w.done = nullptr;
      }
    }
    for (auto it = r->reads_awaiting_index.begin(); it != r->reads_awaiting_index.end();) {
      Replica::ReadIndexRequest& req = it->second;
      if (now_ms - req.tasks.front().issued_ms > kReadIndexAttempts * election_ms) {
        for (ReadTask& t : req.tasks) {
          t.done(ReadResponse{Status::Timeout("no read index from a leader in time"),
                              RouteHint{r->raft->soft_state().lead, {}}});
        }
        it = r->reads_awaiting_index.erase(it);
        continue;
      }
      if (now_ms - req.requested_ms > election_ms) {
        req.requested_ms = now_ms;
        r->raft->ReadIndex(it->first);
      }
      ++it;
    }
  }
  for (ShardId id : to_destroy) DestroyReplica(id);
}

void Worker::CheckSplit(Replica& r) {
  if (r.raft->soft_state().role != raft::StateRole::kLeader) return;
  if (opts_.split_size_bytes == 0 && opts_.split_keys == 0) return;
  // One split in flight: a split proposed under this epoch that did not apply (a lost proposal,
  // a leader change) is proposed again after a few intervals.
  const int64_t now_ms = NowMs();
  if (r.split_proposed_version == r.desc.epoch.version &&
      now_ms < r.split_proposed_ms + 3 * int64_t{opts_.split_check_interval_ms}) {
    return;
  }
  auto stats = engine_->ApproximateRange(storage::Cf::kData, r.desc.start_key, r.desc.end_key);
  if (!stats.ok()) return;
  const bool big =
      (opts_.split_size_bytes > 0 && stats->approximate_bytes > opts_.split_size_bytes) ||
      (opts_.split_keys > 0 && stats->approximate_keys > opts_.split_keys);
  if (!big) return;
  auto key = engine_->SplitKey(storage::Cf::kData, r.desc.start_key, r.desc.end_key);
  if (!key.ok()) return;
  AdminCommand cmd;
  cmd.type = AdminCommand::Type::kSplit;
  cmd.epoch = r.desc.epoch;
  cmd.split_key = std::move(key).value();
  cmd.new_shard = host_->AllocShardId();
  if (!CheckAdmin(r, cmd).ok()) return;
  Log().info("shard {}: {} bytes, {} keys: proposing a split at a middle key", r.desc.id.value(),
             stats->approximate_bytes, stats->approximate_keys);
  r.split_proposed_version = r.desc.epoch.version;
  r.split_proposed_ms = now_ms;
  const ShardId id = r.desc.id;
  ProposeTask t{id,
                {},
                [id](WriteResponse resp) {
                  if (!resp.status.ok()) {
                    Log().info("shard {}: split by size not done: {}", id.value(),
                               resp.status.ToString());
                  }
                },
                std::move(cmd)};
  if (r.round_writes.empty() && r.round_reads.empty()) touched_.push_back(&r);
  r.round_writes.push_back(std::move(t));
}

void Worker::CheckLogGc(Replica& r) {
  if (r.raft->soft_state().role != raft::StateRole::kLeader) return;
  const raft::NodeStatus st = r.raft->GetStatus();
  const LogIndex first = r.log->FirstIndex();
  const LogIndex applied = r.apply.applied_index;
  // Every peer's match, ours included (the leader's own entry in the progress).
  LogIndex min_match = applied;
  for (const raft::PeerProgress& p : st.progress) min_match = std::min(min_match, p.match);
  LogIndex target;
  if (applied.value() >= first.value() + opts_.log_gc_count_limit) {
    target = applied;  // too long: laggards catch up by snapshot
  } else if (min_match.value() >= first.value() + opts_.log_gc_threshold) {
    target = min_match;  // everybody has these
  } else {
    return;
  }
  AdminCommand cmd;
  cmd.type = AdminCommand::Type::kCompactLog;
  cmd.epoch = r.desc.epoch;
  cmd.compact_index = target;
  const ShardId id = r.desc.id;
  ProposeTask t{id, {}, [](WriteResponse) {}, std::move(cmd)};
  if (r.round_writes.empty() && r.round_reads.empty()) touched_.push_back(&r);
  r.round_writes.push_back(std::move(t));
}

void Worker::FailAll(Replica& r, const Status& s) {
  // Writes already in the log may still commit (another leader can): their outcome is unknown.
  const Status unknown = Status::Timeout("the outcome of the write is unknown: " + s.ToString());
  for (auto& w : r.pending_writes) {
    if (w.done) w.done(WriteResponse{unknown, {}, {}});
  }
  r.pending_writes.clear();
  for (auto& w : r.round_writes) w.done(WriteResponse{s, {}, {}});
  r.round_writes.clear();
  const Status rs = Status::Unavailable("node stopping");
  for (auto& rt : r.round_reads) rt.done(ReadResponse{rs, {}});
  r.round_reads.clear();
  for (auto& [ctx, req] : r.reads_awaiting_index) {
    for (auto& rt : req.tasks) rt.done(ReadResponse{rs, {}});
  }
  r.reads_awaiting_index.clear();
  for (auto& [idx, rt] : r.reads_awaiting_apply) rt.done(ReadResponse{rs, {}});
  r.reads_awaiting_apply.clear();
}

}  // namespace tessera::multiraft

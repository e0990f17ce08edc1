// The phases of a worker round after the mailbox is drained: batch the requests, persist every
// replica's Ready with one log write (one fsync), send, apply in one engine batch, answer.
#include <algorithm>

#include "common/logging.h"
#include "multiraft/apply.h"
#include "multiraft/versioned_value.h"
#include "multiraft/worker.h"

namespace tessera::multiraft {

void Worker::FlushRequests() {
  for (Replica* r : touched_) {
    ProposeWrites(*r);
    RequestReads(*r);
    Activate(r);
  }
  touched_.clear();
}

void Worker::ProposeWrites(Replica& r) {
  if (r.round_writes.empty()) return;
  std::vector<ProposeTask> writes = std::exchange(r.round_writes, {});
  if (r.raft->soft_state().role != raft::StateRole::kLeader) {
    // Deposed by a message earlier in this round.
    for (auto& w : writes) {
      w.done(WriteResponse{Status::NotLeader("this replica is not the leader"),
                           RouteHint{r.raft->soft_state().lead, {}},
                           {}});
    }
    return;
  }
  const int64_t now_ms = NowMs();
  // The revision clock's physical part: wall time (the simulated clock's, in simulations).
  const int64_t wall_ms = clock_->WallMicros() / 1000;
  std::vector<std::string> data;
  std::vector<WriteCallback> callbacks;
  data.reserve(writes.size());
  // Proposals are batched per shard per round: one append, one message per follower. A
  // membership change goes alone, in its place in the order.
  auto flush = [&] {
    if (data.empty()) return;
    const LogIndex first = r.raft->LastIndex().next();
    const Term term = r.raft->term();
    const size_t n = data.size();
    const Status s = r.raft->ProposeBatch(std::exchange(data, {}));
    std::vector<WriteCallback> cbs = std::exchange(callbacks, {});
    if (!s.ok()) {
      for (auto& cb : cbs) cb(WriteResponse{s, {}, {}});
      return;
    }
    stats_.proposals.fetch_add(n, std::memory_order_relaxed);
    for (size_t i = 0; i < cbs.size(); ++i) {
      r.pending_writes.push_back(Replica::PendingWrite{first + i, term, std::move(cbs[i]), now_ms});
    }
  };
  for (auto& w : writes) {
    if (w.conf_change) {
      flush();
      const LogIndex index = r.raft->LastIndex().next();
      const Term term = r.raft->term();
      Status s = CheckLiveQuorumAfter(r, *w.conf_change);
      if (s.ok()) s = r.raft->ProposeConfChange(*w.conf_change);
      if (s.ok()) stats_.proposals.fetch_add(1, std::memory_order_relaxed);
      if (!s.ok()) {
        w.done(WriteResponse{s, HintFor(r), {}});
      } else {
        r.pending_writes.push_back(Replica::PendingWrite{index, term, std::move(w.done), now_ms});
      }
      continue;
    }
    if (!w.admin) w.command.proposed_revision = ProposedRevision(wall_ms);
    std::string bytes = w.admin ? EncodeAdminCommand(*w.admin) : EncodeWriteCommand(w.command);
    if (bytes.size() > opts_.max_command_bytes) {
      w.done(
          WriteResponse{Status::InvalidArgument("command larger than max_command_bytes"), {}, {}});
      continue;
    }
    data.push_back(std::move(bytes));
    callbacks.push_back(std::move(w.done));
  }
  flush();
}

Status Worker::CheckLiveQuorumAfter(const Replica& r, const raft::ConfChange& cc) const {
  // The voters now and after the change (the incoming half when joint).
  const std::vector<NodeId>& before = r.apply.conf_state.voters;
  std::vector<NodeId> after = before;
  for (const raft::ConfChangeSingle& c : cc.changes) {
    std::erase(after, c.node_id);
    if (c.type == raft::ConfChangeType::kAddNode) after.push_back(c.node_id);
  }
  // Live: this leader, and the members that acknowledged part of the log since it was elected.
  // A voter that never got its replica (a node that missed the split that made the shard, say)
  // is not. (Recent activity is not required: it depends on timing, and a voter that answered
  // once is likely to again.)
  const raft::NodeStatus st = r.raft->GetStatus();
  const auto live = [&](const std::vector<NodeId>& voters) {
    int64_t n = 0;
    for (NodeId v : voters) {
      if (v == opts_.node_id) {
        ++n;
        continue;
      }
      for (const raft::PeerProgress& p : st.progress) {
        if (p.id == v && p.match > LogIndex(0)) ++n;
      }
    }
    return n;
  };
  // Spare live voters beyond a quorum; a change may not take the shard below a quorum, nor
  // further below it (adding a caught-up voter to a weakened shard is fine).
  const auto spare = [&](const std::vector<NodeId>& voters) {
    return live(voters) - static_cast<int64_t>(voters.size() / 2 + 1);
  };
  // A voter added without its replica yet catches up from the leader like any follower, as long
  // as the live voters still form a quorum without it: with one voter (or two) a new voter that
  // never answers would leave the shard without a quorum, and a leaderless shard cannot create
  // the missing replica (replicas are created from a leader's messages).
  const int64_t spare_after = spare(after);
  if (!after.empty() && spare_after < 0 && spare_after < spare(before)) {
    return Status::Unavailable("membership change refused: only " + std::to_string(live(after)) +
                               " of " + std::to_string(after.size()) +
                               " voters after it would be live (a quorum is needed); retry when "
                               "the replicas have caught up");
  }
  return Status::OK();
}

void Worker::RequestReads(Replica& r) {
  if (r.round_reads.empty()) return;
  // One read index serves every read of the round (thesis, section 6.4: reads can be batched).
  std::string ctx = std::to_string(index_) + ":" + std::to_string(++read_seq_);
  Replica::ReadIndexRequest& req = r.reads_awaiting_index[ctx];
  req.tasks = std::exchange(r.round_reads, {});
  req.requested_ms = req.tasks.front().issued_ms;
  r.raft->ReadIndex(std::move(ctx));
}

void Worker::Enqueue(std::map<NodeId, RaftBatch>& outbox, Replica& r, raft::Message m) {
  if (m.type == raft::MessageType::kSnap) {
    SendSnapshot(r, std::move(m));  // on its own stream
    return;
  }
  RaftBatch& b = outbox[m.to];
  b.from = opts_.node_id;
  b.to = m.to;
  // Heartbeats to a member not heard from since the last membership change carry the
  // descriptor: a member that has no replica yet creates one from it.
  std::optional<ShardDescriptor> desc;
  if (m.type == raft::MessageType::kHeartbeat &&
      std::find(r.heard_from.begin(), r.heard_from.end(), m.to) == r.heard_from.end()) {
    desc = r.desc;
  }
  ShardMessage sm{r.desc.id, std::move(m), std::move(desc)};
  sm.incarnation = Incarnation(r);
  b.messages.push_back(std::move(sm));
}

void Worker::Send(std::map<NodeId, RaftBatch>& outbox) {
  for (auto& [to, batch] : outbox) {
    stats_.messages_sent.fetch_add(batch.messages.size(), std::memory_order_relaxed);
    stats_.batches_sent.fetch_add(1, std::memory_order_relaxed);
    transport_->Send(std::move(batch));
  }
  outbox.clear();
}

bool Worker::ProcessReadies() {
  std::vector<ReadyItem> items;
  size_t round_entries = 0;
  storage::LogWriteBatch log_batch;
  storage::WriteBatch extra;  // metadata of installed snapshots, written with the log
  std::vector<Replica*> installed;
  bool sync = false;
  std::map<NodeId, RaftBatch> outbox;
  std::vector<Replica*> active = std::exchange(active_, {});
  for (Replica* r : active) r->active = false;
  for (Replica* r : active) {
    if (r->merged || !r->raft->HasReady()) continue;  // a stopped merge source does nothing
    const ShardId id = r->desc.id;
    raft::Ready rd = r->raft->GetReady();
    // The leader's appends go out now, in parallel with its own fsync (thesis, section 10.2.1).
    for (auto& m : rd.messages) Enqueue(outbox, *r, std::move(m));
    if (rd.snapshot) {
      ApplyBarrier(*r);
      InstallSnapshot(*r, *rd.snapshot, &log_batch, &extra);
      installed.push_back(r);
    }
    const LogIndex first_new = rd.entries.empty() ? LogIndex(0) : rd.entries.front().index;
    if (!rd.entries.empty()) {
      round_entries += rd.entries.size();
      stats_.entries_persisted.fetch_add(rd.entries.size(), std::memory_order_relaxed);
      log_batch.Append(id, std::move(rd.entries));
    }
    // A hard state that only advances the commit index is left out (as TiKV does): Raft's safety
    // needs the term and the vote durable, not the commit index, which a restart recovers from
    // the applied index (ReplicaLogStorage) and then from the leader. With many shards each write
    // would otherwise pay one more record in the round's batch.
    if (rd.hard_state && (rd.snapshot || rd.hard_state->term != r->persisted_hs.term ||
                          rd.hard_state->vote != r->persisted_hs.vote)) {
      log_batch.SetHardState(id, *rd.hard_state);
      r->persisted_hs = *rd.hard_state;
    }
    if (r->compact_to > LogIndex(0)) {
      // A compaction applied in an earlier round; the log keeps the entry at compact_to's term.
      if (r->compact_to >= r->log->FirstIndex() && r->compact_to <= r->log->LastIndex()) {
        log_batch.Compact(id, r->compact_to);
      }
      r->compact_to = LogIndex(0);
    }
    sync = sync || rd.must_sync;
    items.push_back(ReadyItem{r, std::move(rd), first_new});
  }
  // A snapshot stepped this round that Raft did not take is dropped (its range released).
  for (Replica* r : active) {
    if (r->incoming_snapshot &&
        std::find(installed.begin(), installed.end(), r) == installed.end()) {
      DropIncomingSnapshot(*r);
    }
  }
  if (items.empty()) return false;
  Send(outbox);
  // Committed entries already in the local log (from earlier rounds) are applied and answered
  // now, before this round's log write and fsync: a write's answer does not wait for the fsync
  // of the writes proposed after it. Entries this round persists (a follower told of a commit
  // beyond what it has stored) are applied after the fsync, as are snapshots.
  ApplyAndAnswer(items, /*durable_only=*/true);
  if (!log_batch.empty() || !extra.empty()) {
    // Group commit: every replica's entries and hard state of this round, one write, one fsync.
    const bool do_sync = (sync || !installed.empty()) && opts_.sync_log;
    const int64_t start_ns = clock_->NowNanos();
    const Status s = log_store_->Write(
        log_batch,
        storage::LogWriteOptions{.sync = do_sync, .extra = extra.empty() ? nullptr : &extra});
    TESSERA_ASSERT(s.ok(), ("raft log write failed: " + s.ToString()).c_str());
    stats_.log_writes.fetch_add(1, std::memory_order_relaxed);
    if (do_sync) {
      stats_.log_syncs.fetch_add(1, std::memory_order_relaxed);
      stats_.log_sync_seconds.ObserveNanos(clock_->NowNanos() - start_ns);
      stats_.round_entries.Observe(static_cast<double>(round_entries));
    }
  }
  for (Replica* r : installed) FinishSnapshot(*r);
  for (auto& it : items) {
    for (auto& m : it.rd.persisted_messages) Enqueue(outbox, *it.replica, std::move(m));
  }
  Send(outbox);
  ApplyAndAnswer(items, /*durable_only=*/false);
  bool more = false;
  for (auto& it : items) {
    HandleReadStates(*it.replica, it.rd.read_states);
    it.replica->raft->Advance();
    ReleaseReads(*it.replica);
    if (it.replica->raft->HasReady()) {
      Activate(it.replica);  // e.g. the leader's own ack advanced the commit index
      more = true;
    }
  }
  return more;
}

void Worker::ApplyAndAnswer(std::vector<ReadyItem>& items, bool durable_only) {
  std::vector<ReadyItem*> taken;
  for (auto& it : items) {
    if (it.applied) continue;
    const raft::Ready& rd = it.rd;
    // Durable: every committed entry was in the local log before this round's write.
    const bool durable =
        !rd.snapshot && !rd.committed_entries.empty() &&
        (it.first_new == LogIndex(0) || rd.committed_entries.back().index < it.first_new);
    if (durable_only && !durable) continue;
    it.applied = true;
    taken.push_back(&it);
  }
  if (taken.empty()) return;
  // Plain writes go to the apply pool; the rest is applied here, once the pool is done with the
  // replica.
  ApplyJob job;
  std::erase_if(taken, [&](ReadyItem* it) {
    if (!CanApplyAsync(*it->replica, it->rd)) return false;
    AddToApplyJob(*it->replica, it->rd, &job);
    return true;
  });
  if (!job.parts.empty()) {
    apply_pool_->Submit(
        static_cast<size_t>(index_),
        [this, job = std::make_shared<ApplyJob>(std::move(job))] { RunApplyJob(*job); });
  }
  if (taken.empty()) return;
  ApplyBatch apply(engine_);
  ApplyEffects fx;
  for (ReadyItem* it : taken) {
    ApplyBarrier(*it->replica);
    ApplyCommitted(*it->replica, it->rd, apply, &fx);
  }
  const Status s = apply.Commit();
  TESSERA_ASSERT(s.ok(), ("apply write failed: " + s.ToString()).c_str());
  for (ReadyItem* it : taken) {
    Replica& r = *it->replica;
    // Membership changes reach the node's ranges (a merge reads its target's epoch there).
    if (r.initialized && !r.incoming_snapshot && !(r.published_epoch == r.desc.epoch)) {
      host_->ranges().Set(r.desc);
      r.published_epoch = r.desc.epoch;
    }
    if (r.merge_requested) MaybeHandOverMergeSource(r);
  }
  // Merged sources are gone from disk: their replicas (on their own workers) let go.
  for (auto& [source, target] : fx.merged) {
    host_->ranges().Merged(source, target);
    host_->SubmitTo(source, MergeDoneTask{source});
  }
  // Shards created by splits exist on disk now: start their replicas (on their own workers).
  for (NewReplica& n : fx.created) {
    host_->ranges().Set(n.parent);
    host_->ranges().Set(n.desc);
    auto replica = host_->BuildReplica(n.desc, n.apply);
    TESSERA_ASSERT(replica.ok(),
                   ("cannot start a split shard: " + replica.status().ToString()).c_str());
    replica.value()->campaign_on_start = n.campaign;
    host_->AddReplica(std::move(replica).value());
  }
  for (auto& [cb, resp] : fx.answers) cb(std::move(resp));
}

WriteCallback Worker::TakePendingWrite(Replica& r, const raft::Entry& e,
                                       std::vector<WriteCallback>* replaced) {
  // Writes are identified by (index, term): an entry at our index with another term means our
  // proposal was replaced by another leader's entry and was never applied.
  WriteCallback mine;
  while (!r.pending_writes.empty() && r.pending_writes.front().index <= e.index) {
    Replica::PendingWrite w = std::move(r.pending_writes.front());
    r.pending_writes.pop_front();
    if (!w.done) continue;  // already answered with Timeout
    if (w.index == e.index && w.term == e.term) {
      mine = std::move(w.done);
    } else {
      replaced->push_back(std::move(w.done));
    }
  }
  return mine;
}

WriteResponse Worker::ReplacedWrite() {
  return WriteResponse{
      Status::ProposalDropped("replaced by another leader's entry; not applied"), {}, {}};
}

void Worker::ApplyCommitted(Replica& r, raft::Ready& rd, ApplyBatch& batch, ApplyEffects* fx) {
  if (rd.committed_entries.empty()) return;
  TESSERA_ASSERT(r.submitted_index <= r.apply.applied_index,
                 "applying on the worker while the apply pool holds entries of the replica");
  // (A removed replica applies nothing after its removal, yet Raft hands out what follows.)
  TESSERA_ASSERT(r.removed || rd.committed_entries.front().index == r.apply.applied_index.next(),
                 "committed entries do not follow the applied index");
  stats_.entries_committed.fetch_add(rd.committed_entries.size(), std::memory_order_relaxed);
  for (const raft::Entry& e : rd.committed_entries) {
    // A replica removed from its group applies nothing more (it is destroyed at the next tick,
    // data included), unless it leads: a removed leader keeps serving until it hands over.
    if (r.removed && r.raft->soft_state().role != raft::StateRole::kLeader) break;
    // A merge waits for its source replica here: the apply stops before the merge's entry and
    // resumes (the entry handed out again) once the source is ready.
    if (MergeMustWait(r, e)) {
      r.raft->PauseApplyAfter(r.apply.applied_index);
      break;
    }
    std::vector<WriteCallback> replaced;
    WriteCallback mine = TakePendingWrite(r, e, &replaced);
    for (WriteCallback& cb : replaced) fx->answers.emplace_back(std::move(cb), ReplacedWrite());
    WriteResponse resp;
    ApplyEntry(r, e, batch, &resp, fx);
    r.apply.applied_index = e.index;
    r.apply.applied_term = e.term;
    if (mine) fx->answers.emplace_back(std::move(mine), std::move(resp));
  }
  batch.SetApplyState(r.desc.id, r.apply);
}

void Worker::ApplyEntry(Replica& r, const raft::Entry& e, ApplyBatch& batch, WriteResponse* resp,
                        ApplyEffects* fx) {
  if (e.type == raft::EntryType::kConfChange) {
    if (r.apply.merge) {
      // A merging source keeps the replicas the merge was prepared with.
      resp->status = Status::InvalidArgument("membership change refused: the shard is merging");
      return;
    }
    auto cc = raft::DecodeConfChange(e.data);
    if (cc.ok()) {
      auto cs = r.raft->ApplyConfChange(*cc);
      if (cs.ok()) {
        const raft::ConfState before = std::move(r.apply.conf_state);
        r.apply.conf_state = *cs;
        r.desc.voters = cs->voters;
        r.desc.learners = cs->learners;
        ++r.desc.epoch.conf_version;
        r.apply.RecordJoins(before, *cs, r.desc.epoch.conf_version);
        batch.SetDescriptor(r.desc);
        // Left the group entirely (not even in an outgoing joint half): destroyed once it does
        // not lead (a removed leader first hands leadership over).
        r.heard_from.clear();  // a member re-added since may have lost its replica
        r.removed = !cs->Contains(opts_.node_id);
        // A removal reported by a notice stands until the local membership is as new.
        if (r.removed_by_notice > 0) {
          if (r.desc.epoch.conf_version >= r.removed_by_notice) {
            r.removed_by_notice = 0;
          } else {
            r.removed = true;
          }
        }
        // The leader tells the nodes it removed at once (best effort): a replica that sleeps, or
        // missed the entry, would otherwise only learn of it when it next sends something.
        if (r.raft->soft_state().role == raft::StateRole::kLeader) {
          for (const auto* set : {&before.voters, &before.learners, &before.voters_outgoing}) {
            for (NodeId n : *set) {
              if (n != opts_.node_id && !cs->Contains(n)) {
                SendNotice(r.desc.id, n, r.raft->term(), ShardNotice::kNotMember, r.desc);
              }
            }
          }
        }
        resp->hint = HintFor(r);
      } else {
        resp->status = cs.status();
      }
    } else {
      resp->status = cc.status();
    }
    return;
  }
  // Every replica refuses the same bytes the same way: the state machines stay equal.
  auto refuse = [&](const Status& s) {
    Log().error("shard {}: undecodable command at index {}: {}", r.desc.id.value(), e.index.value(),
                s.ToString());
    resp->status = s;
  };
  switch (PeekCommandKind(e.data)) {
    case CommandKind::kEmpty:
      return;  // a new leader's empty entry
    case CommandKind::kUnknown:
      refuse(Status::Corruption("unknown command kind"));
      return;
    case CommandKind::kAdmin: {
      auto cmd = DecodeAdminCommand(e.data);
      if (!cmd.ok()) return refuse(cmd.status());
      if (cmd->type == AdminCommand::Type::kCompactLog) {
        // Each replica compacts up to what it has applied (this entry's index at most), in its
        // next log write.
        r.compact_to = std::max(r.compact_to, std::min(cmd->compact_index, e.index));
        return;
      }
      switch (cmd->type) {
        case AdminCommand::Type::kSplit:
          resp->status = ApplySplit(r, *cmd, batch, &fx->created);
          break;
        case AdminCommand::Type::kPrepareMerge:
          resp->status = ApplyPrepareMerge(r, *cmd, e, batch);
          break;
        case AdminCommand::Type::kCommitMerge:
          resp->status = ApplyCommitMerge(r, *cmd, batch, &fx->merged);
          break;
        case AdminCommand::Type::kRollbackMerge:
          resp->status = ApplyRollbackMerge(r, *cmd, batch);
          break;
        case AdminCommand::Type::kCompactLog:
          break;  // above
      }
      resp->hint = HintFor(r);
      return;
    }
    case CommandKind::kWrite: {
      if (r.apply.merge) {
        resp->status = Status::EpochNotMatch("the shard is merging into shard " +
                                             std::to_string(r.apply.merge->target.value()));
        resp->hint = HintFor(r);
        return;
      }
      ApplyWriteEntry(r.desc, e, batch, &r.apply.revision, resp);
      if (resp->status.Is(Status::Code::kEpochNotMatch)) resp->hint = HintFor(r);
      return;
    }
  }
}

Status Worker::ApplySplit(Replica& r, const AdminCommand& cmd, ApplyBatch& batch,
                          std::vector<NewReplica>* created) {
  // The checks depend only on replicated state: every replica decides the same way.
  if (!(cmd.epoch == r.desc.epoch)) {
    return Status::EpochNotMatch("split proposed under another epoch of " + DescribeShard(r.desc));
  }
  TESSERA_RETURN_IF_ERROR(CheckAdmin(r, cmd));
  ShardDescriptor right = r.desc;
  right.id = cmd.new_shard;
  right.start_key = cmd.split_key;
  ++right.epoch.version;
  r.desc.end_key = cmd.split_key;
  ++r.desc.epoch.version;
  ApplyState child{kBootstrapIndex, kBootstrapTerm, r.apply.conf_state, r.apply.joined_at};
  child.revision = r.apply.revision;  // the new shard's revisions continue its parent's
  // The new shard's log first (its start after a snapshot at the bootstrap index), then its
  // descriptor and apply state in the apply batch. Re-applying the split after a crash finds the
  // log already there. The log write is not synced: any later synced write (the new shard's own
  // first entries) makes it and the apply batch before it durable.
  if (!log_store_->State(right.id).ok()) {
    storage::LogWriteBatch lb;
    lb.ApplySnapshot(right.id,
                     raft::SnapshotMetadata{r.apply.conf_state, kBootstrapIndex, kBootstrapTerm});
    lb.SetHardState(right.id, raft::HardState{kBootstrapTerm, NodeId(), kBootstrapIndex});
    const Status s = log_store_->Write(lb, storage::LogWriteOptions{.sync = false});
    TESSERA_ASSERT(s.ok(), ("cannot create the log of a split shard: " + s.ToString()).c_str());
  }
  batch.SetDescriptor(r.desc);
  batch.SetDescriptor(right);
  batch.SetApplyState(right.id, child);
  r.split_off.insert(r.split_off.begin(), right);
  if (r.split_off.size() > 4) r.split_off.pop_back();
  Log().info("shard {}: split at index {}: {} and {}", r.desc.id.value(),
             r.apply.applied_index.value() + 1, DescribeShard(r.desc), DescribeShard(right));
  created->push_back(NewReplica{std::move(right), child,
                                r.raft->soft_state().role == raft::StateRole::kLeader, r.desc});
  return Status::OK();
}

void Worker::HandleReadStates(Replica& r, const std::vector<raft::ReadState>& states) {
  for (const raft::ReadState& rs : states) {
    auto it = r.reads_awaiting_index.find(rs.request_ctx);
    if (it == r.reads_awaiting_index.end()) continue;
    for (ReadTask& t : it->second.tasks) r.reads_awaiting_apply.emplace(rs.index, std::move(t));
    r.reads_awaiting_index.erase(it);
  }
}

void Worker::ReleaseReads(Replica& r) {
  while (!r.reads_awaiting_apply.empty() &&
         r.reads_awaiting_apply.begin()->first <= r.apply.applied_index) {
    ReadTask t = std::move(r.reads_awaiting_apply.begin()->second);
    r.reads_awaiting_apply.erase(r.reads_awaiting_apply.begin());
    if (t.request.epoch.version != r.desc.epoch.version) {
      // A split or merge applied while the read waited: its keys may belong to another shard
      // now, whose replica on this node may lag. The client retries with fresh descriptors.
      t.done(ReadResponse{
          Status::EpochNotMatch("the shard's range changed during the read"), HintFor(r), {}});
      continue;
    }
    r.fresh_as_of_ms = std::max(r.fresh_as_of_ms, t.issued_ms);
    t.done(ReadResponse{Status::OK(), {}, t.shard_end_key, r.apply.revision});
  }
}

}  // namespace tessera::multiraft

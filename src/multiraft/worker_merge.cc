// Merging two adjacent shards on a worker (docs/protocol.md, "Merge").
//
// The source's log freezes the source (kPrepareMerge); the target's log takes it over
// (kCommitMerge) or, once the target's epoch moved past the one the merge requires, the source's
// log ends the merge (kRollbackMerge). On each node the target's apply pauses before the commit
// entry until the node's source replica has applied up to the prepare entry (from its own log:
// the commit is proposed only once every source replica holds it) and stopped; the data needs no
// copy, the two shards share the node's engine.
#include <algorithm>

#include "common/logging.h"
#include "multiraft/apply.h"
#include "multiraft/worker.h"

namespace tessera::multiraft {
namespace {

bool SourceLeftOf(const ShardDescriptor& source, const ShardDescriptor& target) {
  return !target.start_key.empty() && source.end_key == target.start_key;
}

bool SourceRightOf(const ShardDescriptor& source, const ShardDescriptor& target) {
  return !target.end_key.empty() && target.end_key == source.start_key;
}

// Epoch components only grow: a newer one in either means the shard moved past `b`.
bool MovedPast(const Epoch& a, const Epoch& b) {
  return a.version > b.version || a.conf_version > b.conf_version;
}

}  // namespace

Status CheckMergeShape(const ShardDescriptor& source, const ShardDescriptor& target) {
  if (source.id == target.id) return Status::InvalidArgument("merge: a shard with itself");
  if (!SourceLeftOf(source, target) && !SourceRightOf(source, target)) {
    return Status::InvalidArgument("merge: the shards are not adjacent");
  }
  if (source.voters != target.voters || !source.learners.empty() || !target.learners.empty()) {
    return Status::InvalidArgument("merge: the shards' replicas are not on the same nodes");
  }
  return Status::OK();
}

Status Worker::CheckPrepareMerge(const Replica& r, const AdminCommand& cmd) const {
  if (!(cmd.epoch == r.desc.epoch)) {
    return Status::EpochNotMatch("merge proposed under another epoch of " + DescribeShard(r.desc));
  }
  if (r.apply.merge) {
    return Status::InvalidArgument("merge: the shard is already merging into shard " +
                                   std::to_string(r.apply.merge->target.value()));
  }
  if (!cmd.merge_target || cmd.merge_target == r.desc.id) {
    return Status::InvalidArgument("merge: bad target shard id");
  }
  if (!r.desc.learners.empty() || !r.apply.conf_state.voters_outgoing.empty()) {
    return Status::InvalidArgument("merge: the source has learners or a joint configuration");
  }
  return Status::OK();
}

Status Worker::CheckCommitMerge(const Replica& r, const AdminCommand& cmd) const {
  const ShardDescriptor& s = cmd.merge_source;
  if (!(cmd.merge_target_epoch == r.desc.epoch)) {
    return Status::EpochNotMatch("merge: the target's epoch moved on: " + DescribeShard(r.desc));
  }
  if (r.apply.merge) return Status::InvalidArgument("merge: the target is merging itself");
  if (cmd.prepare_index == LogIndex(0)) return Status::InvalidArgument("merge: no prepare entry");
  if (!r.apply.conf_state.voters_outgoing.empty()) {
    return Status::InvalidArgument("merge: the target is in a joint configuration");
  }
  return CheckMergeShape(s, r.desc);
}

Status Worker::ApplyPrepareMerge(Replica& r, const AdminCommand& cmd, const raft::Entry& e,
                                 ApplyBatch& batch) {
  TESSERA_RETURN_IF_ERROR(CheckPrepareMerge(r, cmd));
  r.apply.merge = MergeState{cmd.merge_target, cmd.merge_target_epoch, e.index, e.term};
  ++r.desc.epoch.version;
  batch.SetDescriptor(r.desc);
  r.next_merge_check_ms = 0;
  Log().info("shard {}: prepared to merge into shard {} at index {}", r.desc.id.value(),
             cmd.merge_target.value(), e.index.value());
  return Status::OK();
}

Status Worker::ApplyRollbackMerge(Replica& r, const AdminCommand& cmd, ApplyBatch& batch) {
  if (!r.apply.merge || r.apply.merge->prepare_index != cmd.prepare_index) {
    return Status::EpochNotMatch("rollback of a merge that is not prepared: " +
                                 DescribeShard(r.desc));
  }
  Log().info("shard {}: merge into shard {} rolled back (the target moved on)", r.desc.id.value(),
             r.apply.merge->target.value());
  r.apply.merge.reset();
  ++r.desc.epoch.version;
  batch.SetDescriptor(r.desc);
  return Status::OK();
}

bool Worker::MergeMustWait(Replica& r, const raft::Entry& e) {
  if (e.type != raft::EntryType::kNormal || PeekCommandKind(e.data) != CommandKind::kAdmin) {
    return false;
  }
  auto cmd = DecodeAdminCommand(e.data);
  if (!cmd.ok() || cmd->type != AdminCommand::Type::kCommitMerge) return false;
  if (!CheckCommitMerge(r, *cmd).ok()) return false;  // refused when applied: nothing to wait for
  if (r.merge_wait && r.merge_wait->commit_index == e.index) return !r.merge_wait->source_ready;
  r.merge_wait =
      Replica::MergeWait{cmd->merge_source.id, e.index, cmd->prepare_index, cmd->prepare_term};
  Log().info("shard {}: merge of shard {} at index {} waits for the source replica here",
             r.desc.id.value(), cmd->merge_source.id.value(), e.index.value());
  AskMergeSource(r);
  return true;
}

void Worker::AskMergeSource(Replica& r) {
  const Replica::MergeWait& w = *r.merge_wait;
  r.merge_wait->asked_ms = NowMs();
  host_->SubmitTo(w.shard, MergeSourceTask{w.shard, r.desc.id, w.prepare_index, w.prepare_term});
}

Status Worker::ApplyCommitMerge(Replica& r, const AdminCommand& cmd, ApplyBatch& batch,
                                std::vector<std::pair<ShardId, ShardDescriptor>>* merged) {
  TESSERA_RETURN_IF_ERROR(CheckCommitMerge(r, cmd));
  const ShardDescriptor& s = cmd.merge_source;
  TESSERA_ASSERT(r.merge_wait && r.merge_wait->source_ready && r.merge_wait->shard == s.id,
                 "a merge applied before its source replica was ready");
  if (SourceLeftOf(s, r.desc)) {
    r.desc.start_key = s.start_key;
  } else {
    r.desc.end_key = s.end_key;
  }
  // Above both: requests under either old epoch are refused.
  r.desc.epoch.version = std::max(r.desc.epoch.version, s.epoch.version) + 1;
  // The merged range's revisions continue above both shards' (the source's is final since its
  // prepare entry, the same on every replica).
  r.apply.revision = std::max(r.apply.revision, r.merge_wait->source_revision);
  std::vector<ShardId>& done = r.apply.merged_sources;
  done.insert(done.begin(), s.id);
  if (done.size() > ApplyState::kMaxMergedSources) done.pop_back();
  batch.SetDescriptor(r.desc);
  batch.RemoveMergedSource(s);
  r.merge_wait.reset();
  merged->emplace_back(s.id, r.desc);
  Log().info("shard {}: merged shard {}: {}", r.desc.id.value(), s.id.value(),
             DescribeShard(r.desc));
  return Status::OK();
}

void Worker::HandleMergeSource(const MergeSourceTask& t) {
  Replica* s = Find(t.source);
  if (s == nullptr && host_->ranges().Tombstone(t.source) == ShardRanges::kMergedTombstone) {
    host_->SubmitTo(t.target, MergeSourceGoneTask{t.target, t.source});
    return;
  }
  if (s == nullptr || !s->initialized) {
    // The target asks again; the commit requires every source replica to hold the prepare entry.
    Log().warn("shard {}: the merge into shard {} waits for a source replica not on this node",
               t.source.value(), t.target.value());
    return;
  }
  if (s->merged) {
    host_->SubmitTo(t.target, MergeReadyTask{t.target, t.source, s->apply.revision});
    return;
  }
  s->merge_requested = Replica::MergeWait{t.target, LogIndex(0), t.prepare_index, t.prepare_term};
  if (s->hibernating) Wake(*s, /*tell_leader=*/false);
  if (s->apply.applied_index < t.prepare_index) {
    // The target committed the merge, so the prepare entry is committed: this replica applies up
    // to it from its own log even if no other source replica is left to tell it.
    if (s->raft->CommitKnown(t.prepare_index, t.prepare_term)) {
      Activate(s);
    } else {
      Log().warn("shard {}: merge into shard {}: the prepare entry at {} is not in this log yet",
                 t.source.value(), t.target.value(), t.prepare_index.value());
    }
    return;
  }
  MaybeHandOverMergeSource(*s);
}

void Worker::MaybeHandOverMergeSource(Replica& s) {
  if (!s.merge_requested || s.merged) return;
  const Replica::MergeWait req = *s.merge_requested;
  if (s.apply.applied_index < req.prepare_index) return;
  // A rollback is proposed only once the target can never commit the merge: a source that
  // rolled back (or prepared another merge) while its target committed this one is a broken
  // protocol, and going on would lose or resurrect data.
  TESSERA_ASSERT(s.apply.merge && s.apply.merge->target == req.shard &&
                     s.apply.merge->prepare_index == req.prepare_index,
                 "a merge committed on its target for a prepare its source does not hold");
  s.merged = true;
  FailAll(s, Status::ShardNotFound("the shard was merged into shard " +
                                   std::to_string(req.shard.value())));
  DropIncomingSnapshot(s);
  SetHibernating(s, false);
  awake_.erase(s.desc.id);
  Log().info("shard {}: stopped at index {} for the merge into shard {}", s.desc.id.value(),
             s.apply.applied_index.value(), req.shard.value());
  host_->SubmitTo(req.shard, MergeReadyTask{req.shard, s.desc.id, s.apply.revision});
}

void Worker::HandleMergeSourceGone(const MergeSourceGoneTask& t) {
  Replica* r = Find(t.target);
  if (r == nullptr || !r->merge_wait || r->merge_wait->shard != t.source ||
      r->merge_wait->source_ready) {
    return;
  }
  // The merged data is not on this node any more: only a snapshot of the target (cut after the
  // merge) can bring it. The replica goes without a tombstone; the leader's next heartbeat
  // re-creates it empty, and Raft sends it a snapshot.
  Log().warn(
      "shard {}: the source replica of the merge at index {} is gone here: dropping this "
      "replica to take a snapshot",
      r->desc.id.value(), r->merge_wait->commit_index.value());
  r->merge_wait.reset();
  DestroyReplica(t.target, /*tombstone=*/false);
}

void Worker::HandleMergeReady(const MergeReadyTask& t) {
  Replica* r = Find(t.target);
  if (r == nullptr || !r->merge_wait || r->merge_wait->shard != t.source) return;
  r->merge_wait->source_ready = true;
  r->merge_wait->source_revision = t.source_revision;
  r->raft->ResumeApply();
  Activate(r);
}

void Worker::HandleMergeDone(const MergeDoneTask& t) {
  auto it = replicas_.find(t.source);
  if (it == replicas_.end()) return;
  Replica& s = *it->second;
  TESSERA_ASSERT(s.merged, "a source replica let go before it stopped");
  // Its metadata went with the target's merge; its log goes now (a crash before leaves it to the
  // node's recovery, which removes the logs of merged shards).
  storage::LogWriteBatch lb;
  lb.DestroyShard(t.source);
  const Status st = log_store_->Write(lb, storage::LogWriteOptions{.sync = false});
  TESSERA_ASSERT(st.ok(), ("cannot remove a merged shard's log: " + st.ToString()).c_str());
  ApplyBarrier(s);  // nothing is left in the pool after the prepare entry; kept for the pointer
  std::erase(active_, &s);
  std::erase(touched_, &s);
  awake_.erase(t.source);
  replicas_.erase(it);
}

void Worker::HandleObsoleteReplica(const ObsoleteReplicaTask& t) {
  Replica* r = Find(t.shard);
  if (r == nullptr) return;
  if (t.merged) {
    // The node's target left the merge behind (a snapshot past it, or its own removal): the
    // source replica here will never be handed over.
    Log().info("shard {}: merged away while the target here skipped the merge: destroying",
               t.shard.value());
    r->removed_by_notice = ShardRanges::kMergedTombstone;
    DestroyReplica(t.shard);
    return;
  }
  if (!r->initialized || r->merged || r->merge_requested) return;
  // Versions order the owners of a key over time: every earlier owner of this replica's keys had
  // a lower version (a split gives both halves parent + 1), every later one a higher (a merge
  // gives the target max + 1). A committed state of another shard covering all of this range at
  // a higher version means this shard was merged away: no member will ever need this replica.
  const ShardDescriptor& by = t.by;
  const bool covers =
      by.start_key <= r->desc.start_key &&
      (by.end_key.empty() || (!r->desc.end_key.empty() && r->desc.end_key <= by.end_key));
  if (!covers || by.epoch.version <= r->desc.epoch.version) return;
  Log().info("shard {}: shard {} covers this range at version {} > {}: merged away, destroying",
             r->desc.id.value(), by.id.value(), by.epoch.version, r->desc.epoch.version);
  r->removed_by_notice = ShardRanges::kMergedTombstone;
  DestroyReplica(t.shard);
}

void Worker::CheckMerge(Replica& r, int64_t now_ms) {
  if (!r.apply.merge || r.merged || now_ms < r.next_merge_check_ms) return;
  if (r.raft->soft_state().role != raft::StateRole::kLeader) return;
  r.next_merge_check_ms = now_ms + static_cast<int64_t>(opts_.election_ticks) * opts_.tick_ms;
  const MergeState m = *r.apply.merge;
  MergeCheckTask t;
  t.target = m.target;
  t.commit.type = AdminCommand::Type::kCommitMerge;
  t.commit.epoch = m.target_epoch;
  t.commit.merge_source = r.desc;
  t.commit.merge_target_epoch = m.target_epoch;
  t.commit.prepare_index = m.prepare_index;
  t.commit.prepare_term = m.prepare_term;
  t.rollback.type = AdminCommand::Type::kRollbackMerge;
  t.rollback.epoch = r.desc.epoch;
  t.rollback.prepare_index = m.prepare_index;
  // Every source replica must hold the prepare entry: each node's source replica then reaches it
  // from its own log when the target commits, even once no other source replica is left.
  t.may_commit = true;
  for (const raft::PeerProgress& p : r.raft->GetStatus().progress) {
    if (p.id != opts_.node_id && p.match < m.prepare_index) t.may_commit = false;
  }
  // Decided by the target's replica on this node, on its worker, from its applied state.
  host_->SubmitTo(m.target, std::move(t));
}

void Worker::HandleMergeCheck(const MergeCheckTask& t) {
  Replica* r = Find(t.target);
  const ShardId source = t.commit.merge_source.id;
  if (r == nullptr || !r->initialized) {
    // No applied target here (removed, or not created yet): the source's leadership moves on to
    // the next voter, whose node may have one.
    const std::vector<NodeId>& voters = t.commit.merge_source.voters;
    auto next = std::upper_bound(voters.begin(), voters.end(), opts_.node_id);
    if (next == voters.end()) next = voters.begin();
    if (next != voters.end() && *next != opts_.node_id) {
      host_->SubmitTo(source, TransferLeaderTask{source, *next, [](WriteResponse) {}});
    }
    return;
  }
  // Only an applied state decides: not one being replaced by a snapshot, not one applying a
  // merge right now.
  if (r->incoming_snapshot || r->merged || r->merge_wait) return;
  const std::vector<ShardId>& done = r->apply.merged_sources;
  if (std::find(done.begin(), done.end(), source) != done.end()) return;  // merged already
  const Epoch& required = t.commit.merge_target_epoch;
  if (MovedPast(r->desc.epoch, required)) {
    // This target's applied state went past the required epoch without the merge: the commit
    // entry, if it is ever in the target's log, comes later and is refused everywhere. Only now
    // may the source take writes again.
    Log().info("shard {}: target shard {} moved past epoch {}/{}: the merge rolls back",
               source.value(), t.target.value(), required.conf_version, required.version);
    host_->SubmitTo(source, ProposeTask{source, {}, [](WriteResponse) {}, t.rollback});
    return;
  }
  if (!(r->desc.epoch == required) || !t.may_commit) return;  // lagging here, or not yet
  const NodeId self = opts_.node_id;
  ReplicaHost* host = host_;
  const AdminCommand rollback = t.rollback;
  // When another node leads the target, the source's leadership moves there and that node
  // proposes.
  auto answered = [host, source, self, rollback](WriteResponse resp) {
    const NodeId lead = resp.hint.leader;
    if (resp.status.Is(Status::Code::kNotLeader) && lead && lead != self) {
      host->SubmitTo(source, TransferLeaderTask{source, lead, [](WriteResponse) {}});
    } else if (resp.status.Is(Status::Code::kInvalidArgument)) {
      // Refused by the target at the epoch the merge requires (not adjacent, other replicas, a
      // joint configuration, merging itself): a target's descriptor is fixed by its epoch, so
      // every commit of this merge is refused the same way until that epoch moves on. The
      // merge can never commit: roll back.
      host->SubmitTo(source, ProposeTask{source, {}, [](WriteResponse) {}, rollback});
    }
  };
  ProposeTask p{t.target, {}, std::move(answered), t.commit};
  HandlePropose(p);
}

}  // namespace tessera::multiraft

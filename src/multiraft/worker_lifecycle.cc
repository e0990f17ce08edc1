// Replica lifecycle on a worker: replicas created from a leader's message, snapshots sent and
// installed, and replicas destroyed once they leave their group.
#include <algorithm>

#include "common/logging.h"
#include "multiraft/snapshot.h"
#include "multiraft/worker.h"

namespace tessera::multiraft {

using storage::Cf;

namespace {
bool IsMember(const ShardDescriptor& d, NodeId id) {
  return std::binary_search(d.voters.begin(), d.voters.end(), id) ||
         std::binary_search(d.learners.begin(), d.learners.end(), id);
}
}  // namespace

Replica* Worker::MaybeCreateReplica(const ShardMessage& sm) {
  if (!sm.descriptor || sm.descriptor->id != sm.shard) return nullptr;
  const ShardDescriptor& d = *sm.descriptor;
  if (!IsMember(d, opts_.node_id)) return nullptr;
  // Members of a bootstrapped shard's initial configuration get their replica from Bootstrap,
  // never from a message. Members added by a change (conf version > 0) are created here, and so
  // are members of a shard split off (version > 0) on a node that skipped the split: its replica
  // of the parent caught up by a snapshot cut after the split, so the split never ran here and
  // never will (the parent's range no longer overlaps, checked below).
  if (d.epoch.conf_version == 0 && d.epoch.version == 0) return nullptr;
  // Only a leader's messages create replicas (a candidate of a shard this node has not split
  // yet must not).
  const auto type = sm.msg.type;
  if (type != raft::MessageType::kHeartbeat && type != raft::MessageType::kSnap) return nullptr;
  if (auto tomb = host_->ranges().Tombstone(d.id); tomb && *tomb >= d.epoch.conf_version) {
    return nullptr;  // a message from before this node's replica was removed
  }
  // The range is reserved for the new replica, atomically with the check: a split not applied
  // here yet, a shard being handed over by a split on this node, or one that has not left this
  // node yet make it wait; a snapshot of another shard cannot land over it meanwhile.
  if (auto other = host_->ranges().TryReserve(d, /*allow_existing=*/false)) {
    Log().debug("shard {}: not created from a message: range held by shard {}", d.id.value(),
                other->value());
    return nullptr;
  }
  auto built = host_->BuildReplica(d, ApplyState{});
  if (!built.ok()) {
    host_->ranges().Remove(d.id);
    Log().warn("shard {}: cannot create a replica: {}", d.id.value(), built.status().ToString());
    return nullptr;
  }
  std::unique_ptr<Replica> r = std::move(built).value();
  r->initialized = false;
  Replica* out = r.get();
  replicas_.emplace(d.id, std::move(r));
  awake_.emplace(d.id, out);
  Log().info("shard {}: created an uninitialized replica from node {}'s message", d.id.value(),
             sm.msg.from.value());
  return out;
}

uint64_t Worker::Incarnation(const Replica& r) const {
  // An uninitialized replica was created from a descriptor that lists this node: the node
  // joined at that conf version or before (and the snapshot brings the exact one).
  return r.initialized ? r.apply.JoinedAt(opts_.node_id) : r.desc.epoch.conf_version;
}

bool Worker::IsStaleIncarnation(const Replica& r, const ShardMessage& sm) const {
  if (!r.initialized || sm.incarnation >= r.apply.JoinedAt(sm.msg.from)) return false;
  // What an old replica must not do for the new one: acknowledge entries (its log may be
  // destroyed with its removal), vote or ask for votes, or take leadership over. Rejections and
  // heartbeat answers pass: they only make the leader probe, and the old replica may well catch
  // up through them, apply its re-addition and become the current incarnation.
  switch (sm.msg.type) {
    case raft::MessageType::kAppResp:
      return !sm.msg.reject;
    case raft::MessageType::kVote:
    case raft::MessageType::kVoteResp:
    case raft::MessageType::kPreVote:
    case raft::MessageType::kPreVoteResp:
    case raft::MessageType::kTimeoutNow:
    case raft::MessageType::kTransferLeader:
      return true;
    default:
      return false;
  }
}

void Worker::SendNotice(ShardId shard, NodeId to, Term term, ShardNotice notice,
                        std::optional<ShardDescriptor> desc, LogIndex index, LogIndex commit) {
  raft::Message m;
  m.type = raft::MessageType::kHeartbeatResp;  // unused: the receiver reads the notice only
  m.from = opts_.node_id;
  m.to = to;
  m.term = std::max(term, Term(1));
  m.index = index;
  m.commit = commit;
  ShardMessage sm{shard, std::move(m), std::move(desc)};
  sm.notice = notice;
  RaftBatch b{opts_.node_id, to, {}};
  b.messages.push_back(std::move(sm));
  transport_->Send(std::move(b));
}

void Worker::HandleNotice(const ShardMessage& sm) {
  Replica* r = Find(sm.shard);
  if (r == nullptr || r->removed) return;
  if (sm.notice == ShardNotice::kNoReplica) {
    std::erase(r->heard_from, sm.msg.from);
    return;
  }
  if (sm.notice == ShardNotice::kHibernate) {
    HandleHibernateNotice(*r, sm);
    return;
  }
  if (sm.notice == ShardNotice::kWake) {
    if (r->hibernating) Wake(*r, /*tell_leader=*/false);
    return;
  }
  if (sm.notice == ShardNotice::kMerged) {
    // A member of the covering shard keeps its replica: its own copy of that shard applies the
    // merge with it, or is replaced by a snapshot (which removes it, HandleObsoleteReplica).
    if (sm.descriptor && !IsMember(*sm.descriptor, opts_.node_id)) {
      HandleObsoleteReplica(ObsoleteReplicaTask{sm.shard, *sm.descriptor});
    }
    return;
  }
  if (sm.notice != ShardNotice::kNotMember || !sm.descriptor) return;
  const ShardDescriptor& theirs = *sm.descriptor;
  // Conf versions grow along the one log of the shard: a newer applied membership without this
  // node means a removal committed after everything this replica knows. An older one is the
  // sender lagging behind this node's own addition.
  if (theirs.epoch.conf_version <= r->desc.epoch.conf_version || IsMember(theirs, opts_.node_id)) {
    return;
  }
  Log().info("shard {}: node {} reports this replica removed (conf version {} > {}): destroying",
             sm.shard.value(), sm.msg.from.value(), theirs.epoch.conf_version,
             r->desc.epoch.conf_version);
  Wake(*r, /*tell_leader=*/false);  // a sleeping replica must tick to be destroyed
  r->removed = true;
  r->removed_by_notice = theirs.epoch.conf_version;
  Activate(r);
}

void Worker::HandleSnapshot(SnapshotTask& t) {
  const ShardId id = t.msg.shard;
  auto drop = [&](const std::string& why) {
    Log().info("shard {}: dropped a snapshot from node {}: {}", id.value(), t.from.value(), why);
    (void)SnapshotDirs::Remove(t.dir);
  };
  auto manifest = ReadSnapshotManifest(t.dir);
  if (!manifest.ok()) return drop(manifest.status().ToString());
  if (!t.msg.msg.snapshot || t.msg.msg.snapshot->metadata.index != manifest->apply.applied_index ||
      t.msg.msg.snapshot->metadata.term != manifest->apply.applied_term ||
      manifest->desc.id != id) {
    return drop("the message does not match the manifest");
  }
  Replica* r = Find(id);
  if (r != nullptr && (r->merged || r->merge_requested)) return drop("the shard is merged away");
  if (r == nullptr) r = MaybeCreateReplica(t.msg);
  if (r == nullptr) return drop("no replica may take it here");
  if (r->hibernating) Wake(*r, /*tell_leader=*/false);
  ApplyBarrier(*r);
  if (manifest->apply.applied_index <= r->apply.applied_index) return drop("stale");
  // One snapshot at a time: Raft may hold the first one stepped this round.
  if (r->incoming_snapshot) return drop("another snapshot is being installed");
  // Never install a snapshot over another replica's keys (a split or merge this node has not
  // caught up with): the range is reserved, atomically with the check, until the snapshot is
  // installed or dropped.
  // An initialized replica keeps its old range reserved too (the union: the install deletes
  // what the snapshot no longer covers, and no replica may be created there meanwhile).
  const ShardDescriptor& d = manifest->desc;
  ShardDescriptor reserve = d;
  if (r->initialized) {
    const ShardDescriptor& was = r->desc;
    if (was.start_key < reserve.start_key) reserve.start_key = was.start_key;
    if (was.end_key.empty() || (!reserve.end_key.empty() && was.end_key > reserve.end_key)) {
      reserve.end_key = was.end_key;
    }
  }
  if (auto other = host_->ranges().TryReserve(reserve, /*allow_existing=*/true)) {
    // The other replica may be a merged shard's that never learned it (then it goes, and the
    // snapshot is taken when the leader sends it again).
    host_->SubmitTo(*other, ObsoleteReplicaTask{*other, d});
    return drop("its range overlaps shard " + std::to_string(other->value()) + " on this node");
  }
  r->incoming_snapshot = Replica::IncomingSnapshot{
      manifest->apply.applied_index, manifest->apply.applied_term, t.dir, d, manifest->apply};
  Activate(r);
  const Status s = r->raft->Step(std::move(t.msg.msg));
  if (!s.ok()) Log().debug("shard {}: snapshot message refused: {}", id.value(), s.ToString());
}

void Worker::DropIncomingSnapshot(Replica& r) {
  if (!r.incoming_snapshot) return;
  (void)SnapshotDirs::Remove(r.incoming_snapshot->dir);
  r.incoming_snapshot.reset();
  // Give the reserved range back (an uninitialized replica keeps its own reservation).
  host_->ranges().Set(r.desc);
}

void Worker::SendSnapshot(Replica& r, raft::Message m) {
  SnapshotSender* sender = host_->snapshot_sender();
  SnapshotDirs* dirs = host_->snapshot_dirs();
  const NodeId to = m.to;
  // The data is cut from the engine as it is now: nothing of the shard may be left in the pool.
  ApplyBarrier(r);
  if (sender == nullptr || dirs == nullptr || !r.initialized || !m.snapshot ||
      m.snapshot->metadata.index > r.apply.applied_index ||
      !(m.snapshot->metadata.conf_state == r.apply.conf_state)) {
    // Raft asked for the state as applied when it built the message: an index beyond it, or
    // another membership, means the message is not ours.
    r.raft->ReportSnapshot(to, false);
    return;
  }
  // Raft built the message from the worker's applied index, which lags the pool's: the snapshot
  // is of the state applied now (a later index of the same membership, which the follower's
  // answer reports, as after any snapshot).
  m.snapshot->metadata.index = r.apply.applied_index;
  m.snapshot->metadata.term = r.apply.applied_term;
  auto snap = engine_->GetSnapshot();
  if (!snap.ok()) {
    r.raft->ReportSnapshot(to, false);
    return;
  }
  std::shared_ptr<storage::Snapshot> engine_snap = std::move(snap).value();
  const ShardDescriptor desc = r.desc;
  const ApplyState apply = r.apply;
  const std::string dir = dirs->NewSendDir(desc.id, apply.applied_term, apply.applied_index);
  ShardMessage sm{desc.id, std::move(m), desc};
  sm.incarnation = Incarnation(r);
  storage::Engine* engine = engine_;
  ReplicaHost* host = host_;
  // Cutting reads the whole range: never on the worker thread.
  host_->RunInBackground([=, sm = std::move(sm)]() mutable {
    const ShardId shard = desc.id;
    auto report = [host, shard, to](bool ok) {
      host->SubmitTo(shard, SnapshotStatusTask{shard, to, ok});
    };
    auto cut = CutSnapshot(engine, *engine_snap, desc, apply, dir);
    if (!cut.ok()) {
      Log().warn("shard {}: cannot cut a snapshot for node {}: {}", shard.value(), to.value(),
                 cut.status().ToString());
      report(false);
      return;
    }
    Log().info("shard {}: sending a snapshot at index {} to node {}", shard.value(),
               apply.applied_index.value(), to.value());
    sender->SendSnapshot(to, std::move(sm), dir, [dir, report](Status s) {
      (void)SnapshotDirs::Remove(dir);
      report(s.ok());
    });
  });
}

void Worker::InstallSnapshot(Replica& r, const raft::Snapshot& snap,
                             storage::LogWriteBatch* log_batch, storage::WriteBatch* extra) {
  TESSERA_ASSERT(r.incoming_snapshot && r.incoming_snapshot->index == snap.metadata.index &&
                     r.incoming_snapshot->term == snap.metadata.term,
                 "raft installs a snapshot the worker did not receive");
  const Replica::IncomingSnapshot& in = *r.incoming_snapshot;
  if (r.merge_wait) {
    // The snapshot is past the merge this replica waited to apply: the source replica here will
    // not be taken over (the snapshot holds its data, or the keys went on to other shards).
    host_->SubmitTo(r.merge_wait->shard, ObsoleteReplicaTask{r.merge_wait->shard, r.desc, true});
    r.merge_wait.reset();
    r.raft->ResumeApply();
  }
  auto manifest = ReadSnapshotManifest(in.dir);
  TESSERA_ASSERT(manifest.ok(), "a received snapshot directory vanished");
  // The crash protocol of snapshot.h: marker (synced), data, then descriptor, apply state and
  // the log's new start in one write (this round's log write), which clears the marker.
  storage::WriteBatch marker;
  Status s = PutSnapshotPending(&marker, r.desc.id, in.dir);
  // A snapshot may shrink the replica's range (splits it missed): the keys it no longer owns go,
  // with the marker, before anything else. Only the parts outside the new range: those stay
  // reserved for this replica until the install finishes (HandleSnapshot), so no other replica
  // holds keys there; ingestion clears the new range itself.
  if (s.ok() && r.initialized) {
    const ShardDescriptor& was = r.desc;
    const ShardDescriptor& now = in.desc;
    if (was.start_key < now.start_key) {
      s = marker.DeleteRange(Cf::kData, was.start_key, now.start_key);
    }
    if (s.ok() && !now.end_key.empty() && (was.end_key.empty() || now.end_key < was.end_key)) {
      s = marker.DeleteRange(Cf::kData, now.end_key, was.end_key);
    }
  }
  if (s.ok()) s = engine_->Write(storage::WriteOptions{.sync = true}, marker);
  TESSERA_ASSERT(s.ok(), ("cannot record a pending snapshot: " + s.ToString()).c_str());
  s = IngestSnapshot(engine_, *manifest, in.dir);
  TESSERA_ASSERT(s.ok(), ("cannot ingest a received snapshot: " + s.ToString()).c_str());
  s = ClearSnapshotPending(extra, r.desc.id);
  if (s.ok())
    s = extra->Put(Cf::kMeta, ShardDescriptorKey(in.desc.id), EncodeShardDescriptor(in.desc));
  if (s.ok()) s = extra->Put(Cf::kMeta, ApplyStateKey(in.desc.id), EncodeApplyState(in.apply));
  TESSERA_ASSERT(s.ok(), "snapshot metadata must fit in a batch");
  log_batch->ApplySnapshot(r.desc.id, snap.metadata);
}

void Worker::FinishSnapshot(Replica& r) {
  Replica::IncomingSnapshot in = std::move(*r.incoming_snapshot);
  r.incoming_snapshot.reset();
  const bool was_initialized = r.initialized;
  r.desc = in.desc;
  r.apply = in.apply;
  r.initialized = true;
  // A leader sends snapshots to its members only; a removal reported by a notice newer than the
  // snapshot still stands.
  r.removed = !r.apply.conf_state.Contains(opts_.node_id);
  if (r.desc.epoch.conf_version >= r.removed_by_notice) {
    r.removed_by_notice = 0;
  } else {
    r.removed = true;
  }
  // Writes this replica proposed that the snapshot covers were committed or replaced by another
  // leader; which one is unknown here.
  while (!r.pending_writes.empty() && r.pending_writes.front().index <= in.index) {
    if (r.pending_writes.front().done) {
      r.pending_writes.front().done(WriteResponse{
          Status::Timeout("a snapshot replaced the log: the outcome of the write is unknown"),
          {},
          {}});
    }
    r.pending_writes.pop_front();
  }
  host_->ranges().Set(r.desc);
  (void)SnapshotDirs::Remove(in.dir);
  Log().info("shard {}: installed a snapshot at index {}{}", r.desc.id.value(), in.index.value(),
             was_initialized ? "" : " (new replica)");
}

void Worker::DestroyReplica(ShardId shard, bool tombstone) {
  auto it = replicas_.find(shard);
  if (it == replicas_.end()) return;
  Replica& r = *it->second;
  ApplyBarrier(r);  // the pool must not write to the range (or the apply state) after this
  if (r.merge_wait) {
    // A target removed while it waited for its source replica here: the merge committed, so
    // that replica is merged away and must not wait for a hand-over that never comes.
    host_->SubmitTo(r.merge_wait->shard, ObsoleteReplicaTask{r.merge_wait->shard, r.desc, true});
  }
  SetHibernating(r, false);
  FailAll(r, Status::ShardNotFound("the replica was removed from its shard"));
  DropIncomingSnapshot(r);
  storage::WriteBatch wb;
  Status s = wb.Delete(Cf::kMeta, ShardDescriptorKey(shard));
  if (s.ok()) s = wb.Delete(Cf::kMeta, ApplyStateKey(shard));
  // The tombstone keeps the newest conf version known to exclude this node: older messages never
  // bring the replica back.
  ShardDescriptor tomb = r.desc;
  tomb.epoch.conf_version = std::max(tomb.epoch.conf_version, r.removed_by_notice);
  if (s.ok() && tombstone) s = wb.Put(Cf::kMeta, TombstoneKey(shard), EncodeShardDescriptor(tomb));
  // The data goes too, unless another replica on this node owns the keys by now.
  if (s.ok() && r.initialized &&
      !host_->ranges().Overlap(r.desc.start_key, r.desc.end_key, shard)) {
    s = wb.DeleteRange(Cf::kData, r.desc.start_key, r.desc.end_key);
  }
  TESSERA_ASSERT(s.ok(), "destroy batch");
  storage::LogWriteBatch lb;
  lb.DestroyShard(shard);
  // The term and vote outlive the replica: if the node is added back, the new replica (same
  // Raft id) must not vote twice in a term it already voted in.
  const raft::HardState hs = r.raft->GetStatus().hard_state;
  lb.SetHardState(shard, raft::HardState{hs.term, hs.vote, LogIndex(0)});
  s = log_store_->Write(lb, storage::LogWriteOptions{.sync = true, .extra = &wb});
  TESSERA_ASSERT(s.ok(), ("cannot destroy a replica: " + s.ToString()).c_str());
  host_->ranges().Remove(shard);
  if (tombstone) host_->ranges().SetTombstone(shard, tomb.epoch.conf_version);
  Log().info("shard {}: replica removed from the group and destroyed on node {}", shard.value(),
             opts_.node_id.value());
  std::erase(active_, &r);
  std::erase(touched_, &r);
  awake_.erase(shard);
  replicas_.erase(it);
}

}  // namespace tessera::multiraft

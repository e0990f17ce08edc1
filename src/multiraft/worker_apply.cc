// Asynchronous apply: a round's committed writes go to the worker's lane of the node's apply
// pool (apply_pool.h), which applies them in one engine batch with the replicas' apply states,
// answers the writes, and wakes the worker, which then takes the new applied indexes in and
// releases the reads waiting for them.
//
// Ownership of a replica's apply state (ApplyCursor, replica.h): the lane's while it holds
// entries of the replica, the worker's otherwise. Anything that is not a plain write (admin
// commands, membership changes, snapshots, destroying the replica) first waits for the lane
// (ApplyBarrier) and then runs on the worker as before, so the data a snapshot is cut from and the
// state a split or merge starts from are exactly those of the applied index.
#include "common/assert.h"
#include "common/logging.h"
#include "multiraft/apply.h"
#include "multiraft/worker.h"

namespace tessera::multiraft {

bool Worker::CanApplyAsync(const Replica& r, const raft::Ready& rd) const {
  if (apply_pool_ == nullptr || rd.snapshot || rd.committed_entries.empty() || !r.initialized ||
      r.removed || r.apply.merge || r.merge_wait || r.merge_requested || r.merged ||
      r.incoming_snapshot) {
    return false;
  }
  for (const raft::Entry& e : rd.committed_entries) {
    if (e.type != raft::EntryType::kNormal) return false;
    const CommandKind kind = PeekCommandKind(e.data);
    if (kind != CommandKind::kWrite && kind != CommandKind::kEmpty) return false;
  }
  return true;
}

void Worker::AddToApplyJob(Replica& r, raft::Ready& rd, ApplyJob* job) {
  if (r.submitted_index <= r.apply.applied_index) {
    // The lane holds nothing of r: the worker's state is the current one (a split, membership
    // change or snapshot applied here since).
    r.cursor->state = r.apply;
    applying_.push_back(&r);
  }
  stats_.entries_committed.fetch_add(rd.committed_entries.size(), std::memory_order_relaxed);
  ApplyJob::Part part{r.desc, r.cursor, std::move(rd.committed_entries), {}};
  std::vector<WriteCallback> replaced;
  for (const raft::Entry& e : part.entries) {
    if (WriteCallback mine = TakePendingWrite(r, e, &replaced)) {
      part.writes.emplace_back(e.index, std::move(mine));
    }
  }
  for (WriteCallback& cb : replaced) cb(ReplacedWrite());  // nothing to wait for
  r.submitted_index = part.entries.back().index;
  job->parts.push_back(std::move(part));
}

void Worker::RunApplyJob(ApplyJob& job) {
  ApplyBatch batch(engine_);
  std::vector<std::pair<WriteCallback, WriteResponse>> answers;
  std::vector<HintedAnswerTask> hinted;
  for (ApplyJob::Part& p : job.parts) {
    ApplyState& st = p.cursor->state;
    TESSERA_ASSERT(p.entries.front().index == st.applied_index.next(),
                   "the apply pool got entries that do not follow the replica's applied index");
    size_t next = 0;
    for (const raft::Entry& e : p.entries) {
      WriteResponse resp;
      if (PeekCommandKind(e.data) == CommandKind::kWrite) {
        ApplyWriteEntry(p.desc, e, batch, &st.revision, &resp);
      }
      st.applied_index = e.index;
      st.applied_term = e.term;
      if (next < p.writes.size() && p.writes[next].first == e.index) {
        WriteCallback& cb = p.writes[next++].second;
        if (resp.status.Is(Status::Code::kEpochNotMatch)) {
          hinted.push_back(HintedAnswerTask{p.desc.id, std::move(cb), std::move(resp)});
        } else {
          answers.emplace_back(std::move(cb), std::move(resp));
        }
      }
    }
    batch.SetApplyState(p.desc.id, st);
  }
  const Status s = batch.Commit();
  TESSERA_ASSERT(s.ok(), ("apply write failed: " + s.ToString()).c_str());
  for (ApplyJob::Part& p : job.parts) {
    std::lock_guard<std::mutex> lock(p.cursor->mu);
    p.cursor->done_index = p.cursor->state.applied_index;
    p.cursor->done_term = p.cursor->state.applied_term;
    p.cursor->done_revision = p.cursor->state.revision;
  }
  for (auto& [cb, resp] : answers) cb(std::move(resp));
  for (HintedAnswerTask& t : hinted) {
    // The worker adds the replica's current descriptors (only it may read them).
    auto done = t.done;
    WriteResponse resp = t.response;
    if (!Submit(std::move(t))) done(std::move(resp));  // stopping: answered without them
  }
  (void)Submit(AppliedTask{});
}

bool Worker::CollectApplied(Replica& r) {
  {
    std::lock_guard<std::mutex> lock(r.cursor->mu);
    if (r.cursor->done_index > r.apply.applied_index) {
      r.apply.applied_index = r.cursor->done_index;
      r.apply.applied_term = r.cursor->done_term;
      r.apply.revision = r.cursor->done_revision;
    }
  }
  return r.submitted_index <= r.apply.applied_index;
}

void Worker::CollectAllApplied() {
  std::erase_if(applying_, [this](Replica* r) {
    const bool done = CollectApplied(*r);
    ReleaseReads(*r);
    return done;
  });
}

void Worker::ApplyBarrier(Replica& r) {
  if (r.submitted_index <= r.apply.applied_index) return;
  apply_pool_->Flush(static_cast<size_t>(index_));
  const bool done = CollectApplied(r);
  TESSERA_ASSERT(done, "the apply pool did not apply a replica's entries by its barrier");
  std::erase(applying_, &r);
  ReleaseReads(r);
}

void Worker::ApplyWriteEntry(const ShardDescriptor& desc, const raft::Entry& e, ApplyBatch& batch,
                             uint64_t* revision, WriteResponse* resp) {
  auto cmd = DecodeWriteCommand(e.data);
  if (!cmd.ok()) {
    // Every replica refuses the same bytes the same way: the state machines stay equal.
    Log().error("shard {}: undecodable command at index {}: {}", desc.id.value(), e.index.value(),
                cmd.status().ToString());
    resp->status = cmd.status();
    return;
  }
  resp->status = batch.ApplyWrite(desc, *cmd, revision, &resp->results);
  resp->revision = *revision;
  TESSERA_ASSERT(
      !resp->status.Is(Status::Code::kIOError) && !resp->status.Is(Status::Code::kCorruption),
      "the engine failed while applying");
  stats_.entries_applied.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace tessera::multiraft

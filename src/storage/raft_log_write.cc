// LogStore::Write: group commit of many shards' raft writes in one engine batch.
//
// Three phases. (1) Plan, under the mutex: every operation is validated against the shard's
// state as left by the earlier operations of the batch ("pending" state), and turned into
// engine operations; meta records (hard state, truncated state, snapshot) are written once per
// shard, at the end, with their final value. (2) One engine write, without the mutex, so that
// concurrent workers' writes reach the engine together. (3) Install, under the mutex: the
// pending states and the caches become the store's. A failure in (1) or (2) installs nothing.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/assert.h"
#include "storage/raft_log_store.h"
#include "storage/write_batch.h"

namespace tessera::storage {

using raftlog::EntryKey;
using raftlog::KeyKind;
using raftlog::MetaKey;
using Op = LogWriteBatch::Op;
using LogOp = LogWriteBatch::OpKind;

namespace {

// Removals of at most this many entries are point deletes; longer ones one range delete (fewer
// batch bytes, but a range tombstone costs RocksDB reads until compaction drops it).
constexpr uint64_t kMaxPointDeletes = 256;

// The WriteBatch remembers its first rejected operation and Write refuses the batch then, so a
// single operation's status may be dropped as long as wb_.status() is checked before the write.
void Keep(const Status&) {}

Status Bad(ShardId shard, std::string_view what) {
  return Status::InvalidArgument(fmt::format("raft log store: shard {}: {}", shard.value(), what));
}

}  // namespace

class LogStore::Planner {
 public:
  explicit Planner(LogStore* store) : store_(store) {}

  // REQUIRES: store_->mu_ held. On failure the caller calls AbortLocked.
  Status PlanLocked(const LogWriteBatch& batch) {
    for (const Op& op : batch.ops()) {
      if (!op.shard) return Status::InvalidArgument("raft log store: shard id 0");
      TESSERA_RETURN_IF_ERROR(PlanOp(op, PendingFor(op.shard)));
    }
    for (auto& [id, p] : pending_) WriteMeta(id, p);
    return wb_.status();
  }

  const WriteBatch& engine_batch() const { return wb_; }
  WriteBatch& mutable_engine_batch() { return wb_; }

  // Releases the shards. REQUIRES: store_->mu_ held.
  void AbortLocked() {
    for (auto& [id, p] : pending_) {
      auto it = store_->shards_.find(id);
      it->second->writing = false;
      if (p.created) store_->shards_.erase(it);
    }
  }

  // Makes the batch's effects the store's. REQUIRES: store_->mu_ held, the engine write done.
  void InstallLocked(const LogWriteBatch& batch) {
    for (const Op& op : batch.ops()) {
      EntryCache& cache = store_->shards_.at(op.shard)->cache;
      switch (op.kind) {
        case LogOp::kAppend:
          cache.Append(op.entries);
          break;
        case LogOp::kCompact:
          cache.CompactTo(op.index);
          break;
        case LogOp::kApplySnapshot:
        case LogOp::kDestroy:
          cache.Clear();
          break;
        default:
          break;
      }
    }
    for (auto& [id, p] : pending_) {
      auto it = store_->shards_.find(id);
      Shard& sh = *it->second;
      sh.state = std::move(p.state);
      sh.writing = false;
      sh.cache.TruncateAfter(sh.state.last_index);  // an overwrite may have shortened the log
      TESSERA_ASSERT(sh.cache.empty() || sh.cache.last_index() == sh.state.last_index,
                     "the entry cache must end at the last index");
      if (p.destroyed && p.dirty == 0 && sh.state.last_index == LogIndex(0)) {
        store_->shards_.erase(it);
      }
    }
  }

 private:
  enum Dirty : uint8_t { kHardDirty = 1, kTruncatedDirty = 2, kSnapshotDirty = 4 };

  // A shard's state as left by the operations planned so far.
  struct Pending {
    ShardLogState state;
    // Entries appended by this batch, in order; a later one replaces the suffix of earlier ones.
    std::vector<const std::vector<raft::Entry>*> appended;
    // Stored entries at or above this index are replaced or removed by this batch.
    LogIndex stored_cutoff = LogIndex(UINT64_MAX);
    uint8_t dirty = 0;
    bool created = false;    // the Shard object was created for this batch
    bool destroyed = false;  // DestroyShard was planned
  };

  Pending& PendingFor(ShardId shard) {
    auto found = pending_.find(shard);
    if (found != pending_.end()) return found->second;
    Pending& p = pending_[shard];
    auto& slot = store_->shards_[shard];
    if (!slot) {
      slot = std::make_unique<Shard>(store_->opts_.cache_bytes_per_shard);
      p.created = true;
    }
    TESSERA_ASSERT(!slot->writing, "two concurrent Writes for one shard");
    slot->writing = true;
    p.state = slot->state;
    return p;
  }

  // The term of entry i as the batch leaves the log. REQUIRES: first_index - 1 <= i <= last.
  Result<Term> PendingTerm(ShardId shard, const Pending& p, LogIndex i) const {
    const ShardLogState& st = p.state;
    TESSERA_ASSERT(i >= st.truncated.index && i <= st.last_index, "term lookup out of range");
    if (i == st.truncated.index) return st.truncated.term;
    if (i == st.last_index) return st.last_term;
    // A later append replaces the entries of earlier ones from its first index on.
    LogIndex cutoff(UINT64_MAX);
    for (auto seg = p.appended.rbegin(); seg != p.appended.rend(); ++seg) {
      const LogIndex first = (*seg)->front().index;
      if (i >= first && i < cutoff && i - first < (*seg)->size()) return (**seg)[i - first].term;
      cutoff = std::min(cutoff, first);
    }
    TESSERA_ASSERT(i < std::min(cutoff, p.stored_cutoff), "an entry of the pending log is nowhere");
    return store_->StoredTermLocked(shard, i);
  }

  Status PlanOp(const Op& op, Pending& p) {
    switch (op.kind) {
      case LogOp::kAppend:
        return PlanAppend(op.shard, op.entries, p);
      case LogOp::kHardState:
        return PlanHardState(op.shard, op.hard_state, p);
      case LogOp::kApplySnapshot:
        return PlanApplySnapshot(op.shard, op.snapshot, p);
      case LogOp::kCreateSnapshot:
        return PlanCreateSnapshot(op.shard, op.index, op.conf_state, p);
      case LogOp::kCompact:
        return PlanCompact(op.shard, op.index, p);
      case LogOp::kConfState:
        p.state.snapshot.conf_state = *op.conf_state;
        p.dirty |= kSnapshotDirty;
        return Status::OK();
      case LogOp::kDestroy:
        return PlanDestroy(op.shard, p);
    }
    TESSERA_UNREACHABLE("unknown log write op");
  }

  Status PlanAppend(ShardId shard, const std::vector<raft::Entry>& ents, Pending& p) {
    ShardLogState& st = p.state;
    const LogIndex start = ents.front().index;
    if (start < st.first_index()) {
      return Bad(shard, fmt::format("entries start at {}, below the first index {}", start.value(),
                                    st.first_index().value()));
    }
    if (start > st.last_index.next()) {
      return Bad(shard, fmt::format("entries start at {}, leaving a gap after the last index {}",
                                    start.value(), st.last_index.value()));
    }
    TESSERA_ASSIGN_OR_RETURN(Term prev_term, PendingTerm(shard, p, start.prev()));
    for (size_t k = 0; k < ents.size(); ++k) {
      const raft::Entry& e = ents[k];
      if (e.index != start + k) return Bad(shard, "appended entries are not consecutive");
      if (e.term < prev_term || e.term == Term(0)) {
        return Bad(shard, fmt::format("entry {} has term {}, below the term before it or zero",
                                      e.index.value(), e.term.value()));
      }
      prev_term = e.term;
      const std::string key = EntryKey(shard, e.index);
      raftlog::EncodeEntry(key, e, &buf_);
      Status s = wb_.Put(Cf::kRaft, key, buf_);
      if (!s.ok()) return Bad(shard, fmt::format("entry {}: {}", e.index.value(), s.ToString()));
    }
    const LogIndex new_last = ents.back().index;
    if (st.last_index > new_last) DeleteEntries(shard, new_last.next(), st.last_index);
    p.stored_cutoff = std::min(p.stored_cutoff, start);
    p.appended.push_back(&ents);
    st.last_index = new_last;
    st.last_term = ents.back().term;
    return Status::OK();
  }

  Status PlanHardState(ShardId shard, const raft::HardState& hs, Pending& p) {
    const raft::HardState& old = p.state.hard_state;
    if (hs.term < old.term) return Bad(shard, "the hard state's term moves backwards");
    if (hs.commit < old.commit) return Bad(shard, "the hard state's commit moves backwards");
    if (hs.term == old.term && old.vote && hs.vote != old.vote) {
      return Bad(shard, "the hard state changes the vote within a term");
    }
    p.state.hard_state = hs;
    p.dirty |= kHardDirty;
    return Status::OK();
  }

  Status PlanApplySnapshot(ShardId shard, const raft::SnapshotMetadata& m, Pending& p) {
    if (m.index == LogIndex(0) || m.term == Term(0))
      return Bad(shard, "snapshot at index or term zero");
    if (m.index <= p.state.snapshot.index) {
      return Status::OutOfRange(
          fmt::format("raft log store: shard {}: snapshot {} is not newer "
                      "than the recorded snapshot {}",
                      shard.value(), m.index.value(), p.state.snapshot.index.value()));
    }
    Keep(wb_.DeleteRange(Cf::kRaft, EntryKey(shard, LogIndex(0)), raftlog::EntriesEnd(shard)));
    ForgetEntries(p);
    p.state.truncated = {m.index, m.term};
    p.state.snapshot = m;
    p.state.last_index = m.index;
    p.state.last_term = m.term;
    p.dirty |= kTruncatedDirty | kSnapshotDirty;
    return wb_.status();
  }

  Status PlanCreateSnapshot(ShardId shard, LogIndex i, const std::optional<raft::ConfState>& cs,
                            Pending& p) {
    ShardLogState& st = p.state;
    if (i <= st.snapshot.index) {
      return Status::OutOfRange(fmt::format(
          "raft log store: shard {}: snapshot {} is not newer than the recorded snapshot {}",
          shard.value(), i.value(), st.snapshot.index.value()));
    }
    if (i < st.truncated.index || i > st.last_index) {
      return Bad(shard, fmt::format("snapshot index {} outside the log [{}, {}]", i.value(),
                                    st.truncated.index.value(), st.last_index.value()));
    }
    TESSERA_ASSIGN_OR_RETURN(st.snapshot.term, PendingTerm(shard, p, i));
    st.snapshot.index = i;
    if (cs) st.snapshot.conf_state = *cs;
    p.dirty |= kSnapshotDirty;
    return Status::OK();
  }

  Status PlanCompact(ShardId shard, LogIndex i, Pending& p) {
    ShardLogState& st = p.state;
    if (i <= st.truncated.index) return Status::OK();  // already compacted
    if (i > st.last_index) {
      return Bad(shard, fmt::format("compacting to {}, beyond the last index {}", i.value(),
                                    st.last_index.value()));
    }
    TESSERA_ASSIGN_OR_RETURN(Term term, PendingTerm(shard, p, i));
    DeleteEntries(shard, st.first_index(), i);
    st.truncated = {i, term};
    p.dirty |= kTruncatedDirty;
    return wb_.status();
  }

  Status PlanDestroy(ShardId shard, Pending& p) {
    const std::string end = shard.value() == UINT64_MAX ? "" : raftlog::ShardEnd(shard);
    Keep(wb_.DeleteRange(Cf::kRaft, raftlog::ShardPrefix(shard), end));
    ForgetEntries(p);
    p.state = ShardLogState{};
    p.dirty = 0;
    p.destroyed = true;
    return wb_.status();
  }

  // The batch removes every entry: neither stored nor earlier appended ones are visible.
  static void ForgetEntries(Pending& p) {
    p.appended.clear();
    p.stored_cutoff = LogIndex(0);
  }

  // Deletes entries [lo, hi] (stored or appended earlier in the batch).
  void DeleteEntries(ShardId shard, LogIndex lo, LogIndex hi) {
    if (hi - lo < kMaxPointDeletes) {
      for (LogIndex i = lo; i <= hi; ++i) Keep(wb_.Delete(Cf::kRaft, EntryKey(shard, i)));
    } else {
      Keep(wb_.DeleteRange(Cf::kRaft, EntryKey(shard, lo), EntryKey(shard, hi.next())));
    }
  }

  void WriteMeta(ShardId shard, const Pending& p) {
    const ShardLogState& st = p.state;
    if (p.dirty & kHardDirty) {
      const std::string key = MetaKey(shard, KeyKind::kHardState);
      raftlog::EncodeHardState(key, st.hard_state, &buf_);
      Keep(wb_.Put(Cf::kRaft, key, buf_));
    }
    if (p.dirty & kTruncatedDirty) {
      const std::string key = MetaKey(shard, KeyKind::kTruncated);
      raftlog::EncodeTruncated(key, st.truncated, &buf_);
      Keep(wb_.Put(Cf::kRaft, key, buf_));
    }
    if (p.dirty & kSnapshotDirty) {
      const std::string key = MetaKey(shard, KeyKind::kSnapshot);
      raftlog::EncodeSnapshotMeta(key, st.snapshot, &buf_);
      Keep(wb_.Put(Cf::kRaft, key, buf_));
    }
  }

  LogStore* store_;
  std::map<ShardId, Pending> pending_;
  WriteBatch wb_;
  std::string buf_;  // reused record buffer
};

Status LogStore::Write(const LogWriteBatch& batch, const LogWriteOptions& opts) {
  if (batch.empty() && (opts.extra == nullptr || opts.extra->empty())) return Status::OK();
  Planner plan(this);
  {
    std::lock_guard l(mu_);
    Status s = plan.PlanLocked(batch);
    if (s.ok() && opts.extra != nullptr) s = plan.mutable_engine_batch().AppendBatch(*opts.extra);
    if (!s.ok()) {
      plan.AbortLocked();
      return s;
    }
  }
  Status s = engine_->Write(WriteOptions{.sync = opts.sync}, plan.engine_batch());
  writes_.fetch_add(1, std::memory_order_relaxed);
  if (opts.sync) sync_writes_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard l(mu_);
  if (!s.ok()) {
    plan.AbortLocked();
    return s;
  }
  plan.InstallLocked(batch);
  return Status::OK();
}

}  // namespace tessera::storage

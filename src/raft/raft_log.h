// RaftLog: a replica's whole log as Raft sees it: the durable part in LogStorage and the
// unstable tail in memory, with the commit and applied indexes. Internal to raft/.
//
// Invariant: applied <= committed <= last index; first index - 1 <= applied (once a snapshot is
// restored, applied catches up when the application applies it).
#pragma once

#include <vector>

#include "common/result.h"
#include "raft/log_storage.h"
#include "raft/unstable.h"

namespace tessera::raft {

class RaftLog {
 public:
  RaftLog(LogStorage* storage, uint64_t max_committed_bytes_per_ready);

  LogIndex FirstIndex() const;
  LogIndex LastIndex() const;
  Term LastTerm() const;
  // The term of entry i: Compacted below first index - 1, Unavailable beyond the last index.
  Result<Term> TermAt(LogIndex i) const;
  // The term of entry i, or zero when it is not available.
  Term TermOrZero(LogIndex i) const;
  bool MatchTerm(LogIndex i, Term t) const;
  // True if a log ending at (last_index, last_term) is at least as up to date as ours (5.4.1).
  bool IsUpToDate(LogIndex last_index, Term last_term) const;

  // Follower append (5.3): if our entry at `index` has term `log_term`, appends `entries` after
  // truncating any conflict, commits up to min(commit, last new index) and returns the last new
  // index. Returns nullopt when the terms do not match.
  std::optional<LogIndex> MaybeAppend(LogIndex index, Term log_term, LogIndex commit,
                                      const std::vector<Entry>& entries);
  // Appends entries after truncating any conflict; returns the new last index.
  // REQUIRES: entries.front().index > committed.
  LogIndex Append(const std::vector<Entry>& entries);
  // The index of the first entry of `entries` that conflicts with ours (different term) or is new;
  // zero if all are present.
  LogIndex FindConflict(const std::vector<Entry>& entries) const;
  // The largest index <= index whose term is <= term, with that term (for backtracking by term).
  std::pair<LogIndex, Term> FindConflictByTerm(LogIndex index, Term term) const;

  // Leader commit (5.4.2): commits max_index only if its entry is of `term` (the current term).
  bool MaybeCommit(LogIndex max_index, Term term);
  // REQUIRES: to_commit <= LastIndex(). Never moves backwards.
  void CommitTo(LogIndex to_commit);
  // REQUIRES: committed >= i >= applied (i == 0 is ignored).
  void AppliedTo(LogIndex i);
  void StableTo(LogIndex i, Term t) { unstable_.StableTo(i, t); }
  void StableSnapTo(LogIndex i) { unstable_.StableSnapTo(i); }
  // Replaces the log with a snapshot (follower install).
  void Restore(Snapshot s);

  // Entries from i on, limited to max_bytes. Compacted when i is below the first index.
  Result<std::vector<Entry>> EntriesFrom(LogIndex i, uint64_t max_bytes) const;
  // Entries [lo, hi) limited to max_bytes. Compacted / Unavailable on bad bounds.
  Result<std::vector<Entry>> Slice(LogIndex lo, LogIndex hi, uint64_t max_bytes) const;
  // Every entry from the first index (tests and debugging).
  std::vector<Entry> AllEntries() const;

  // Committed entries not yet applied, limited by max_committed_bytes_per_ready.
  bool HasNextCommittedEntries() const;
  std::vector<Entry> NextCommittedEntries() const;
  // The snapshot to send to a follower: unstable first, else the storage's (maybe Busy).
  Result<Snapshot> GetSnapshot() const;
  bool HasPendingSnapshot() const { return unstable_.snapshot().has_value(); }

  // The highest index known to be in stable storage (entries still unstable are excluded).
  LogIndex PersistedLastIndex() const;

  const Unstable& unstable() const { return unstable_; }
  LogIndex committed() const { return committed_; }
  LogIndex applied() const { return applied_; }
  LogStorage* storage() const { return storage_; }

 private:
  LogStorage* storage_;
  Unstable unstable_;
  LogIndex committed_;
  LogIndex applied_;
  uint64_t max_committed_bytes_per_ready_;
};

}  // namespace tessera::raft

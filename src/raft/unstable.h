// Unstable: the entries and snapshot a replica has accepted but not yet handed to the application
// as persisted (the tail of the log that lives only in memory). Internal to raft/.
//
// Entry i lives at entries_[i - offset_]. A snapshot, when present, precedes the entries.
#pragma once

#include <optional>
#include <vector>

#include "raft/types.h"

namespace tessera::raft {

class Unstable {
 public:
  explicit Unstable(LogIndex offset) : offset_(offset) {}

  // The first index if there is a snapshot (snapshot index + 1).
  std::optional<LogIndex> MaybeFirstIndex() const;
  // The last index if there are entries or a snapshot.
  std::optional<LogIndex> MaybeLastIndex() const;
  // The term of entry i if it is known here.
  std::optional<Term> MaybeTerm(LogIndex i) const;

  // The application persisted entries up to (i, t): drop them if the entry there still has term t.
  void StableTo(LogIndex i, Term t);
  // The application persisted the snapshot at index i.
  void StableSnapTo(LogIndex i);
  // Replaces everything with a snapshot.
  void Restore(Snapshot s);
  // Appends entries, truncating any conflicting suffix. REQUIRES: non-empty, contiguous.
  void TruncateAndAppend(const std::vector<Entry>& entries);
  // Entries [lo, hi). REQUIRES: offset <= lo <= hi <= offset + entries.size().
  std::vector<Entry> Slice(LogIndex lo, LogIndex hi) const;

  const std::vector<Entry>& entries() const { return entries_; }
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }
  LogIndex offset() const { return offset_; }

 private:
  std::optional<Snapshot> snapshot_;
  std::vector<Entry> entries_;
  LogIndex offset_;
};

}  // namespace tessera::raft

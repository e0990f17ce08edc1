// LogStorage: the read-only view of a replica's durable Raft log that the core needs.
//
// The application owns the storage and writes to it (entries, hard state, snapshots) while
// handling a Ready; Raft only reads. Errors are Status values:
//   - Compacted:   the requested index is below the first available index;
//   - Unavailable: the requested index is above the last index;
//   - Busy:        (GetSnapshot only) a snapshot is being prepared; Raft retries later.
// Thread safety: called only from the thread driving the replica.
#pragma once

#include <vector>

#include "common/result.h"
#include "raft/types.h"

namespace tessera::raft {

struct InitialState {
  HardState hard_state;
  ConfState conf_state;
};

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  // The hard state and membership saved on disk (empty for a new replica).
  virtual Result<InitialState> GetInitialState() const = 0;

  // Entries [lo, hi), limited to max_bytes in total but always at least one entry when any
  // exists. REQUIRES: lo < hi.
  virtual Result<std::vector<Entry>> Entries(LogIndex lo, LogIndex hi,
                                             uint64_t max_bytes) const = 0;

  // The term of entry i; i may be FirstIndex() - 1 (the term of the snapshot).
  virtual Result<Term> TermAt(LogIndex i) const = 0;

  // The index of the first entry available (the snapshot index + 1).
  virtual LogIndex FirstIndex() const = 0;

  // The index of the last entry (the snapshot index when the log is empty).
  virtual LogIndex LastIndex() const = 0;

  // The latest snapshot, or Busy when one is being prepared.
  virtual Result<Snapshot> GetSnapshot() const = 0;
};

// Truncates entries to at most max_bytes (by EntryBytes), keeping at least the first one.
void LimitSize(std::vector<Entry>* entries, uint64_t max_bytes);

}  // namespace tessera::raft

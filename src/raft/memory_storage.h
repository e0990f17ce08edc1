// MemoryStorage: an in-memory LogStorage for tests, the simulator and benchmarks.
//
// It plays the role of the disk: what the application has written here is "durable". Modelled on
// etcd raft's MemoryStorage: entries_[0] is a dummy entry holding the snapshot's index and term.
// Thread safety: none; the owner serializes access.
#pragma once

#include <vector>

#include "raft/log_storage.h"

namespace tessera::raft {

class MemoryStorage final : public LogStorage {
 public:
  MemoryStorage();

  Result<InitialState> GetInitialState() const override;
  Result<std::vector<Entry>> Entries(LogIndex lo, LogIndex hi, uint64_t max_bytes) const override;
  Result<Term> TermAt(LogIndex i) const override;
  LogIndex FirstIndex() const override;
  LogIndex LastIndex() const override;
  Result<Snapshot> GetSnapshot() const override;

  // Writes (the application's side).
  void SetHardState(const HardState& hs) { hard_state_ = hs; }
  const HardState& hard_state() const { return hard_state_; }
  // Replaces the log with the snapshot. Returns OutOfRange when the snapshot is not newer.
  Status ApplySnapshot(const Snapshot& snap);
  // Records a snapshot at index i (<= LastIndex()) without compacting.
  // Returns OutOfRange when i is not newer than the current snapshot.
  Status CreateSnapshot(LogIndex i, const ConfState* cs, std::string data);
  // Discards entries before compact_index. Returns Compacted when already compacted there.
  // REQUIRES: compact_index <= LastIndex().
  Status Compact(LogIndex compact_index);
  // Appends entries, truncating any conflicting suffix. Entries below FirstIndex() are ignored.
  // REQUIRES: entries are contiguous and do not leave a gap after LastIndex().
  void Append(const std::vector<Entry>& entries);
  // Sets the membership returned by GetInitialState (for bootstrapping a new group).
  void SetConfState(const ConfState& cs) { snapshot_.metadata.conf_state = cs; }

 private:
  HardState hard_state_;
  Snapshot snapshot_;
  std::vector<Entry> entries_;  // entries_[0]: dummy at the snapshot's index and term
};

}  // namespace tessera::raft

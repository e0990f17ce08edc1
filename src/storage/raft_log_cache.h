// EntryCache: the most recent entries of one shard's log, kept in memory so that the leader
// replicating fresh entries and Raft's term checks never touch the engine.
//
// The cache holds a contiguous run of entries that always ends at the log's last index (when not
// empty). It is filled only by appends (entries the store has just written, so they need no
// checksum check) and bounded by bytes (raft::EntryBytes): the oldest entries go first, but the
// newest entry always stays.
//
// Thread safety: none; the LogStore guards it with its mutex.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "raft/types.h"

namespace tessera::storage {

class EntryCache {
 public:
  explicit EntryCache(uint64_t max_bytes) : max_bytes_(max_bytes) {}

  // Adds entries just written to the log at entries[0].index, dropping every cached entry at or
  // after that index first. REQUIRES: entries non-empty and consecutive; entries[0].index <=
  // last cached index + 1 when the cache is not empty (else the cache restarts from entries).
  void Append(const std::vector<raft::Entry>& entries);
  // Drops the entries with index <= `index` (compaction).
  void CompactTo(LogIndex index);
  // Drops the entries with index > `index` (a shorter overwrite after the batch's appends).
  void TruncateAfter(LogIndex index);
  void Clear();

  bool empty() const { return entries_.empty(); }
  // REQUIRES: !empty().
  LogIndex first_index() const { return entries_.front().index; }
  LogIndex last_index() const { return entries_.back().index; }
  bool Contains(LogIndex i) const { return !empty() && i >= first_index() && i <= last_index(); }
  // REQUIRES: Contains(i).
  const raft::Entry& At(LogIndex i) const { return entries_[i - first_index()]; }
  uint64_t bytes() const { return bytes_; }
  size_t size() const { return entries_.size(); }

 private:
  void Evict();

  uint64_t max_bytes_;
  uint64_t bytes_ = 0;
  std::deque<raft::Entry> entries_;
};

}  // namespace tessera::storage

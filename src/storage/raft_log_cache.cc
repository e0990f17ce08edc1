#include "storage/raft_log_cache.h"

#include "common/assert.h"

namespace tessera::storage {

void EntryCache::Append(const std::vector<raft::Entry>& entries) {
  TESSERA_ASSERT(!entries.empty(), "appending no entries to the cache");
  const LogIndex start = entries.front().index;
  if (!empty() && (start < first_index() || start > last_index().next())) Clear();
  if (!empty()) TruncateAfter(start.prev());
  for (const raft::Entry& e : entries) {
    TESSERA_ASSERT(empty() || e.index == last_index().next(), "cached entries must be consecutive");
    bytes_ += raft::EntryBytes(e);
    entries_.push_back(e);
  }
  Evict();
}

void EntryCache::CompactTo(LogIndex index) {
  while (!empty() && entries_.front().index <= index) {
    bytes_ -= raft::EntryBytes(entries_.front());
    entries_.pop_front();
  }
}

void EntryCache::TruncateAfter(LogIndex index) {
  while (!empty() && entries_.back().index > index) {
    bytes_ -= raft::EntryBytes(entries_.back());
    entries_.pop_back();
  }
}

void EntryCache::Clear() {
  entries_.clear();
  bytes_ = 0;
}

void EntryCache::Evict() {
  while (entries_.size() > 1 && bytes_ > max_bytes_) {
    bytes_ -= raft::EntryBytes(entries_.front());
    entries_.pop_front();
  }
}

}  // namespace tessera::storage

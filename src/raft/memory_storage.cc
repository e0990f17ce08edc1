#include "raft/memory_storage.h"

#include <algorithm>

#include "common/assert.h"

namespace tessera::raft {

uint64_t PayloadBytes(const std::vector<Entry>& entries) {
  uint64_t n = 0;
  for (const Entry& e : entries) n += PayloadBytes(e);
  return n;
}

void LimitSize(std::vector<Entry>* entries, uint64_t max_bytes) {
  if (entries->empty()) return;
  uint64_t size = EntryBytes(entries->front());
  size_t limit = 1;
  for (; limit < entries->size(); ++limit) {
    size += EntryBytes((*entries)[limit]);
    if (size > max_bytes) break;
  }
  entries->resize(limit);
}

MemoryStorage::MemoryStorage() : entries_(1) {}

Result<InitialState> MemoryStorage::GetInitialState() const {
  return InitialState{hard_state_, snapshot_.metadata.conf_state};
}

Result<std::vector<Entry>> MemoryStorage::Entries(LogIndex lo, LogIndex hi,
                                                  uint64_t max_bytes) const {
  const LogIndex offset = entries_[0].index;
  if (lo <= offset) return Status::Compacted();
  if (hi > LastIndex().next()) return Status::Unavailable("entries beyond the last index");
  if (entries_.size() == 1) return Status::Unavailable("no entries");
  std::vector<Entry> out(entries_.begin() + static_cast<long>(lo - offset),
                         entries_.begin() + static_cast<long>(hi - offset));
  LimitSize(&out, max_bytes);
  return out;
}

Result<Term> MemoryStorage::TermAt(LogIndex i) const {
  const LogIndex offset = entries_[0].index;
  if (i < offset) return Status::Compacted();
  if (i - offset >= entries_.size()) return Status::Unavailable("term beyond the last index");
  return entries_[i - offset].term;
}

LogIndex MemoryStorage::FirstIndex() const { return entries_[0].index.next(); }

LogIndex MemoryStorage::LastIndex() const { return entries_[0].index + (entries_.size() - 1); }

Result<Snapshot> MemoryStorage::GetSnapshot() const { return snapshot_; }

Status MemoryStorage::ApplySnapshot(const Snapshot& snap) {
  if (snapshot_.metadata.index >= snap.metadata.index) {
    return Status::OutOfRange("snapshot is not newer");
  }
  snapshot_ = snap;
  entries_.assign(1, Entry{snap.metadata.term, snap.metadata.index, EntryType::kNormal, {}});
  return Status::OK();
}

Status MemoryStorage::CreateSnapshot(LogIndex i, const ConfState* cs, std::string data) {
  if (i <= snapshot_.metadata.index) return Status::OutOfRange("snapshot is not newer");
  TESSERA_ASSERT(i <= LastIndex(), "snapshot beyond the last index");
  const LogIndex offset = entries_[0].index;
  snapshot_.metadata.index = i;
  snapshot_.metadata.term = entries_[i - offset].term;
  if (cs != nullptr) snapshot_.metadata.conf_state = *cs;
  snapshot_.data = std::move(data);
  return Status::OK();
}

Status MemoryStorage::Compact(LogIndex compact_index) {
  const LogIndex offset = entries_[0].index;
  if (compact_index <= offset) return Status::Compacted();
  TESSERA_ASSERT(compact_index <= LastIndex(), "compacting beyond the last index");
  const size_t i = compact_index - offset;
  std::vector<Entry> kept;
  kept.reserve(entries_.size() - i);
  kept.push_back(Entry{entries_[i].term, entries_[i].index, EntryType::kNormal, {}});
  kept.insert(kept.end(), entries_.begin() + static_cast<long>(i) + 1, entries_.end());
  entries_ = std::move(kept);
  return Status::OK();
}

void MemoryStorage::Append(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  const LogIndex first = FirstIndex();
  const LogIndex last = entries.back().index;
  if (last < first) return;  // everything is already compacted
  auto begin = entries.begin();
  if (first > entries.front().index) begin += static_cast<long>(first - entries.front().index);
  const LogIndex start = begin->index;
  const LogIndex offset = entries_[0].index;
  TESSERA_ASSERT(start - offset <= entries_.size(), "gap in appended entries");
  entries_.resize(start - offset);  // truncate any conflicting suffix
  entries_.insert(entries_.end(), begin, entries.end());
}

}  // namespace tessera::raft

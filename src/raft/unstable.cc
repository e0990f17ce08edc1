#include "raft/unstable.h"

#include "common/assert.h"

namespace tessera::raft {

std::optional<LogIndex> Unstable::MaybeFirstIndex() const {
  if (snapshot_) return snapshot_->metadata.index.next();
  return std::nullopt;
}

std::optional<LogIndex> Unstable::MaybeLastIndex() const {
  if (!entries_.empty()) return offset_ + (entries_.size() - 1);
  if (snapshot_) return snapshot_->metadata.index;
  return std::nullopt;
}

std::optional<Term> Unstable::MaybeTerm(LogIndex i) const {
  if (i < offset_) {
    if (snapshot_ && snapshot_->metadata.index == i) return snapshot_->metadata.term;
    return std::nullopt;
  }
  auto last = MaybeLastIndex();
  if (!last || i > *last) return std::nullopt;
  return entries_[i - offset_].term;
}

void Unstable::StableTo(LogIndex i, Term t) {
  auto gt = MaybeTerm(i);
  if (!gt) return;
  // Only drop entries that are still the ones persisted: if the entry at i was replaced after the
  // Ready was handed out, the new one is not persisted yet.
  if (*gt == t && i >= offset_) {
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<long>(i - offset_ + 1));
    offset_ = i.next();
  }
}

void Unstable::StableSnapTo(LogIndex i) {
  if (snapshot_ && snapshot_->metadata.index == i) snapshot_.reset();
}

void Unstable::Restore(Snapshot s) {
  offset_ = s.metadata.index.next();
  entries_.clear();
  snapshot_ = std::move(s);
}

void Unstable::TruncateAndAppend(const std::vector<Entry>& ents) {
  TESSERA_ASSERT(!ents.empty(), "TruncateAndAppend of nothing");
  const LogIndex after = ents.front().index;
  if (after == offset_ + entries_.size()) {
    entries_.insert(entries_.end(), ents.begin(), ents.end());
  } else if (after <= offset_) {
    // The log is being truncated to before our offset: replace everything.
    offset_ = after;
    entries_ = ents;
  } else {
    // Keep [offset, after), then append. A start beyond our tail would leave a hole.
    TESSERA_ASSERT(after < offset_ + entries_.size(), "appending after a gap in the unstable log");
    entries_.resize(after - offset_);
    entries_.insert(entries_.end(), ents.begin(), ents.end());
  }
}

std::vector<Entry> Unstable::Slice(LogIndex lo, LogIndex hi) const {
  TESSERA_ASSERT(lo <= hi, "unstable slice lo > hi");
  TESSERA_ASSERT(offset_ <= lo && hi <= offset_ + entries_.size(), "unstable slice out of bounds");
  return std::vector<Entry>(entries_.begin() + static_cast<long>(lo - offset_),
                            entries_.begin() + static_cast<long>(hi - offset_));
}

}  // namespace tessera::raft

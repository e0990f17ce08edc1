#include "raft/progress.h"

#include <algorithm>

#include "common/assert.h"

namespace tessera::raft {

void Inflights::Add(LogIndex last_index, uint64_t bytes) {
  TESSERA_ASSERT(!Full(), "adding to a full inflight window");
  TESSERA_ASSERT(items_.empty() || items_.back().index < last_index, "inflights out of order");
  items_.push_back({last_index, bytes});
  bytes_ += bytes;
}

void Inflights::FreeLE(LogIndex index) {
  while (!items_.empty() && items_.front().index <= index) {
    bytes_ -= items_.front().bytes;
    items_.pop_front();
  }
}

bool Inflights::Full() const {
  return items_.size() >= max_count_ || (max_bytes_ != 0 && bytes_ >= max_bytes_);
}

void Inflights::Reset() {
  items_.clear();
  bytes_ = 0;
}

const char* ProgressStateName(ProgressState s) {
  switch (s) {
    case ProgressState::kProbe:
      return "probe";
    case ProgressState::kReplicate:
      return "replicate";
    case ProgressState::kSnapshot:
      return "snapshot";
  }
  return "?";
}

void Progress::ResetState(ProgressState s) {
  msg_app_flow_paused_ = false;
  pending_snapshot_ = LogIndex(0);
  state_ = s;
  inflights_.Reset();
}

void Progress::BecomeProbe() {
  if (state_ == ProgressState::kSnapshot) {
    // The snapshot may have been applied: probe from after it.
    const LogIndex pending = pending_snapshot_;
    ResetState(ProgressState::kProbe);
    next_ = std::max(match_.next(), pending.next());
  } else {
    ResetState(ProgressState::kProbe);
    next_ = match_.next();
  }
  sent_commit_ = std::min(sent_commit_, next_.prev());
}

void Progress::BecomeReplicate() {
  ResetState(ProgressState::kReplicate);
  next_ = match_.next();
}

void Progress::BecomeSnapshot(LogIndex snapshot_index) {
  ResetState(ProgressState::kSnapshot);
  pending_snapshot_ = snapshot_index;
  next_ = snapshot_index.next();
  sent_commit_ = snapshot_index;
}

void Progress::SentEntries(size_t entries, uint64_t bytes) {
  switch (state_) {
    case ProgressState::kReplicate:
      if (entries > 0) {
        next_ = next_ + entries;
        inflights_.Add(next_.prev(), bytes);
      }
      msg_app_flow_paused_ = inflights_.Full();
      break;
    case ProgressState::kProbe:
      // One probe at a time: wait for its answer (or a heartbeat response) before the next.
      if (entries > 0) msg_app_flow_paused_ = true;
      break;
    case ProgressState::kSnapshot:
      TESSERA_UNREACHABLE("sending entries to a peer in the snapshot state");
  }
}

bool Progress::MaybeUpdate(LogIndex n) {
  if (n <= match_) return false;
  match_ = n;
  next_ = std::max(next_, n.next());
  msg_app_flow_paused_ = false;
  return true;
}

bool Progress::MaybeDecrTo(LogIndex rejected, LogIndex match_hint) {
  if (state_ == ProgressState::kReplicate) {
    // A rejection at or below the match index is stale (reordered).
    if (rejected <= match_) return false;
    next_ = match_.next();
    sent_commit_ = std::min(sent_commit_, next_.prev());
    return true;
  }
  // Probing: only the answer to the probe in flight counts.
  if (next_.prev() != rejected) return false;
  next_ = std::max(std::min(rejected, match_hint.next()), match_.next());
  sent_commit_ = std::min(sent_commit_, next_.prev());
  msg_app_flow_paused_ = false;
  return true;
}

bool Progress::IsPaused() const {
  switch (state_) {
    case ProgressState::kProbe:
    case ProgressState::kReplicate:
      return msg_app_flow_paused_;
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

}  // namespace tessera::raft

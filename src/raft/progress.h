// Progress: the leader's view of one peer's log, with flow control (thesis, section 10.2).
// Internal to raft/; exists only inside the leader's state.
//
//  - probe:     one append at a time until the match index is found;
//  - replicate: appends are pipelined, bounded by an inflight window of messages and bytes;
//  - snapshot:  a snapshot is on its way; nothing else is sent until it is reported.
#pragma once

#include <cstdint>
#include <deque>

#include "common/ids.h"

namespace tessera::raft {

// A bounded window of in-flight append messages (each identified by its last index).
class Inflights {
 public:
  Inflights(size_t max_count, uint64_t max_bytes) : max_count_(max_count), max_bytes_(max_bytes) {}
  // REQUIRES: !Full().
  void Add(LogIndex last_index, uint64_t bytes);
  // Frees every message whose last index is <= index.
  void FreeLE(LogIndex index);
  bool Full() const;
  size_t count() const { return items_.size(); }
  void Reset();

 private:
  struct Item {
    LogIndex index;
    uint64_t bytes;
  };
  size_t max_count_;
  uint64_t max_bytes_;  // 0: unlimited
  uint64_t bytes_ = 0;
  std::deque<Item> items_;
};

enum class ProgressState : uint8_t { kProbe, kReplicate, kSnapshot };
const char* ProgressStateName(ProgressState s);

class Progress {
 public:
  Progress(LogIndex next, size_t max_inflight, uint64_t max_inflight_bytes)
      : next_(next), inflights_(max_inflight, max_inflight_bytes) {}

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(LogIndex snapshot_index);

  // Records an append of `entries` entries (and bytes) just sent.
  void SentEntries(size_t entries, uint64_t bytes);
  // Records the commit index just sent.
  void SentCommit(LogIndex commit) { sent_commit_ = commit; }
  // True if the peer should be told about a commit index it has not been sent.
  bool CanBumpCommit(LogIndex commit) const {
    return commit > sent_commit_ && sent_commit_ < next_.prev();
  }
  // The peer acknowledged index n. Returns false if it was stale.
  bool MaybeUpdate(LogIndex n);
  // The peer rejected an append at `rejected`; probe from `match_hint` next. Returns false if
  // the rejection is stale.
  bool MaybeDecrTo(LogIndex rejected, LogIndex match_hint);
  // True if no append should be sent now.
  bool IsPaused() const;

  LogIndex match() const { return match_; }
  LogIndex next() const { return next_; }
  ProgressState state() const { return state_; }
  LogIndex pending_snapshot() const { return pending_snapshot_; }
  bool recent_active() const { return recent_active_; }
  void set_recent_active(bool v) { recent_active_ = v; }
  void set_flow_paused(bool v) { msg_app_flow_paused_ = v; }
  void set_match(LogIndex m) { match_ = m; }
  void set_next(LogIndex n) { next_ = n; }
  Inflights& inflights() { return inflights_; }
  // The highest lease tick the peer echoed in a heartbeat response.
  uint64_t lease_tick() const { return lease_tick_; }
  void set_lease_tick(uint64_t t) {
    if (t > lease_tick_) lease_tick_ = t;
  }

 private:
  void ResetState(ProgressState s);

  LogIndex match_;
  LogIndex next_;
  LogIndex sent_commit_;
  ProgressState state_ = ProgressState::kProbe;
  LogIndex pending_snapshot_;
  bool recent_active_ = false;
  bool msg_app_flow_paused_ = false;
  Inflights inflights_;
  uint64_t lease_tick_ = 0;
};

}  // namespace tessera::raft

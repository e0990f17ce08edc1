// RawNode: one replica's Raft state machine behind a small, synchronous API.
//
// It is a pure state machine (shared/style.md, items 1-2): no threads, no I/O, no clock. Time is
// Tick(); the network comes in through Step(); everything Raft wants done leaves through a Ready.
// The driving loop is:
//
//   node.Tick() / node.Step(msg) / node.Propose(data) ...   (any number, any order)
//   if (node.HasReady()) {
//     Ready rd = node.GetReady();
//     send rd.messages                     (may happen in parallel with the writes below)
//     persist rd.hard_state, rd.entries, rd.snapshot; sync if rd.must_sync
//     send rd.persisted_messages           (only after the writes above are durable)
//     apply rd.snapshot, then rd.committed_entries (ApplyConfChange for kConfChange entries)
//     node.Advance();
//   }
//
// Thread safety: none. One thread drives a RawNode at a time. Inputs that fail validation
// (unknown node, stale term, index out of range, malformed membership change) are ignored or
// refused with a Status as Raft specifies; only broken internal invariants assert.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "raft/conf_change.h"
#include "raft/config.h"
#include "raft/types.h"

namespace tessera::raft {

class Raft;

// Everything Raft asks the application to do after a batch of inputs. The contract:
//
//  1. `hard_state` (when set), `entries` and `snapshot` (when set) must be written to stable
//     storage, and synced when `must_sync`, before any of `persisted_messages` is sent and before
//     Advance(). Entries at an index already in storage replace that entry and every later one.
//  2. `messages` may be sent at once, before or during the writes of (1): they are the leader's
//     replication traffic and forwarded requests, which assert nothing about this node's disk.
//     (A leader counts itself towards a commit quorum only after Advance(), so it replicates in
//     parallel with its own fsync; thesis, section 10.2.1.) When this Ready changes the term or
//     the vote, `messages` is empty and everything is in `persisted_messages`.
//  3. `snapshot` (when set) is applied to the state machine before `committed_entries`.
//  4. `committed_entries` are applied in order, after (1). For kConfChange entries the
//     application calls ApplyConfChange() before Advance(). Committed entries may overlap
//     `entries` (a follower can learn that entries are committed as it receives them).
//  5. `read_states` are answered once the applied index reaches their index.
//  6. If a message carries a snapshot (kSnap), the application reports the outcome with
//     ReportSnapshot(); an unreachable peer is reported with ReportUnreachable().
struct Ready {
  std::optional<SoftState> soft_state;  // set when the leader or role changed
  std::optional<HardState> hard_state;  // set when it changed
  std::vector<ReadState> read_states;
  std::vector<Entry> entries;               // to persist
  std::optional<Snapshot> snapshot;         // to persist, then apply
  std::vector<Entry> committed_entries;     // to apply
  std::vector<Message> messages;            // may be sent before persisting (see 2.)
  std::vector<Message> persisted_messages;  // send only after persisting (see 1.)
  bool must_sync = false;                   // the writes of (1) must be synced
};

// A read-only view of one peer's replication progress, as the leader sees it.
struct PeerProgress {
  NodeId id;
  LogIndex match;
  LogIndex next;
  const char* state;  // "probe", "replicate" or "snapshot"
  bool learner;
  bool recent_active;
};

// A snapshot of a replica's state for tests, logging and status pages.
struct NodeStatus {
  NodeId id;
  HardState hard_state;
  SoftState soft_state;
  LogIndex applied;
  LogIndex last_index;
  ConfState conf_state;
  std::vector<PeerProgress> progress;  // only on the leader
  NodeId lead_transferee;
};

class RawNode {
 public:
  // Creates a replica from `config` and the state in config.storage. Returns InvalidArgument if
  // the config is invalid or the stored state is inconsistent (e.g. a commit beyond the log).
  static Result<std::unique_ptr<RawNode>> Create(const Config& config);
  ~RawNode();
  RawNode(const RawNode&) = delete;
  RawNode& operator=(const RawNode&) = delete;

  // Advances the logical clock by one tick (elections, heartbeats, lease, transfers).
  void Tick();

  // Starts an election now (the application's "campaign" button; tests).
  void Campaign();

  // Feeds a message from the network. Local message types are refused with InvalidArgument;
  // messages from unknown nodes or stale terms are ignored as Raft specifies.
  Status Step(Message msg);

  // Proposes data to be appended. ProposalDropped when there is no leader to forward to, a
  // leadership transfer is in progress, the entry exceeds max_entry_bytes, or the uncommitted
  // bytes would exceed max_uncommitted_entries_bytes. An OK status does not mean committed.
  Status Propose(std::string data);

  // Proposes several entries in one batch (one message, one append).
  Status ProposeBatch(std::vector<std::string> data);

  // Proposes a membership change. ProposalDropped as for Propose, and when another change is
  // pending (proposed but not applied) or the change is invalid for the current configuration.
  Status ProposeConfChange(const ConfChange& cc);

  // Applies a committed membership change and returns the new membership. A change that is invalid
  // for the current configuration is refused (InvalidArgument) and changes nothing: every replica
  // refuses it the same way, so they stay in agreement.
  Result<ConfState> ApplyConfChange(const ConfChange& cc);

  // Requests a read index; the answer arrives as a ReadState with the same context in a later
  // Ready. Safe mode: after the leader has committed an entry of its term and a heartbeat quorum
  // confirms it still leads. Lease mode: from the lease while it holds. Followers ask the leader.
  // Dropped silently (like a lost message) when no leader is known; the caller retries.
  void ReadIndex(std::string context);

  // Asks the leader to transfer leadership to `transferee` (thesis, section 3.10).
  void TransferLeader(NodeId transferee);

  // The transport could not deliver to `id`: the leader stops pipelining to it.
  void ReportUnreachable(NodeId id);

  // The outcome of sending a snapshot to `id`.
  void ReportSnapshot(NodeId id, bool success);

  // True if GetReady would return something to do.
  bool HasReady() const;

  // The work to do; see Ready. REQUIRES: HasReady(), and Advance() called after the previous one.
  Ready GetReady();

  // Acknowledges that the last Ready was handled as its contract says.
  void Advance();

  // The current state, for tests and status pages.
  NodeStatus GetStatus() const;
  const SoftState& soft_state() const { return prev_soft_state_; }
  NodeId id() const;
  // Cheap accessors for the driving loop: a leader's proposals are appended at LastIndex() + 1...
  // in term(), which identifies them when they are applied.
  LogIndex LastIndex() const;
  Term term() const;
  LogIndex committed() const;
  // True if this replica is the leader and its lease covers the current tick.
  bool LeaseValid() const;

  // Hibernation (the application stops ticking an idle replica). Quiescent: this replica leads,
  // and nothing is in flight: every entry is committed, applied and matched by every member, no
  // read, transfer or membership change is pending, no message is waiting to be sent.
  bool Quiescent() const;
  // Call before ticking again after a pause in ticks (any role). A leader's lease is void (time
  // passed that its ticks did not count; the lease returns with the next heartbeat round a quorum
  // echoes), and its check-quorum window restarts.
  void ResumeAfterPause();

  // Pausing the apply (a merge's target waits for its source replica on this node before it may
  // apply the merge and what follows). Call between GetReady and Advance: the Ready's committed
  // entries after `last_applied` were not applied; Advance records only those up to it, and no
  // committed entry is handed out until ResumeApply(), which hands them out again.
  // REQUIRES: a Ready in flight and last_applied between the applied index before that Ready and
  // its last committed entry.
  void PauseApplyAfter(LogIndex last_applied);
  void ResumeApply();
  bool apply_paused() const { return apply_paused_; }
  // The application learned from outside this group that the entry (index, term) is committed (a
  // merge's target committed the source's prepare entry, which requires every source replica to
  // hold it). Commits up to index if this log holds that entry; returns whether the commit index
  // is now at least index.
  bool CommitKnown(LogIndex index, Term term);

 private:
  explicit RawNode(std::unique_ptr<Raft> raft);

  std::unique_ptr<Raft> raft_;
  SoftState prev_soft_state_;
  HardState prev_hard_state_;
  // What Advance() needs to know about the Ready handed out.
  struct InFlight {
    LogIndex last_entry_index;
    Term last_entry_term;
    LogIndex snapshot_index;
    LogIndex applied_index;
    uint64_t applied_payload_bytes = 0;
  };
  std::optional<InFlight> in_flight_;  // the Ready handed out and not yet advanced
  bool apply_paused_ = false;
};

}  // namespace tessera::raft

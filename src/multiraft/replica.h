// Replica: one member of a shard's Raft group on this node, owned by exactly one worker thread.
//
// It holds the RawNode, the shard descriptor and apply state, the writes waiting to be applied,
// and the reads waiting for a read index or for the apply to catch up. Everything here is touched
// only by the owning worker (no locks), except the ApplyCursor it shares with the apply pool.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/random.h"
#include "multiraft/local_state.h"
#include "multiraft/requests.h"
#include "multiraft/shard.h"
#include "raft/conf_change.h"
#include "raft/raw_node.h"
#include "storage/raft_log_store.h"

namespace tessera::multiraft {

// The replica's view of its log: the log store's, except that the membership comes from the
// apply state, which is written atomically with the applied data (so that after a restart Raft
// resumes exactly where the state machine is).
class ReplicaLogStorage final : public raft::LogStorage {
 public:
  ReplicaLogStorage(std::unique_ptr<storage::ShardLogStorage> inner, const ApplyState* apply)
      : inner_(std::move(inner)), apply_(apply) {}
  Result<raft::InitialState> GetInitialState() const override;
  Result<std::vector<raft::Entry>> Entries(LogIndex lo, LogIndex hi,
                                           uint64_t max_bytes) const override {
    return inner_->Entries(lo, hi, max_bytes);
  }
  Result<Term> TermAt(LogIndex i) const override { return inner_->TermAt(i); }
  LogIndex FirstIndex() const override { return inner_->FirstIndex(); }
  LogIndex LastIndex() const override { return inner_->LastIndex(); }
  // The state machine as applied now: the worker cuts the data of a snapshot it sends from the
  // engine at the same moment (docs/storage_format.md, "Shard snapshots").
  Result<raft::Snapshot> GetSnapshot() const override;

 private:
  std::unique_ptr<storage::ShardLogStorage> inner_;
  const ApplyState* apply_;  // owned by the replica
};

// A replica's apply state as the apply pool advances it (apply_pool.h, worker_apply.cc). While
// entries handed to the pool are not all applied (Replica::submitted_index >
// Replica::apply.applied_index), `state` belongs to the worker's apply lane, which publishes
// each job's outcome in the done_* fields; otherwise it belongs to the worker, which copies its
// own apply state in before it hands over the next entries.
struct ApplyCursor {
  ApplyState state;
  std::mutex mu;
  LogIndex done_index;         // guarded by mu: the last entry applied and written by the lane
  Term done_term;              // guarded by mu
  uint64_t done_revision = 0;  // guarded by mu
};

struct ProposeTask {
  ShardId shard;
  WriteCommand command;
  WriteCallback done;
  // Set for an admin command (then `command` is unused): proposed like a write, in order.
  std::optional<AdminCommand> admin;
  // Set for a membership change (then `command` is unused).
  std::optional<raft::ConfChange> conf_change;
};

struct ReadTask {
  ReadRequest request;
  ReadCallback done;
  int64_t issued_ms = 0;      // when the read index was requested (for stale-read freshness)
  std::string shard_end_key;  // set when accepted: answered with OK responses
};

struct Replica {
  // False for a replica created from a leader's message that has not received its first
  // snapshot: it has no data, no persisted descriptor, and serves no request.
  bool initialized = true;
  // Set once the applied membership no longer contains this node: the replica is destroyed as
  // soon as it does not lead.
  bool removed = false;
  // Non-zero when another member reported the removal (a not-member notice): the conf version
  // of its membership. Such a replica is destroyed even while it believes it leads (it is a stale
  // leader: the group has moved on without it).
  uint64_t removed_by_notice = 0;
  ShardDescriptor desc;
  // The state machine as the worker knows it: behind the engine while the apply pool still holds
  // entries of this replica (submitted_index > apply.applied_index); reads wait on it.
  ApplyState apply;
  std::shared_ptr<ApplyCursor> cursor = std::make_shared<ApplyCursor>();
  LogIndex submitted_index;  // the last committed entry handed to the apply pool
  std::unique_ptr<ReplicaLogStorage> log;
  std::unique_ptr<SeededRandom> rng;
  std::unique_ptr<raft::RawNode> raft;

  // This round's requests, batched: one ProposeBatch and one ReadIndex per replica per round.
  std::vector<ProposeTask> round_writes;
  std::vector<ReadTask> round_reads;

  // Writes appended to the log, waiting to be applied: (index, term) identify them.
  struct PendingWrite {
    LogIndex index;
    Term term;
    WriteCallback done;  // empty once answered with Timeout
    int64_t proposed_ms = 0;
  };
  std::deque<PendingWrite> pending_writes;

  // Reads waiting for their read index (by request context), then for the apply to reach it.
  struct ReadIndexRequest {
    std::vector<ReadTask> tasks;
    int64_t requested_ms = 0;  // when ReadIndex was last asked for (re-asked when lost)
  };
  std::map<std::string, ReadIndexRequest> reads_awaiting_index;
  std::multimap<LogIndex, ReadTask> reads_awaiting_apply;

  // In the worker's active list this round (it got input, or still has work).
  bool active = false;

  // Hibernation: not ticked while set. last_request_ms: when the replica last got a client
  // request (or woke): the leader hibernates hibernate_after_ms after it, once Raft is quiescent.
  bool hibernating = false;
  int64_t last_request_ms = 0;

  // Descriptors of the shards split off from this one, newest first (a few), returned with
  // EpochNotMatch so that a client with the old epoch learns both halves.
  std::vector<ShardDescriptor> split_off;

  // Nodes this replica received a message from since the last membership change: they have a
  // replica of the shard, so heartbeats to them need not carry the descriptor.
  std::vector<NodeId> heard_from;

  // A received snapshot stepped into Raft, waiting to be installed from its directory.
  struct IncomingSnapshot {
    LogIndex index;
    Term term;
    std::string dir;
    ShardDescriptor desc;
    ApplyState apply;
  };
  std::optional<IncomingSnapshot> incoming_snapshot;

  // Campaign as soon as the worker takes the replica in (a shard created by a split on the node
  // where its parent leads: no election timeout without a leader).
  bool campaign_on_start = false;

  // Log GC: when the leader checks next, and the index an applied compaction asks the next log
  // write to compact to (0: none).
  int64_t next_log_gc_ms = 0;
  LogIndex compact_to;

  // The epoch version under which this replica last proposed a split by size (one at a time).
  uint64_t split_proposed_version = UINT64_MAX;
  int64_t split_proposed_ms = 0;
  int64_t next_split_check_ms = 0;

  // The last hard state written to the log store by this replica's rounds (term and vote are
  // what must be durable; commit-only changes are not written).
  raft::HardState persisted_hs;

  // Merge (worker_merge.cc). As the target: the commit entry waiting for this node's source
  // replica (the apply is paused before it until the source is ready).
  struct MergeWait {
    ShardId shard;          // the other shard of the merge
    LogIndex commit_index;  // the kCommitMerge entry
    LogIndex prepare_index;
    Term prepare_term;
    bool source_ready = false;
    uint64_t source_revision = 0;  // with source_ready
    int64_t asked_ms = 0;
  };
  std::optional<MergeWait> merge_wait;
  // As the source: the target on this node waits for this replica to apply up to the prepare
  // entry (then it stops for good: `merged`).
  std::optional<MergeWait> merge_requested;
  bool merged = false;
  int64_t next_merge_check_ms = 0;
  // The epoch last published to ShardRanges (merges read the target's epoch there).
  Epoch published_epoch;

  // Requests accepted since the replica was loaded (the node's reports to PD derive rates).
  ReplicaCounters counters;

  // Stale reads: the applied state is known to be at least as fresh as this time (ms on the
  // steady clock): the issue time of the newest satisfied read index.
  int64_t fresh_as_of_ms = -1;
};

}  // namespace tessera::multiraft

// Worker: one thread driving many replicas in rounds (shared/style.md, item 8; tikv's
// batch-system PollHandler).
//
// One round:
//   1. drain the mailbox: Raft messages are stepped at once; writes and reads are gathered per
//      replica; ticks are due every tick_ms;
//   2. per replica, one ProposeBatch for all its writes and one ReadIndex for all its reads;
//   3. collect every replica's Ready: send the messages that may go before persisting (the
//      leader's appends, in parallel with its own fsync), and gather every replica's entries and
//      hard state into ONE log-store write with ONE fsync;
//   4. send the messages that needed persistence, grouped by destination node;
//   5. apply committed entries of every replica in ONE engine batch with their apply states,
//      answer the writes and the reads that are now safe, Advance. Committed writes go to the
//      node's apply pool (apply_pool.h, worker_apply.cc), which applies and answers them while
//      the worker goes on with its next round; admin entries, membership changes and snapshots
//      are applied on the worker, once the pool has applied everything before them.
//
// Thread safety: Submit* and Stop are thread-safe; RunApplyJob runs on the worker's apply lane
// and touches only its job, the engine, the replicas' ApplyCursors and atomic counters;
// everything else runs on the worker thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <thread>
#include <variant>
#include <vector>

#include "common/histogram.h"
#include "multiraft/apply_pool.h"
#include "multiraft/mailbox.h"
#include "multiraft/node_liveness.h"
#include "multiraft/options.h"
#include "multiraft/replica.h"
#include "multiraft/shard_ranges.h"
#include "multiraft/snapshot_dirs.h"
#include "multiraft/snapshot_transport.h"
#include "multiraft/transport.h"
#include "raft/raw_node.h"
#include "storage/engine.h"
#include "storage/raft_log_store.h"
#include "storage/write_batch.h"

namespace tessera::multiraft {

struct MessagesTask {
  std::vector<ShardMessage> messages;
};
struct UnreachableTask {
  NodeId to;
  std::vector<ShardId> shards;
};
// Installs a replica recovered or bootstrapped by the node (before or while running).
struct AddReplicaTask {
  std::unique_ptr<Replica> replica;
};
// A whole, verified snapshot received for one of this worker's shards (SnapshotReceiver).
struct SnapshotTask {
  NodeId from;
  ShardMessage msg;  // the Raft kSnap message, with the sender's descriptor
  std::string dir;   // owned by the worker from now on
};
// The outcome of sending a snapshot (reported to the leader's Raft).
struct SnapshotStatusTask {
  ShardId shard;
  NodeId to;
  bool ok = false;
};
// Asks the shard's leader here to hand leadership to `to`.
struct TransferLeaderTask {
  ShardId shard;
  NodeId to;
  WriteCallback done;
};
// Merge hand-over between the workers of a merge's target and source on one node
// (worker_merge.cc): the target asks the source replica to reach the prepare entry; the source,
// once there and frozen, answers; the target, once it applied the merge, lets the source go.
struct MergeSourceTask {
  ShardId source;
  ShardId target;
  LogIndex prepare_index;
  Term prepare_term;
};
struct MergeReadyTask {
  ShardId target;
  ShardId source;
  uint64_t source_revision = 0;  // the source's revision, final since its prepare entry
};
struct MergeDoneTask {
  ShardId source;
};
// The source replica a target waits for is gone from the node (destroyed as left behind when a
// snapshot of the covering shard arrived first): the target cannot apply the merge from its log
// and drops its state to be refilled by a snapshot.
struct MergeSourceGoneTask {
  ShardId target;
  ShardId source;
};
// A snapshot of shard `by` overlaps the replica of `shard` here: if `by` covers its range at a
// newer version, the replica's shard was merged away (docs/protocol.md, "Merge") and it goes.
// With `merged` set the sender knows it (the node's target installed a snapshot past the merge)
// and the replica goes without a check.
struct ObsoleteReplicaTask {
  ShardId shard;
  ShardDescriptor by;
  bool merged = false;
};
// From a merge's source leader to the target's replica on its node, every election timeout: the
// target (its applied state) proposes the commit if its epoch is still the one the merge names
// and `may_commit`, or has the source roll back if its applied epoch moved past it without this
// merge.
struct MergeCheckTask {
  ShardId target;
  AdminCommand commit;    // the kCommitMerge to propose
  AdminCommand rollback;  // the kRollbackMerge the source would propose
  bool may_commit = false;
};
// Asks for a report of every replica of the worker (worker_report.cc).
struct ReportTask {
  std::function<void(std::vector<ReplicaReport>)> done;
};
// From the worker's apply lane: a job was applied (the worker collects its replicas' progress
// and releases the reads waiting for it).
struct AppliedTask {};
// From the apply lane: a write refused with EpochNotMatch, to be answered by the worker with the
// replica's current descriptors.
struct HintedAnswerTask {
  ShardId shard;
  WriteCallback done;
  WriteResponse response;
};
using Task = std::variant<MessagesTask, ProposeTask, ReadTask, UnreachableTask, AddReplicaTask,
                          SnapshotTask, SnapshotStatusTask, TransferLeaderTask, MergeSourceTask,
                          MergeReadyTask, MergeDoneTask, ObsoleteReplicaTask, MergeCheckTask,
                          MergeSourceGoneTask, ReportTask, AppliedTask, HintedAnswerTask>;

// What a worker needs from its node: building replicas and handing them to the worker that owns
// their shard (a split creates a shard that another worker may own).
class ReplicaHost {
 public:
  virtual ~ReplicaHost() = default;
  // Builds a replica of `desc` whose state machine is at `apply`, over the shard's log in the
  // log store (which must exist).
  virtual Result<std::unique_ptr<Replica>> BuildReplica(const ShardDescriptor& desc,
                                                        const ApplyState& apply) = 0;
  // Queues `replica` on the worker that owns its shard. Thread-safe.
  virtual void AddReplica(std::unique_ptr<Replica> replica) = 0;
  // A new, cluster-unique shard id (for a split). Thread-safe.
  virtual ShardId AllocShardId() = 0;
  // Queues `task` on the worker that owns `shard`. Thread-safe.
  virtual void SubmitTo(ShardId shard, Task task) = 0;
  // Runs `job` off the worker threads (threaded mode: a background thread; polled mode: during
  // the next Node::Poll). Thread-safe.
  virtual void RunInBackground(std::function<void()> job) = 0;
  // The ranges and tombstones of the replicas on this node.
  virtual ShardRanges& ranges() = 0;
  // When this node last heard from each other node (hibernating followers consult it).
  virtual const NodeLiveness& liveness() const = 0;
  // Snapshot transfer; null when the node was opened without one (snapshots then fail).
  virtual SnapshotSender* snapshot_sender() = 0;
  virtual SnapshotDirs* snapshot_dirs() = 0;
};

// Counters, read by tests, benchmarks and /metrics.
struct WorkerStats {
  std::atomic<uint64_t> rounds{0};
  std::atomic<uint64_t> log_writes{0};
  std::atomic<uint64_t> log_syncs{0};
  std::atomic<uint64_t> entries_persisted{0};
  std::atomic<uint64_t> entries_applied{0};
  std::atomic<uint64_t> messages_sent{0};
  std::atomic<uint64_t> batches_sent{0};
  // Hibernation: replicas that fell asleep and woke (a destroyed sleeping replica counts as
  // woken), so hibernations - wakes are asleep now.
  std::atomic<uint64_t> hibernations{0};
  std::atomic<uint64_t> wakes{0};
  // Entries leaders proposed (writes, admin commands, membership changes), and entries handed to
  // the state machine (every committed entry, empty and admin ones included).
  std::atomic<uint64_t> proposals{0};
  std::atomic<uint64_t> entries_committed{0};
  // Per synced log write: its duration (write and fsync), and the entries it persisted.
  Histogram log_sync_seconds{Histogram::LatencyBounds()};
  Histogram round_entries{Histogram::SizeBounds()};
};

// Whether `source` may merge into `target` as far as their descriptors tell: adjacent, and the
// same voters with no learners (every node with a replica of one has one of the other).
Status CheckMergeShape(const ShardDescriptor& source, const ShardDescriptor& target);

class Worker {
 public:
  // Election timeouts a read waits for its read index before it is answered with Timeout.
  static constexpr int kReadIndexAttempts = 5;

  // `apply_pool` (not owned; null: every entry is applied on the worker) must outlive the worker.
  Worker(int index, const NodeOptions& opts, storage::Engine* engine, storage::LogStore* log_store,
         Transport* transport, ReplicaHost* host, ApplyPool* apply_pool);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Threaded mode: runs rounds on the worker's own thread until Stop.
  void Start();
  // Polled mode (the deterministic simulator; never together with Start): runs one round on the
  // calling thread without waiting: takes what the mailbox holds, ticks when a tick is due on
  // the clock, persists, sends, applies. Returns true when a replica still has work (poll
  // again before advancing the clock).
  bool Poll();
  // When the next tick is due, on the options' clock (nanoseconds).
  int64_t next_tick_nanos() const { return next_tick_ns_; }
  // Stops after the current round; requests still waiting get Timeout (their outcome is
  // unknown) or Unavailable. Idempotent.
  void Stop();

  // Queues a task. Requests beyond the mailbox capacity are refused (false); Raft messages get
  // a larger allowance and are dropped (like lost packets) beyond it.
  bool Submit(Task task);

  const WorkerStats& stats() const { return stats_; }
  // Tasks waiting in the mailbox now.
  size_t mailbox_depth() const { return mailbox_.size(); }
  // True once Stop began: Submit refuses everything from then on.
  bool stopping() const { return mailbox_.closed(); }

 private:
  void Run();
  bool Round(std::vector<Task>& tasks);
  void FailEverything();
  int64_t NowMs() const { return clock_->NowNanos() / 1'000'000; }
  void Dispatch(Task& task);
  void HandleMessages(MessagesTask& t);
  void HandlePropose(ProposeTask& t);
  void HandleRead(ReadTask& t);
  void Tick();
  Replica* Find(ShardId shard);

  // Round phases (worker_round.cc).
  void FlushRequests();
  void ProposeWrites(Replica& r);
  void RequestReads(Replica& r);
  bool ProcessReadies();
  // A replica created by a split, to be built and handed over once the apply batch is written.
  struct NewReplica {
    ShardDescriptor desc;
    ApplyState apply;
    bool campaign = false;   // the parent's leader is here: the new shard campaigns at once
    ShardDescriptor parent;  // the split shard's descriptor after the split
  };
  // What an apply round changes beyond its batch, done once the batch is written.
  struct ApplyEffects {
    std::vector<std::pair<WriteCallback, WriteResponse>> answers;
    std::vector<NewReplica> created;                          // by splits
    std::vector<std::pair<ShardId, ShardDescriptor>> merged;  // (source, target after)
  };
  // A replica's Ready in the round being processed; `applied` once its committed entries are.
  struct ReadyItem {
    Replica* replica;
    raft::Ready rd;      // its entries moved into the round's log batch
    LogIndex first_new;  // the index of the first entry this round persists (0: none)
    bool applied = false;
  };
  // Applies the committed entries of the items not applied yet (with `durable_only`, only those
  // whose entries were all in the local log before this round's write), in one engine batch,
  // then publishes what the entries changed and answers their writes.
  void ApplyAndAnswer(std::vector<ReadyItem>& items, bool durable_only);
  void ApplyCommitted(Replica& r, raft::Ready& rd, class ApplyBatch& batch, ApplyEffects* fx);
  // Takes the pending writes up to entry e off r.pending_writes: returns the callback of the write
  // that is e (empty if none is), and adds those of writes replaced by another leader's entries
  // (never applied; answered with ReplacedWrite()) to *replaced.
  WriteCallback TakePendingWrite(Replica& r, const raft::Entry& e,
                                 std::vector<WriteCallback>* replaced);
  static WriteResponse ReplacedWrite();
  void ApplyEntry(Replica& r, const raft::Entry& e, class ApplyBatch& batch, WriteResponse* resp,
                  ApplyEffects* fx);
  // A kWrite entry of shard `desc` at *revision (the worker's apply or the pool's); thread-safe
  // (touches only the batch, *revision and atomic counters).
  void ApplyWriteEntry(const ShardDescriptor& desc, const raft::Entry& e, class ApplyBatch& batch,
                       uint64_t* revision, WriteResponse* resp);

  // Asynchronous apply (worker_apply.cc).
  // Committed writes of one round handed to the apply pool, per replica.
  struct ApplyJob {
    struct Part {
      ShardDescriptor desc;  // fixed while the pool holds entries (only admin entries change it)
      std::shared_ptr<ApplyCursor> cursor;
      std::vector<raft::Entry> entries;                        // kWrite and empty entries only
      std::vector<std::pair<LogIndex, WriteCallback>> writes;  // this node's, in index order
    };
    std::vector<Part> parts;
  };
  // True if the pool may apply the Ready's committed entries: plain writes of a replica that is
  // neither merging nor leaving, without a snapshot.
  bool CanApplyAsync(const Replica& r, const raft::Ready& rd) const;
  // Moves the Ready's committed entries, and the writes waiting for them, into `job`.
  void AddToApplyJob(Replica& r, raft::Ready& rd, ApplyJob* job);
  // On the apply lane: applies the job in one engine batch, publishes each replica's progress,
  // answers the writes, and wakes the worker (AppliedTask).
  void RunApplyJob(ApplyJob& job);
  // Waits until the pool has applied everything handed over for `r`, and takes its state back.
  // Required before anything else reads or changes the replica's data or apply state: applying
  // on the worker, installing or cutting a snapshot, destroying the replica.
  void ApplyBarrier(Replica& r);
  // Takes in what the pool has applied for `r`; true once it holds nothing more of r.
  bool CollectApplied(Replica& r);
  // For every replica with entries in the pool: CollectApplied, then release the reads.
  void CollectAllApplied();
  Status ApplySplit(Replica& r, const AdminCommand& cmd, class ApplyBatch& batch,
                    std::vector<NewReplica>* created);
  void CheckSplit(Replica& r);

  // Merge (worker_merge.cc; docs/protocol.md, "Merge").
  // The checks of a merge's entries, on replicated state only (every replica decides the same).
  Status CheckPrepareMerge(const Replica& r, const AdminCommand& cmd) const;
  Status CheckCommitMerge(const Replica& r, const AdminCommand& cmd) const;
  // Source: applies kPrepareMerge / kRollbackMerge at entry (index, term).
  Status ApplyPrepareMerge(Replica& r, const AdminCommand& cmd, const raft::Entry& e,
                           class ApplyBatch& batch);
  Status ApplyRollbackMerge(Replica& r, const AdminCommand& cmd, class ApplyBatch& batch);
  // Target: true if entry e is a merge commit that must wait for the source replica here (then
  // the apply pauses before it and the source is asked).
  bool MergeMustWait(Replica& r, const raft::Entry& e);
  // Target: applies the merge (the source replica here is ready); `merged` collects what to
  // publish once the batch is written.
  Status ApplyCommitMerge(Replica& r, const AdminCommand& cmd, class ApplyBatch& batch,
                          std::vector<std::pair<ShardId, ShardDescriptor>>* merged);
  void AskMergeSource(Replica& r);
  void HandleMergeSource(const MergeSourceTask& t);
  void HandleMergeReady(const MergeReadyTask& t);
  void HandleMergeDone(const MergeDoneTask& t);
  void HandleObsoleteReplica(const ObsoleteReplicaTask& t);
  void HandleMergeCheck(const MergeCheckTask& t);
  void HandleMergeSourceGone(const MergeSourceGoneTask& t);
  // The state of every replica here, for the node's reports to PD (worker_report.cc).
  std::vector<ReplicaReport> Report() const;
  // Source: once applied up to the prepare entry the target waits for, stops for good and tells
  // the target.
  void MaybeHandOverMergeSource(Replica& r);
  // Source leader, periodically: proposes the commit on the target (its leader must be on this
  // node: otherwise this source's leadership moves there), or the rollback once the target's
  // epoch moved past the one the merge requires.
  void CheckMerge(Replica& r, int64_t now_ms);
  void CheckLogGc(Replica& r);

  // Hibernation (worker_hibernation.cc): an idle shard stops ticking on all its replicas.
  // Leader: hibernates once nothing has happened for hibernate_after_ms and Raft is quiescent,
  // telling its followers (kHibernate notices).
  void MaybeHibernate(Replica& r, int64_t now_ms);
  void SetHibernating(Replica& r, bool on);  // and the counters
  // Resumes ticking (a request, a message, or the leader's node found dead). A follower tells its
  // leader (kWake), so that heartbeats resume before its election timer runs out.
  void Wake(Replica& r, bool tell_leader);
  // A follower's answer to its leader's kHibernate notice.
  void HandleHibernateNotice(Replica& r, const ShardMessage& sm);
  // Tick work for a hibernating replica: wakes a follower whose leader's node is among `dead`.
  // Returns whether the replica still hibernates.
  bool TickHibernating(Replica& r, const std::vector<NodeId>& dead);
  // The nodes of peers_ silent for node_dead_after_ms.
  std::vector<NodeId> DeadPeers(int64_t now_ms) const;
  // Node-level heartbeats: an empty batch to every node this worker's replicas share a shard
  // with, every node_heartbeat_interval_ms (while hibernation is on).
  void SendNodeHeartbeats(int64_t now_ms);
  int64_t next_node_heartbeat_ms_ = 0;
  std::vector<NodeId> peers_;      // nodes sharing a shard with this worker's replicas
  std::vector<NodeId> last_dead_;  // DeadPeers at the previous tick
  size_t peers_replicas_ = 0;      // replicas_.size() when peers_ was computed
  int64_t next_peers_refresh_ms_ = 0;

  // Replica lifecycle (worker_lifecycle.cc).
  // A replica for a shard this node does not have, from a leader's message that carries its
  // descriptor; null when the node must not have one (not a member, tombstoned, or its range
  // overlaps a replica on this node).
  Replica* MaybeCreateReplica(const ShardMessage& sm);
  // Refuses (Unavailable) a membership change after which the live voters (this leader and the
  // members that acknowledged some of its log) would not form a quorum: such a change could leave
  // the shard unable to elect a leader.
  Status CheckLiveQuorumAfter(const Replica& r, const raft::ConfChange& cc) const;
  // This node's replica incarnation in r's shard (ApplyState::joined_at), sent with every message.
  uint64_t Incarnation(const Replica& r) const;
  // True if sm comes from a replica of its node older than the one r's membership knows.
  bool IsStaleIncarnation(const Replica& r, const ShardMessage& sm) const;
  // Sends a notice (transport.h) about this node's replica of `shard` to `to`, at once.
  void SendNotice(ShardId shard, NodeId to, Term term, ShardNotice notice,
                  std::optional<ShardDescriptor> desc, LogIndex index = LogIndex(0),
                  LogIndex commit = LogIndex(0));
  // A notice from another node: kNotMember destroys the replica if the notice's membership is
  // newer than its own; kNoReplica makes the next heartbeat to the sender carry the descriptor.
  void HandleNotice(const ShardMessage& sm);
  void HandleSnapshot(SnapshotTask& t);
  // Leader: cuts the snapshot Raft asked for off the worker thread and sends it.
  void SendSnapshot(Replica& r, raft::Message m);
  // Installs the replica's incoming snapshot: the data now, the descriptor and apply state with
  // this round's log write (`extra`).
  void InstallSnapshot(Replica& r, const raft::Snapshot& snap, storage::LogWriteBatch* log_batch,
                       storage::WriteBatch* extra);
  void FinishSnapshot(Replica& r);
  void DropIncomingSnapshot(Replica& r);
  // Removes a replica that left its group: its data, metadata and log, with a tombstone.
  // Without `tombstone` (a member that drops its own state to be refilled by a snapshot) the
  // replica is re-created from the leader's next heartbeat.
  void DestroyReplica(ShardId shard, bool tombstone = true);
  void HandleReadStates(Replica& r, const std::vector<raft::ReadState>& states);
  void ReleaseReads(Replica& r);
  void Send(std::map<NodeId, RaftBatch>& outbox);
  void Enqueue(std::map<NodeId, RaftBatch>& outbox, Replica& r, raft::Message m);
  // Answers everything the replica holds: writes not yet proposed and reads with `s`, writes in
  // the log with Timeout (their outcome is unknown).
  void FailAll(Replica& r, const Status& s);

  // Errors answered before proposing or reading.
  Status CheckEpoch(const Replica& r, const Epoch& epoch, RouteHint* hint) const;
  Status CheckAdmin(const Replica& r, const AdminCommand& cmd) const;
  RouteHint HintFor(const Replica& r) const;

  const int index_;
  const NodeOptions opts_;
  storage::Engine* const engine_;
  storage::LogStore* const log_store_;
  Transport* const transport_;
  ReplicaHost* const host_;
  ApplyPool* const apply_pool_;
  Clock* const clock_;
  const int64_t tick_ns_;
  Mailbox<Task> mailbox_;
  std::thread thread_;
  std::atomic<bool> started_{false};
  bool stopped_ = false;
  WorkerStats stats_;

  // Worker-thread state.
  std::map<ShardId, std::unique_ptr<Replica>> replicas_;
  // The replicas that tick: every replica but the hibernating ones (ordered, so that a simulated
  // run replays).
  std::map<ShardId, Replica*> awake_;
  std::vector<Replica*> touched_;   // replicas with requests this round
  std::vector<Replica*> applying_;  // replicas with entries in the apply pool
  // Replicas that may have a Ready this round: only these are visited, so a round costs what
  // its traffic costs, not the number of replicas.
  std::vector<Replica*> active_;
  void Activate(Replica* r) {
    if (!r->active) {
      r->active = true;
      active_.push_back(r);
    }
  }
  int64_t next_tick_ns_;
  uint64_t read_seq_ = 0;
  uint64_t ticks_ = 0;
};

}  // namespace tessera::multiraft

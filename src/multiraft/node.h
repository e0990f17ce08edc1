// Node: a `tessera server` process's replicas, driven by a fixed set of worker threads.
//
// The node owns the Raft log store (in the same store engine as the data, so one engine hosts
// both), routes each shard to one worker (by shard id), and routes requests and Raft messages to
// that worker's mailbox. It recovers every replica from the engine when opened.
//
// Thread safety: every public method is thread-safe. Callbacks run on worker threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/histogram.h"
#include "multiraft/options.h"
#include "multiraft/requests.h"
#include "multiraft/transport.h"
#include "multiraft/worker.h"
#include "storage/engine.h"
#include "storage/raft_log_store.h"

namespace tessera::multiraft {

// How a node's snapshots travel (both not owned; must outlive the node). Without them a node
// neither sends nor receives snapshots, so replicas cannot be added to it.
struct SnapshotServices {
  SnapshotSender* sender = nullptr;
  SnapshotDirs* dirs = nullptr;  // Open()ed by the caller
};

class Node final : public RaftBatchHandler, public ReplicaHost, public SnapshotReceiver {
 public:
  // Opens the node over `engine` (not owned, must outlive the node) and recovers its replicas
  // (finishing any snapshot install a crash interrupted). `transport` (not owned) carries its
  // Raft messages.
  static Result<std::unique_ptr<Node>> Open(const NodeOptions& opts, storage::Engine* engine,
                                            Transport* transport, SnapshotServices snapshots = {});
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Creates a replica of `desc` as a member of a new group whose membership is desc.voters and
  // desc.learners (static bootstrap: every node of the group calls it with the same descriptor).
  // A no-op when this node already has the shard with the same id and range; AlreadyExists when
  // it has a different one. May be called before or after Start().
  Status Bootstrap(const ShardDescriptor& desc);
  // The same for many shards at once, with one synced log write and one synced metadata write.
  Status Bootstrap(const std::vector<ShardDescriptor>& shards);

  // Starts the worker threads.
  void Start();
  // Polled mode, for the deterministic simulator (never together with Start): runs one round of
  // every worker on the calling thread. Returns true when some replica still has work.
  bool Poll();
  // When the next tick of any worker is due (nanoseconds on options().clock).
  int64_t NextTickNanos() const;
  // Stops the workers; requests in flight get Timeout (outcome unknown). Idempotent.
  void Stop();

  void Write(ShardId shard, WriteCommand command, WriteCallback done);
  void Read(ReadRequest request, ReadCallback done);

  // Splits `shard` at `split_key` through its log (sent to the shard's leader on this node; else
  // NotLeader). The shard keeps [start, split_key); a new shard takes [split_key, end) with the
  // same members. `epoch` must be the shard's current epoch (else EpochNotMatch). When
  // `new_shard` is zero the node allocates an id. On success the response's hint.current holds
  // the shard's new descriptor, then the new shard's, then those of earlier splits (a few).
  void Split(ShardId shard, Epoch epoch, std::string split_key, WriteCallback done,
             ShardId new_shard = ShardId());

  // Merges shard `source` into the adjacent shard `target` (docs/protocol.md, "Merge"): sent to
  // the source's leader on this node (else NotLeader), which must hold a replica of the target
  // too. Both shards must have the same voters and no learners (else InvalidArgument); `epoch`
  // must be the source's current epoch (else EpochNotMatch). OK means the source is prepared
  // (frozen: its requests get Busy): the merge then completes by itself, or is rolled back if the
  // target's epoch moves on first. On success the hint holds the source's frozen descriptor.
  void Merge(ShardId source, Epoch epoch, ShardId target, WriteCallback done);

  // Changes the shard's membership through its log (sent to the leader on this node; else
  // NotLeader): adds learners, promotes learners to voters, removes replicas. One change is a
  // single step; several go through a joint configuration that the leader leaves by itself.
  // `epoch` must be current (else EpochNotMatch); a change while another is pending is refused
  // (ProposalDropped). A replica added to a node is created there from the leader's messages and
  // filled by a snapshot; a removed replica destroys its data once the change has committed and
  // applied (and, for a leader, once it has handed leadership over). On success the hint holds
  // the new descriptor.
  void ChangeMembership(ShardId shard, Epoch epoch, raft::ConfChange change, WriteCallback done);

  // Asks the shard's leader on this node to hand leadership to voter `to` (else NotLeader, or
  // InvalidArgument for a non-voter). OK means the transfer started: Raft hands over once `to`
  // has caught up, and gives up after an election timeout.
  void TransferLeader(ShardId shard, NodeId to, WriteCallback done);

  // RaftBatchHandler (called by the transport).
  void HandleRaftBatch(RaftBatch batch) override;
  void ReportUnreachable(NodeId to, const std::vector<ShardId>& shards) override;
  // SnapshotReceiver (called by the snapshot transport).
  void HandleSnapshot(NodeId from, ShardMessage msg, std::string received_dir) override;

  // ReplicaHost (called by workers).
  Result<std::unique_ptr<Replica>> BuildReplica(const ShardDescriptor& desc,
                                                const ApplyState& apply) override;
  void AddReplica(std::unique_ptr<Replica> replica) override;
  ShardId AllocShardId() override;
  void SubmitTo(ShardId shard, Task task) override;
  void RunInBackground(std::function<void()> job) override;
  ShardRanges& ranges() override { return ranges_; }
  const NodeLiveness& liveness() const override { return liveness_; }
  SnapshotSender* snapshot_sender() override { return snapshots_.sender; }
  SnapshotDirs* snapshot_dirs() override { return snapshots_.dirs; }

  // The state of every replica on this node (threaded mode): asks each worker and waits for it
  // at most `timeout_ms` (a worker that does not answer in time is left out).
  std::vector<ReplicaReport> Report(int timeout_ms);

  // Ids for the shards this node's own splits create (by size, or without an id from the
  // caller), handed out by PD: AllocShardId takes them in order while any are left, and draws a
  // random 62-bit id otherwise (a node without PD).
  void AddShardIds(uint64_t first, uint64_t count);
  size_t shard_ids_left() const;

  NodeId id() const { return opts_.node_id; }
  storage::Engine* engine() const { return engine_; }
  storage::LogStore* log_store() const { return log_store_.get(); }
  const NodeOptions& options() const { return opts_; }
  // The descriptors of the replicas on this node, as last persisted.
  std::vector<ShardDescriptor> Shards() const;
  // Sum of the workers' counters.
  struct Stats {
    uint64_t rounds = 0, log_writes = 0, log_syncs = 0, entries_persisted = 0, entries_applied = 0,
             messages_sent = 0, batches_sent = 0, hibernations = 0, wakes = 0;
    int64_t hibernating = 0;  // replicas asleep now
    uint64_t proposals = 0, entries_committed = 0;
    int64_t mailbox_tasks = 0;  // tasks waiting in the workers' mailboxes now
    Histogram::Snapshot log_sync_seconds, round_entries;
  };
  Stats stats() const;

 private:
  Node(const NodeOptions& opts, storage::Engine* engine, Transport* transport,
       SnapshotServices snapshots);
  void BackgroundLoop();
  bool RunBackgroundJobs();
  Status Recover();
  Result<std::unique_ptr<Replica>> LoadReplica(const ShardDescriptor& desc);
  Worker& WorkerFor(ShardId shard) { return *workers_[shard.value() % workers_.size()]; }
  // Queues a write-like request (`make` builds the task around the callback) on the shard's
  // worker; a full mailbox answers Busy. The callback survives a refused Submit.
  template <typename MakeTask>
  void SubmitWrite(ShardId shard, WriteCallback done, MakeTask make);

  const NodeOptions opts_;
  storage::Engine* const engine_;
  Transport* const transport_;
  std::unique_ptr<storage::LogStore> log_store_;
  std::unique_ptr<ApplyPool> apply_pool_;  // null with apply_threads 0; outlives the workers
  std::vector<std::unique_ptr<Worker>> workers_;
  std::mutex bootstrap_mu_;  // serializes Bootstrap calls
  bool started_ = false;
  uint64_t seed_ = 0;  // opts_.random_seed, or drawn from the system's entropy
  const SnapshotServices snapshots_;
  ShardRanges ranges_;
  NodeLiveness liveness_;
  // Background jobs (cutting snapshots): a thread in threaded mode, Poll in polled mode.
  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  std::deque<std::function<void()>> bg_jobs_;  // guarded by bg_mu_
  bool bg_stop_ = false;                       // guarded by bg_mu_
  std::thread bg_thread_;
  mutable std::mutex id_mu_;
  std::unique_ptr<SeededRandom> id_rng_;                 // guarded by id_mu_
  std::unique_ptr<SeededRandom> poll_rng_;               // polled mode: when the apply runs
  std::deque<std::pair<uint64_t, uint64_t>> id_ranges_;  // [first, end) from PD; guarded by id_mu_
};

}  // namespace tessera::multiraft

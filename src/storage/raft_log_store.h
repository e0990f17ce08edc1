// LogStore: the raft logs of every replica on a node, in one storage::Engine (Cf::kRaft), with
// group commit.
//
// One LogStore per node serves many shards. A worker round collects the Readies of all its
// replicas into one LogWriteBatch (entries, hard states, snapshots, compactions) and calls
// Write once: ONE engine write, atomic across all shards, and with sync ONE fsync for all of
// them (shared/architecture.md, "storage/"; tikv raftstore's RaftPoller::end). Each replica's
// RawNode reads its own log through a ShardLogStorage (raft::LogStorage).
//
// The key layout and record format are in raft_log_format.h and docs/storage_format.md
// ("Raft log store"). Every record read from the engine has its checksum verified; a mismatch,
// a missing entry or an undecodable record is Status::Corruption naming the shard and the index,
// never wrong data.
//
// Memory: per shard a few words of state plus an EntryCache of the latest entries, bounded by
// LogStoreOptions::cache_bytes_per_shard.
//
// Thread safety: all methods may be called from many threads. A given shard must be written by
// one thread at a time (the worker that owns the replica; asserted), and its reads must not race
// with its own writes. Different shards may be written concurrently by different Writes; each
// Write is one engine write, and the engine serializes and may group them itself.
//
// Ownership: the LogStore does not own the Engine, which must outlive it. ShardLogStorage views
// must not outlive the LogStore.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "common/status.h"
#include "raft/log_storage.h"
#include "raft/types.h"
#include "storage/engine.h"
#include "storage/raft_log_batch.h"
#include "storage/raft_log_cache.h"
#include "storage/raft_log_format.h"

namespace tessera::storage {

struct LogStoreOptions {
  // Upper bound on the cached entries of one shard, in raft::EntryBytes. The newest entry is
  // always cached. Default: 1 MiB.
  uint64_t cache_bytes_per_shard = uint64_t{1} << 20;
  // Produces the data of a shard's snapshot for GetSnapshot (the state machine image is cut from
  // Cf::kData by the layer above); returning Busy makes Raft retry later. When unset,
  // GetSnapshot returns the recorded metadata with empty data. Default: unset.
  std::function<Result<std::string>(ShardId, const raft::SnapshotMetadata&)> snapshot_data;

  // InvalidArgument when a field is out of range.
  Status Validate() const;
};

// What the store knows of one shard's log (in memory, no engine access).
struct ShardLogState {
  raft::HardState hard_state;
  raftlog::TruncatedState truncated;  // FirstIndex() == truncated.index + 1
  raft::SnapshotMetadata snapshot;    // the recorded snapshot (index 0: none)
  LogIndex last_index;                // truncated.index when the log is empty
  Term last_term;

  LogIndex first_index() const { return truncated.index.next(); }
};

struct LogWriteOptions {
  // One fsync for the whole batch before Write returns. Default: true (a Ready's entries and
  // hard state must be durable before its persisted messages are sent).
  bool sync = true;
  // Other engine writes (not owned; may be null) made atomic with the log's: they go in the same
  // engine write, after the log's operations. The state machine uses it to record its metadata
  // (e.g. the apply state of an installed snapshot) together with the log it belongs with.
  const WriteBatch* extra = nullptr;
};

class ShardLogStorage;

class LogStore {
 public:
  // Opens the log store over `engine` (not owned; must outlive the store), rebuilding every
  // shard's state (first/last index and term, hard state, snapshot) from Cf::kRaft: O(shards)
  // seeks, no full scan. Corruption when a record fails verification or a shard's log has a
  // hole at its start.
  static Result<std::unique_ptr<LogStore>> Open(Engine* engine, LogStoreOptions opts = {});

  ~LogStore();
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;

  // Validates every operation of `batch` (LogWriteBatch documents the rules; a failure is
  // InvalidArgument or OutOfRange and writes nothing), then applies them all in ONE engine write,
  // synced when opts.sync (one fsync). An engine error is returned and leaves the store
  // unchanged; a failed fsync stops the process inside the engine (engine.h). An empty batch
  // writes nothing. On success the in-memory state and caches reflect the batch.
  Status Write(const LogWriteBatch& batch, const LogWriteOptions& opts = {});

  // A raft::LogStorage view of one shard (which need not have any state yet: a new replica sees
  // an empty log). Cheap; several views of one shard may exist.
  std::unique_ptr<ShardLogStorage> ShardStorage(ShardId shard);

  // The first and last index of the shard's log (1 and 0 for a shard with no state).
  LogIndex FirstIndex(ShardId shard) const;
  LogIndex LastIndex(ShardId shard) const;
  // The hard state and the recorded membership (empty for a shard with no state).
  raft::InitialState InitialState(ShardId shard) const;

  // The state of one shard; NotFound when nothing is stored for it.
  Result<ShardLogState> State(ShardId shard) const;
  // The shards with stored state, ascending.
  std::vector<ShardId> Shards() const;

  // Reads, as in raft::LogStorage (errors: Compacted, Unavailable, Corruption).
  Result<std::vector<raft::Entry>> Entries(ShardId shard, LogIndex lo, LogIndex hi,
                                           uint64_t max_bytes) const;
  Result<Term> TermAt(ShardId shard, LogIndex i) const;
  Result<raft::Snapshot> GetSnapshot(ShardId shard) const;

  // Counters for tests and benchmarks: engine writes issued by Write, and those with sync (each
  // is exactly one fsync of the engine's log).
  uint64_t writes() const { return writes_.load(std::memory_order_relaxed); }
  uint64_t sync_writes() const { return sync_writes_.load(std::memory_order_relaxed); }

  Engine* engine() const { return engine_; }

 private:
  struct Shard {
    explicit Shard(uint64_t cache_bytes) : cache(cache_bytes) {}
    ShardLogState state;
    EntryCache cache;
    bool writing = false;  // a Write owns the shard (one writer per shard at a time)
  };
  class Planner;

  LogStore(Engine* engine, LogStoreOptions opts);
  Status Recover();
  Status RecoverShard(Iterator& it, ShardId shard);
  // The state of `shard` or the empty state. REQUIRES: mu_ held.
  const ShardLogState& StateLocked(ShardId shard) const;
  // Reads the term of entry `i` from the cache or the engine. REQUIRES: mu_ held,
  // state.first_index() <= i <= state.last_index.
  Result<Term> StoredTermLocked(ShardId shard, LogIndex i) const;
  Result<raft::Entry> ReadEntry(ShardId shard, LogIndex i) const;
  Status ReadEntries(ShardId shard, LogIndex lo, LogIndex hi, uint64_t max_bytes, uint64_t* bytes,
                     std::vector<raft::Entry>* out) const;

  Engine* const engine_;
  const LogStoreOptions opts_;
  mutable std::mutex mu_;
  std::map<ShardId, std::unique_ptr<Shard>> shards_;  // guarded by mu_
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> sync_writes_{0};
};

// The raft::LogStorage of one shard, backed by a LogStore (not owned). The error semantics are
// those of raft/log_storage.h (MemoryStorage is the reference), plus Corruption for a record
// that fails verification. Thread safety: as LogStore; used by the thread driving the replica.
class ShardLogStorage final : public raft::LogStorage {
 public:
  ShardLogStorage(LogStore* store, ShardId shard) : store_(store), shard_(shard) {}

  Result<raft::InitialState> GetInitialState() const override;
  Result<std::vector<raft::Entry>> Entries(LogIndex lo, LogIndex hi,
                                           uint64_t max_bytes) const override;
  Result<Term> TermAt(LogIndex i) const override;
  LogIndex FirstIndex() const override;
  LogIndex LastIndex() const override;
  Result<raft::Snapshot> GetSnapshot() const override;

  ShardId shard() const { return shard_; }

 private:
  LogStore* store_;
  ShardId shard_;
};

}  // namespace tessera::storage

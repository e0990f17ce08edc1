// LogWriteBatch: the raft log writes of one worker round, for any number of shards, applied by
// LogStore::Write as ONE atomic engine write with at most one fsync (group commit,
// shared/architecture.md "storage/").
//
// The batch is a list of intents; LogStore::Write validates all of them against the store's
// state (and the earlier operations of the same batch, in order) before anything reaches the
// engine. Any invalid operation fails the whole Write and nothing is written.
//
// Thread safety: a value type; not safe for concurrent mutation.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "common/ids.h"
#include "raft/types.h"

namespace tessera::storage {

class LogWriteBatch {
 public:
  enum class OpKind : uint8_t {
    kAppend,
    kHardState,
    kApplySnapshot,
    kCreateSnapshot,
    kCompact,
    kConfState,
    kDestroy,
  };

  // One operation. Only the fields of its kind are meaningful.
  struct Op {
    OpKind kind;
    ShardId shard;
    std::vector<raft::Entry> entries;           // kAppend
    raft::HardState hard_state;                 // kHardState
    raft::SnapshotMetadata snapshot;            // kApplySnapshot
    LogIndex index;                             // kCreateSnapshot, kCompact
    std::optional<raft::ConfState> conf_state;  // kConfState; kCreateSnapshot (optional)
  };

  LogWriteBatch() = default;

  // Appends `entries` to the shard's log, replacing the entry at entries[0].index and every later
  // one (the conflicting suffix). An empty vector is a no-op.
  // REQUIRES (else Write returns InvalidArgument): consecutive indexes; terms > 0 and not
  // decreasing, and not below the term of the entry before entries[0]; FirstIndex() <=
  // entries[0].index <= LastIndex() + 1 (no gap, nothing below the first index).
  void Append(ShardId shard, std::vector<raft::Entry> entries);

  // Saves the shard's hard state. REQUIRES (else InvalidArgument): term and commit do not move
  // backwards from the stored hard state.
  void SetHardState(ShardId shard, const raft::HardState& hs);

  // Installs a received snapshot: discards the whole log, which then starts after
  // meta.index (FirstIndex() = meta.index + 1, LastIndex() = meta.index), and records `meta`
  // (GetSnapshot, GetInitialState's conf state). The snapshot data itself lives in Cf::kData and
  // is the caller's business. OutOfRange when meta.index is not above the recorded snapshot.
  void ApplySnapshot(ShardId shard, const raft::SnapshotMetadata& meta);

  // Records a snapshot taken locally at `index` (its term read from the log), without
  // compacting; with `cs`, it also replaces the recorded membership. OutOfRange when `index` is
  // not above the recorded snapshot; InvalidArgument when it is outside [FirstIndex() - 1,
  // LastIndex()].
  void CreateSnapshot(ShardId shard, LogIndex index, const raft::ConfState* cs = nullptr);

  // Discards the entries up to and including `index` (etcd raft's Compact: the term of `index`
  // is kept, so FirstIndex() becomes index + 1 and TermAt(index) still answers). A no-op when
  // `index` < FirstIndex() (already compacted). InvalidArgument when index > LastIndex().
  void Compact(ShardId shard, LogIndex index);

  // Replaces the membership returned by GetInitialState (the recorded snapshot's conf state),
  // e.g. to bootstrap a new group.
  void SetConfState(ShardId shard, const raft::ConfState& cs);

  // Removes everything stored for the shard (the replica was destroyed). Later operations of the
  // same batch see an empty log.
  void DestroyShard(ShardId shard);

  void Clear();
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  const std::vector<Op>& ops() const { return ops_; }

 private:
  std::vector<Op> ops_;
};

}  // namespace tessera::storage

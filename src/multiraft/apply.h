// Applying committed commands of one shard to the store engine.
//
// An ApplyBatch collects the data writes of one apply round together with the replica's apply
// state, and is written in ONE engine batch: after a crash the data and the applied index always
// agree, so recovery never applies an entry twice and never skips one. Reads made while applying
// (compare-and-swap) see the batch's own earlier writes; the batch is never
// flushed half-way, because re-applying entries over partly applied data could change the outcome
// of a compare-and-swap.
//
// Thread safety: one ApplyBatch per apply round, used by one thread.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "multiraft/command.h"
#include "multiraft/local_state.h"
#include "multiraft/shard.h"
#include "storage/engine.h"
#include "storage/write_batch.h"

namespace tessera::multiraft {

class ApplyBatch {
 public:
  explicit ApplyBatch(storage::Engine* engine) : engine_(engine) {}

  // Applies one write command of the shard `desc` at the shard's revision *revision. Returns
  // EpochNotMatch when the command was proposed under another range (a split or merge came
  // first), KeyNotInShard when an op falls outside the range, InvalidArgument for an oversized
  // key or value; a refused command changes nothing. On success fills one OpResult per op: when
  // an assertion failed, nothing changed and that assertion's result is not `succeeded`;
  // otherwise a command with writes advances *revision to its own revision (NextRevision).
  Status ApplyWrite(const ShardDescriptor& desc, const WriteCommand& cmd, uint64_t* revision,
                    std::vector<OpResult>* results);

  // Records the replica's apply state (and descriptor) to be written with the data.
  void SetApplyState(ShardId shard, const ApplyState& state);
  void SetDescriptor(const ShardDescriptor& desc);
  // A merge's source leaves this node with the merge (its data stays: the target owns it now):
  // its descriptor and apply state go, and its tombstone records that nothing re-creates it.
  void RemoveMergedSource(const ShardDescriptor& source);

  // Writes everything in one engine batch (not synced: the Raft log is the durable record, and a
  // lost apply round is re-applied from it).
  Status Commit();
  bool empty() const { return batch_.empty(); }

 private:
  // The value of `key` as the batch would leave it: the batch's own writes first (IndexBatch),
  // then the engine.
  Result<std::optional<std::string>> Read(const std::string& key);
  // Takes the data writes added to batch_ since the last call into points_ and range_deletes_
  // (so that a round of n versioned puts, each reading its key first, costs O(n), not O(n^2);
  // a round that never reads copies nothing).
  void IndexBatch();
  // The pairs of [start, end) as the batch would leave them (a scan of the engine overlaid with
  // the batch's writes).
  Status ReadRange(const std::string& start, const std::string& end,
                   std::vector<std::pair<std::string, std::string>>* out);
  Status CheckOp(const ShardDescriptor& desc, const WriteOp& op) const;
  // True when every assertion of `cmd` holds; marks the failed ones in *results.
  Result<bool> CheckAssertions(const WriteCommand& cmd, uint64_t revision,
                               std::vector<OpResult>* results);

  storage::Engine* engine_;
  storage::WriteBatch batch_;
  // The index of batch_'s data writes (IndexBatch): each key's last put or delete with its
  // position in the batch, and the range deletes in order. Valid up to indexed_pos_.
  struct IndexedWrite {
    uint64_t seq;
    std::optional<std::string> value;  // nullopt: deleted
  };
  struct IndexedRangeDelete {
    uint64_t seq;
    std::string start, end;  // end empty: to the end of the key space
  };
  std::unordered_map<std::string, IndexedWrite> points_;
  std::vector<IndexedRangeDelete> range_deletes_;
  size_t indexed_pos_ = 0;
  uint64_t indexed_seq_ = 0;
};

}  // namespace tessera::multiraft

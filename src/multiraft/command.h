// Commands: what a shard's Raft log carries. A write command is a batch of key-value operations
// applied atomically; it also names the epoch it was proposed under, so that a command proposed
// before a split or merge is refused at apply time instead of touching the wrong range.
//
// Encoding (versioned, little-endian varints): see docs/storage_format.md, "Commands".
// Decoding never crashes: malformed input is Corruption.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "multiraft/shard.h"

namespace tessera::multiraft {

struct WriteOp {
  enum class Type : uint8_t {
    kPut = 1,
    kDelete = 2,
    kDeleteRange = 3,  // [key, end_key); end_key empty: to the end of the shard
    kCompareAndSwap = 4,
    // Writes `value` as a versioned value (versioned_value.h) stamped with the command's
    // revision; the key's create revision and version follow from the value it held.
    kPutVersioned = 5,
    // Assertions: when one fails, the whole command changes nothing (OpResult::succeeded false
    // on the failed assertion). kAssertModRevision: `key` holds a versioned value whose
    // mod_revision is `revision` (0: the key is absent). kAssertUnchangedSince: the shard's
    // revision is at most `revision` (nothing written since); [key, end_key) names the range
    // the caller read (it must lie in the shard).
    kAssertModRevision = 6,
    kAssertUnchangedSince = 7,
  };
  Type type = Type::kPut;
  std::string key;
  std::string value;    // kPut, kCompareAndSwap (the new value unless delete_on_match)
  std::string end_key;  // kDeleteRange
  // kCompareAndSwap: the value the key must hold; nullopt: the key must be absent.
  std::optional<std::string> expected;
  bool delete_on_match = false;  // kCompareAndSwap: delete instead of writing `value`
  uint64_t revision = 0;         // the assertions
  // kPutVersioned: report the previous value; kDeleteRange: report the pairs deleted.
  bool want_previous = false;

  bool operator==(const WriteOp&) const = default;
};

struct WriteCommand {
  Epoch epoch;
  std::vector<WriteOp> ops;
  // The leader's clock reading when it proposed the command (ProposedRevision); the command's
  // revision is NextRevision(shard revision, proposed_revision). Set by the proposing leader.
  uint64_t proposed_revision = 0;
  bool operator==(const WriteCommand&) const = default;
};

std::string EncodeWriteCommand(const WriteCommand& cmd);
Result<WriteCommand> DecodeWriteCommand(std::string_view data);

// Admin commands change the shard itself, through the log, so that every replica makes the same
// change at the same index. Each names the epoch it was proposed under and is refused at apply
// time (EpochNotMatch) when the shard's epoch has moved on.
struct AdminCommand {
  enum class Type : uint8_t {
    // Split the shard at `split_key`: the shard keeps [start, split_key) and a new shard
    // `new_shard` takes [split_key, end), with the same members; both get version + 1.
    kSplit = 1,
    // Compact the log of every replica up to `compact_index` (each up to what it has applied):
    // proposed by the leader once every follower has the entries, or when the log is too long
    // (laggards then catch up by snapshot). No epoch check: it does not touch the range.
    kCompactLog = 2,
    // Merge, on the source shard's log (docs/protocol.md, "Merge"): freezes the source (no more
    // writes, reads or changes; version + 1) until the target (`merge_target`, adjacent, same
    // voters) commits the merge, or the merge is rolled back.
    kPrepareMerge = 3,
    // Merge, on the target's log: the target takes over `merge_source` (the source's descriptor
    // after its prepare entry at prepare_index/prepare_term) if its own epoch is still
    // `merge_target_epoch`; refused (EpochNotMatch) otherwise, for good.
    kCommitMerge = 4,
    // Merge, on the source's log: ends the prepared merge at prepare_index (version + 1), once the
    // target's epoch has moved past merge_target_epoch (so that the commit can never apply).
    kRollbackMerge = 5,
  };
  Type type = Type::kSplit;
  Epoch epoch;
  std::string split_key;         // kSplit
  ShardId new_shard;             // kSplit
  LogIndex compact_index;        // kCompactLog
  ShardId merge_target;          // kPrepareMerge
  Epoch merge_target_epoch;      // kPrepareMerge, kCommitMerge
  ShardDescriptor merge_source;  // kCommitMerge
  LogIndex prepare_index;        // kCommitMerge, kRollbackMerge
  Term prepare_term;             // kCommitMerge
  bool operator==(const AdminCommand&) const = default;
};

std::string EncodeAdminCommand(const AdminCommand& cmd);
Result<AdminCommand> DecodeAdminCommand(std::string_view data);

// What a normal entry's payload holds, from its first byte (no full decode).
enum class CommandKind : uint8_t { kEmpty, kWrite, kAdmin, kUnknown };
CommandKind PeekCommandKind(std::string_view data);

// The outcome of one op: compare-and-swap reports whether it matched and the value it found.
struct OpResult {
  bool succeeded = true;  // false: a compare-and-swap that did not match, a failed assertion
  // kCompareAndSwap, kPutVersioned with want_previous: the value before (nullopt: absent).
  std::optional<std::string> previous;
  // kDeleteRange with want_previous: the pairs deleted, in key order.
  std::vector<std::pair<std::string, std::string>> deleted;
};

}  // namespace tessera::multiraft

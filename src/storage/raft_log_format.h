// The on-disk format of the raft log store: keys in Cf::kRaft and the checksummed records stored
// under them. Defined once here and documented in docs/storage_format.md ("Raft log store");
// a change to either is a storage format change (bump kFormatVersion, add a migration).
//
// Keys (all integers big-endian, so that bytewise order is numeric order and every shard's keys
// form one contiguous range, its entries one contiguous sub-range in index order):
//
//   shard prefix   := 0x01 | shard_id u64be                       (9 bytes)
//   hard state     := shard prefix | 0x01
//   truncated state:= shard prefix | 0x02                          (index and term of the last
//                                                                    compacted entry)
//   snapshot meta  := shard prefix | 0x03
//   entry          := shard prefix | 0x10 | index u64be            (18 bytes)
//
// Values ("records"):
//
//   record   := checksum fixed32 | tag u8 | payload
//   checksum := low 32 bits of XXH3-64 over key | tag | payload
//
// The checksum covers the key, so a record copied under another key (another shard or index)
// fails verification like a flipped bit does. The tag names the record type and must match the
// key's kind. Payloads (varints are the leveldb encoding, common/coding.h):
//
//   entry     := term varint64 | entry_type u8 | data (the rest of the record)
//   hard      := term varint64 | vote varint64 | commit varint64
//   truncated := index varint64 | term varint64
//   snapshot  := index varint64 | term varint64 | conf_state
//   conf_state:= 4 x (count varint32 | node_id varint64 * count)    (voters, learners,
//                 voters_outgoing, learners_next) | auto_leave u8
//
// Decoders consume a record exactly: a short, long or mistagged record is Corruption.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/ids.h"
#include "common/result.h"
#include "common/status.h"
#include "raft/types.h"

namespace tessera::storage::raftlog {

inline constexpr char kShardSpace = 0x01;
enum class KeyKind : uint8_t {
  kHardState = 0x01,
  kTruncated = 0x02,
  kSnapshot = 0x03,
  kEntry = 0x10,
};
inline constexpr size_t kShardPrefixBytes = 9;
inline constexpr size_t kEntryKeyBytes = kShardPrefixBytes + 1 + 8;

// Record tags (the first byte after the checksum).
enum class RecordTag : uint8_t {
  kEntry = 1,
  kHardState = 2,
  kTruncated = 3,
  kSnapshot = 4,
};

// The index and term of the last entry removed by compaction (or installed by a snapshot); the
// log's first index is index + 1. Zero for a log that was never compacted.
struct TruncatedState {
  LogIndex index;
  Term term;
  bool operator==(const TruncatedState&) const = default;
};

// ---- Keys ----

std::string ShardPrefix(ShardId shard);
// The first key after every key of `shard` (the prefix of the next shard id). REQUIRES: shard is
// not the largest id (callers use an empty upper bound for it).
std::string ShardEnd(ShardId shard);
std::string MetaKey(ShardId shard, KeyKind kind);  // REQUIRES: kind != kEntry
std::string EntryKey(ShardId shard, LogIndex index);
// The bounds [EntryKey(shard, 0), EntriesEnd(shard)) hold every entry key of `shard`.
std::string EntriesEnd(ShardId shard);

// A parsed kRaft key.
struct ParsedKey {
  ShardId shard;
  KeyKind kind = KeyKind::kHardState;
  LogIndex index;  // only for kEntry
};
// Corruption for any key that is not one of the forms above.
Result<ParsedKey> ParseKey(std::string_view key);

// ---- Records ----

// Encoders write the whole record (checksum included) into *out, replacing its content.
void EncodeEntry(std::string_view key, const raft::Entry& e, std::string* out);
void EncodeHardState(std::string_view key, const raft::HardState& hs, std::string* out);
void EncodeTruncated(std::string_view key, const TruncatedState& ts, std::string* out);
void EncodeSnapshotMeta(std::string_view key, const raft::SnapshotMetadata& m, std::string* out);

// Decoders verify the checksum (over `key` and the record) and the framing. `what` names the
// record in error messages, e.g. "shard 7 entry 42". An entry's index is taken from `index`
// (it is part of the key, not of the payload).
Result<raft::Entry> DecodeEntry(std::string_view key, std::string_view record, LogIndex index,
                                std::string_view what);
Result<raft::HardState> DecodeHardState(std::string_view key, std::string_view record,
                                        std::string_view what);
Result<TruncatedState> DecodeTruncated(std::string_view key, std::string_view record,
                                       std::string_view what);
Result<raft::SnapshotMetadata> DecodeSnapshotMeta(std::string_view key, std::string_view record,
                                                  std::string_view what);

}  // namespace tessera::storage::raftlog

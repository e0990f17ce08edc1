// Versioned values: a stored value that carries its own revision metadata, as the etcd front
// door needs (docs/storage_format.md, "Versioned values"). A shard writes them through the
// kPutVersioned op: the leader's apply stamps each with the command's revision, so the metadata
// is decided once, in the log order, and is the same on every replica.
//
//   value := 0x01 | varint create_revision | varint mod_revision | varint version | payload
//
// Revisions. Each write command a shard applies gets the revision max(shard revision + 1,
// proposed), where `proposed` is a hybrid-logical-clock reading of the leader that proposed it
// (ProposedRevision below: wall-clock milliseconds in the high bits, so that revisions of
// different shards are roughly comparable). Strictly increasing per shard; a split's new shard
// starts from its parent's revision and a merge keeps the larger, so a key's revisions only grow.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::multiraft {

struct VersionedValue {
  uint64_t create_revision = 0;
  uint64_t mod_revision = 0;
  uint64_t version = 0;  // writes since creation (1 after the creating write)
  std::string_view payload;
};

// Appends the encoding of (meta, payload) to *out.
void EncodeVersionedValue(uint64_t create_revision, uint64_t mod_revision, uint64_t version,
                          std::string_view payload, std::string* out);
// nullopt when `stored` is not a versioned value (the payload views `stored`).
std::optional<VersionedValue> DecodeVersionedValue(std::string_view stored);

// The revision a leader proposes for a command at wall-clock time `now_ms`: now_ms << 16 (the low
// 16 bits are the logical part, filled by max(shard revision + 1, proposed) at apply).
inline uint64_t ProposedRevision(int64_t now_ms) {
  return now_ms <= 0 ? 0 : static_cast<uint64_t>(now_ms) << 16;
}
// The revision a command gets when applied on a shard at `shard_revision`.
inline uint64_t NextRevision(uint64_t shard_revision, uint64_t proposed) {
  return proposed > shard_revision ? proposed : shard_revision + 1;
}

}  // namespace tessera::multiraft

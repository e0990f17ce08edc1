// Shards: key ranges with an id and an epoch, each replicated by its own Raft group.
//
// A shard covers [start_key, end_key); an empty end_key means "to the end of the key space" and
// an empty start_key "from the beginning". The epoch orders descriptors of the same shard:
// `version` grows on split and merge (the range changed), `conf_version` on membership change.
// Every client request names the shard and the epoch it believes in; a mismatch is answered with
// EpochNotMatch and the current descriptors so that the client refreshes its cache.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace tessera::multiraft {

struct Epoch {
  uint64_t conf_version = 0;  // bumped by every membership change
  uint64_t version = 0;       // bumped by every split and merge
  bool operator==(const Epoch&) const = default;
};

struct ShardDescriptor {
  ShardId id;
  std::string start_key;  // inclusive; empty: the beginning of the key space
  std::string end_key;    // exclusive; empty: the end of the key space
  Epoch epoch;
  std::vector<NodeId> voters;    // sorted
  std::vector<NodeId> learners;  // sorted

  bool operator==(const ShardDescriptor&) const = default;
  bool ContainsKey(std::string_view key) const;
  // True if [start, end) lies inside the shard; an empty end means "to the end of the shard"
  // (then only start must be inside).
  bool ContainsRange(std::string_view start, std::string_view end) const;
};

// Versioned binary encoding, for the shard's local metadata and for messages. Decoding never
// crashes: malformed input is Corruption.
std::string EncodeShardDescriptor(const ShardDescriptor& d);
Result<ShardDescriptor> DecodeShardDescriptor(std::string_view data);

std::string DescribeShard(const ShardDescriptor& d);

}  // namespace tessera::multiraft

// ShardRanges: the key ranges of the initialized replicas on one node (and the tombstones of
// destroyed ones), for the checks that keep
// them disjoint: a replica is created from a message, or installs a snapshot, only when its
// range overlaps no other replica on the node (a split not yet applied here, or a shard moved
// away and back, would otherwise put two replicas over the same keys).
//
// Kept in memory beside the persisted descriptors (Cf::kMeta), updated after every write that
// changes them (bootstrap, split, snapshot install, destroy). A reader may see the state just
// before a concurrent update: checks made against it err on the side of refusing.
//
// Thread safety: all methods are thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/ids.h"
#include "multiraft/shard.h"

namespace tessera::multiraft {

class ShardRanges {
 public:
  // Records (or replaces) the range of `desc.id`.
  void Set(const ShardDescriptor& desc);
  void Remove(ShardId shard);
  // Check and set in one step: records `desc` unless another shard's range overlaps it (that
  // shard is returned) or, without `allow_existing`, `desc.id` is already recorded (then
  // `desc.id` is returned). nullopt: recorded.
  std::optional<ShardId> TryReserve(const ShardDescriptor& desc, bool allow_existing);
  bool Contains(ShardId shard) const;
  // The shards other than `except` whose range overlaps [start, end) (empty end: unbounded);
  // the first one found, or nullopt.
  std::optional<ShardId> Overlap(std::string_view start, std::string_view end,
                                 ShardId except) const;
  size_t size() const;

  // Tombstones: the conf version at which a replica of the shard was destroyed here. A message
  // whose descriptor is not newer must not re-create it (it comes from the past).
  void SetTombstone(ShardId shard, uint64_t conf_version);
  std::optional<uint64_t> Tombstone(ShardId shard) const;

 private:
  struct Range {
    std::string start, end;
  };
  void SetLocked(const ShardDescriptor& desc);
  std::optional<ShardId> OverlapLocked(std::string_view start, std::string_view end,
                                       ShardId except) const;
  mutable std::mutex mu_;
  std::map<ShardId, Range> by_id_;                        // guarded by mu_
  std::map<std::string, ShardId, std::less<>> by_start_;  // guarded by mu_
  std::map<ShardId, uint64_t> tombstones_;                // guarded by mu_
};

}  // namespace tessera::multiraft

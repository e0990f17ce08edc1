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
  static constexpr uint64_t kMergedTombstone = UINT64_MAX;

  // Records (or replaces) the range of `desc.id`.
  void Set(const ShardDescriptor& desc);
  void Remove(ShardId shard);
  // A merge applied on this node: `source` is gone (tombstoned for good) and `target` covers its
  // range, in one step.
  void Merged(ShardId source, const ShardDescriptor& target);
  // The descriptor last recorded for `shard` (its epoch as applied on this node, give or take the
  // round in flight).
  std::optional<ShardDescriptor> Get(ShardId shard) const;
  // A shard merged away here (its tombstone kMergedTombstone) whose range started at `start`.
  void SetMerged(ShardId shard, const std::string& start);
  // For a shard merged away here: the replica that now covers where its range started.
  std::optional<ShardDescriptor> MergedInto(ShardId shard) const;
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
  // whose descriptor is not newer must not re-create it (it comes from the past). A shard merged
  // away has kMergedTombstone: nothing re-creates it.
  void SetTombstone(ShardId shard, uint64_t conf_version);
  std::optional<uint64_t> Tombstone(ShardId shard) const;

 private:
  struct Range {
    ShardDescriptor desc;
    const std::string& start() const { return desc.start_key; }
    const std::string& end() const { return desc.end_key; }
  };
  void SetLocked(const ShardDescriptor& desc);
  void RemoveLocked(ShardId shard);
  std::optional<ShardId> OverlapLocked(std::string_view start, std::string_view end,
                                       ShardId except) const;
  mutable std::mutex mu_;
  std::map<ShardId, Range> by_id_;                        // guarded by mu_
  std::map<std::string, ShardId, std::less<>> by_start_;  // guarded by mu_
  std::map<ShardId, uint64_t> tombstones_;                // guarded by mu_
  std::map<ShardId, std::string> merged_starts_;          // guarded by mu_
};

}  // namespace tessera::multiraft

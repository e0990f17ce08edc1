// RouteCache: a client's view of where keys live, as a real client library keeps it: shard
// descriptors (refreshed from the hints that come with EpochNotMatch and KeyNotInShard, or by
// asking a node for its descriptors, as a client would ask PD) and the last leader known per
// shard (from NotLeader hints and successful requests). It may be stale; the nodes' answers
// correct it. Ready for splits and merges: a newer descriptor replaces an older one of the same
// shard, and a key maps to the newest descriptor that contains it.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "multiraft/shard.h"

namespace tessera::sim {

class RouteCache {
 public:
  using ShardDescriptor = multiraft::ShardDescriptor;

  // Keeps `d` unless a descriptor of the same shard with a newer epoch is known.
  void Update(const ShardDescriptor& d);
  void UpdateAll(const std::vector<ShardDescriptor>& ds) {
    for (const auto& d : ds) Update(d);
  }
  // The shard for `key`: among the cached descriptors that contain it, the one with the highest
  // range version. nullopt if none does.
  std::optional<ShardDescriptor> Lookup(std::string_view key) const;

  void SetLeader(ShardId shard, NodeId leader) { leaders_[shard] = leader; }
  void ForgetLeader(ShardId shard) { leaders_.erase(shard); }
  std::optional<NodeId> Leader(ShardId shard) const;

 private:
  std::map<ShardId, ShardDescriptor> shards_;
  std::map<ShardId, NodeId> leaders_;
};

}  // namespace tessera::sim

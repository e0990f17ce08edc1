// RouteCache: the client's picture of which shard holds which keys and which node leads it.
//
// Filled from PD's shard map and from the descriptors nodes send back with EpochNotMatch; entries
// never overlap: inserting a route drops every cached route its range overlaps (a newer picture
// of that part of the key space). A route with an older epoch than a cached route of the same
// shard is ignored, so a late answer cannot undo a newer one.
//
// Thread safety: safe for concurrent use (one mutex; every call is O(log n) plus the overlaps).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "multiraft/shard.h"

namespace tessera::client {

struct Route {
  multiraft::ShardDescriptor desc;
  NodeId leader;  // none: unknown (try the voters)
};

class RouteCache {
 public:
  // The cached route whose range holds `key`, if any.
  std::optional<Route> Lookup(std::string_view key) const;
  // The cached route whose range holds the keys just below `end` (end empty: the last shard),
  // for reverse scans.
  std::optional<Route> LookupBefore(std::string_view end) const;
  void Insert(const Route& route);
  // Records the leader of `shard` (when the shard is cached).
  void SetLeader(ShardId shard, NodeId leader);
  // Drops the route of `shard` (when cached).
  void Invalidate(ShardId shard);
  size_t size() const;

 private:
  static bool Newer(const multiraft::Epoch& a, const multiraft::Epoch& b);
  mutable std::mutex mu_;
  std::map<std::string, Route> by_start_;  // start key -> route
};

}  // namespace tessera::client

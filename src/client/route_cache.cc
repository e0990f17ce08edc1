#include "client/route_cache.h"

namespace tessera::client {

bool RouteCache::Newer(const multiraft::Epoch& a, const multiraft::Epoch& b) {
  return a.version > b.version || a.conf_version > b.conf_version;
}

std::optional<Route> RouteCache::Lookup(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = by_start_.upper_bound(std::string(key));
  if (it == by_start_.begin()) return std::nullopt;
  --it;
  if (!it->second.desc.ContainsKey(key)) return std::nullopt;
  return it->second;
}

std::optional<Route> RouteCache::LookupBefore(std::string_view end) const {
  std::lock_guard lock(mu_);
  if (by_start_.empty()) return std::nullopt;
  if (end.empty()) {
    const Route& last = by_start_.rbegin()->second;
    if (!last.desc.end_key.empty()) return std::nullopt;
    return last;
  }
  // The route whose start is below `end` and whose end is at or above it.
  auto it = by_start_.lower_bound(std::string(end));
  if (it == by_start_.begin()) return std::nullopt;
  --it;
  const auto& d = it->second.desc;
  if (!d.end_key.empty() && d.end_key < end) return std::nullopt;
  return it->second;
}

void RouteCache::Insert(const Route& route) {
  const auto& d = route.desc;
  std::lock_guard lock(mu_);
  // A cached route of the same shard with a newer epoch wins.
  for (const auto& [start, r] : by_start_) {
    if (r.desc.id == d.id && Newer(r.desc.epoch, d.epoch)) return;
  }
  // Drop the overlapping routes: those starting inside [start, end), and the one before `start`
  // when it reaches past it.
  auto it = by_start_.lower_bound(d.start_key);
  if (it != by_start_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.desc.end_key.empty() || prev->second.desc.end_key > d.start_key) {
      by_start_.erase(prev);
    }
  }
  while (it != by_start_.end() && (d.end_key.empty() || it->first < d.end_key)) {
    it = by_start_.erase(it);
  }
  // And any other route of the same shard (an older range of it).
  for (auto j = by_start_.begin(); j != by_start_.end();) {
    j = j->second.desc.id == d.id ? by_start_.erase(j) : std::next(j);
  }
  by_start_[d.start_key] = route;
}

void RouteCache::SetLeader(ShardId shard, NodeId leader) {
  std::lock_guard lock(mu_);
  for (auto& [start, r] : by_start_) {
    if (r.desc.id == shard) {
      r.leader = leader;
      return;
    }
  }
}

void RouteCache::Invalidate(ShardId shard) {
  std::lock_guard lock(mu_);
  for (auto it = by_start_.begin(); it != by_start_.end(); ++it) {
    if (it->second.desc.id == shard) {
      by_start_.erase(it);
      return;
    }
  }
}

size_t RouteCache::size() const {
  std::lock_guard lock(mu_);
  return by_start_.size();
}

}  // namespace tessera::client

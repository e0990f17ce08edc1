#include "tests/sim/cluster/route_cache.h"

namespace tessera::sim {
namespace {

bool Newer(const multiraft::Epoch& a, const multiraft::Epoch& b) {
  return a.version > b.version || (a.version == b.version && a.conf_version > b.conf_version);
}

}  // namespace

void RouteCache::Update(const ShardDescriptor& d) {
  auto it = shards_.find(d.id);
  if (it == shards_.end()) {
    shards_.emplace(d.id, d);
  } else if (!Newer(it->second.epoch, d.epoch)) {
    it->second = d;
  }
}

std::optional<multiraft::ShardDescriptor> RouteCache::Lookup(std::string_view key) const {
  const ShardDescriptor* best = nullptr;
  for (const auto& [id, d] : shards_) {
    if (d.ContainsKey(key) && (best == nullptr || d.epoch.version > best->epoch.version)) best = &d;
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::optional<NodeId> RouteCache::Leader(ShardId shard) const {
  auto it = leaders_.find(shard);
  if (it == leaders_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tessera::sim

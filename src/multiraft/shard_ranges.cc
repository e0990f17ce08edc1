#include "multiraft/shard_ranges.h"

#include <algorithm>

#include "common/assert.h"

namespace tessera::multiraft {

void ShardRanges::Set(const ShardDescriptor& desc) {
  std::lock_guard<std::mutex> lock(mu_);
  SetLocked(desc);
}

std::optional<ShardId> ShardRanges::TryReserve(const ShardDescriptor& desc, bool allow_existing) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!allow_existing && by_id_.count(desc.id) > 0) return desc.id;
  if (auto other = OverlapLocked(desc.start_key, desc.end_key, desc.id)) return other;
  SetLocked(desc);
  return std::nullopt;
}

bool ShardRanges::Contains(ShardId shard) const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_id_.count(shard) > 0;
}

void ShardRanges::SetLocked(const ShardDescriptor& desc) {
  TESSERA_ASSERT(desc.id, "a shard range without a shard id");
  auto it = by_id_.find(desc.id);
  if (it != by_id_.end()) {
    auto s = by_start_.find(it->second.start());
    if (s != by_start_.end() && s->second == desc.id) by_start_.erase(s);
  }
  by_id_[desc.id] = Range{desc};
  by_start_[desc.start_key] = desc.id;
}

void ShardRanges::Remove(ShardId shard) {
  std::lock_guard<std::mutex> lock(mu_);
  RemoveLocked(shard);
}

void ShardRanges::RemoveLocked(ShardId shard) {
  auto it = by_id_.find(shard);
  if (it == by_id_.end()) return;
  auto s = by_start_.find(it->second.start());
  if (s != by_start_.end() && s->second == shard) by_start_.erase(s);
  by_id_.erase(it);
}

void ShardRanges::Merged(ShardId source, const ShardDescriptor& target) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(source);
  if (it != by_id_.end()) merged_starts_[source] = it->second.start();
  RemoveLocked(source);
  SetLocked(target);
  tombstones_[source] = kMergedTombstone;
}

void ShardRanges::SetMerged(ShardId shard, const std::string& start) {
  std::lock_guard<std::mutex> lock(mu_);
  tombstones_[shard] = kMergedTombstone;
  merged_starts_[shard] = start;
}

std::optional<ShardDescriptor> ShardRanges::MergedInto(ShardId shard) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto m = merged_starts_.find(shard);
  if (m == merged_starts_.end()) return std::nullopt;
  auto it = by_start_.upper_bound(m->second);
  if (it == by_start_.begin()) return std::nullopt;
  --it;
  const Range& r = by_id_.at(it->second);
  if (!r.end().empty() && r.end() <= m->second) return std::nullopt;
  return r.desc;
}

std::optional<ShardDescriptor> ShardRanges::Get(ShardId shard) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(shard);
  if (it == by_id_.end()) return std::nullopt;
  return it->second.desc;
}

std::optional<ShardId> ShardRanges::Overlap(std::string_view start, std::string_view end,
                                            ShardId except) const {
  std::lock_guard<std::mutex> lock(mu_);
  return OverlapLocked(start, end, except);
}

std::optional<ShardId> ShardRanges::OverlapLocked(std::string_view start, std::string_view end,
                                                  ShardId except) const {
  // Ranges of one node are disjoint, so only the range starting at or before `start` and those
  // starting inside [start, end) can overlap.
  auto it = by_start_.upper_bound(start);
  if (it != by_start_.begin()) --it;
  for (; it != by_start_.end(); ++it) {
    if (!end.empty() && it->first >= end) break;
    const Range& r = by_id_.at(it->second);
    const bool ends_before = !r.end().empty() && r.end() <= start;
    if (!ends_before && it->second != except) return it->second;
  }
  return std::nullopt;
}

void ShardRanges::SetTombstone(ShardId shard, uint64_t conf_version) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t& v = tombstones_[shard];
  v = std::max(v, conf_version);
}

std::optional<uint64_t> ShardRanges::Tombstone(ShardId shard) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tombstones_.find(shard);
  if (it == tombstones_.end()) return std::nullopt;
  return it->second;
}

size_t ShardRanges::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_id_.size();
}

}  // namespace tessera::multiraft

#include "etcd/memory_backend.h"

#include <algorithm>
#include <utility>

#include "common/assert.h"
#include "etcd/ranges.h"

namespace tessera::etcd {
namespace {

bool IsAssertion(Op::Kind kind) {
  return kind == Op::Kind::kAssertModRevision || kind == Op::Kind::kAssertUnchangedSince;
}

}  // namespace

MemoryBackend::MemoryBackend(std::vector<std::string> split_keys, MemoryBackendLimits limits)
    : split_keys_(std::move(split_keys)), limits_(limits), revisions_(split_keys_.size() + 1, 1) {
  for (size_t i = 0; i < split_keys_.size(); ++i) {
    TESSERA_ASSERT(!split_keys_[i].empty(), "split keys must be non-empty");
    TESSERA_ASSERT(i == 0 || split_keys_[i - 1] < split_keys_[i], "split keys must be sorted");
  }
  member_.cluster_id = 0x1000;
  member_.member_id = 1;
  member_.leader_id = 1;
  member_.raft_term = 1;
  member_.raft_index = 1;
  member_.raft_applied_index = 1;
  member_.version = "3.4.0";
}

Status MemoryBackend::CheckRange(const KeyRange& range) const {
  if (range.key.empty()) return Status::InvalidArgument("empty key");
  if (range.key.size() > limits_.max_key_bytes) return Status::InvalidArgument("key too long");
  if (range.end.has_value() && !range.end->empty()) {
    if (*range.end <= range.key) return Status::InvalidArgument("inverted range");
    if (range.end->size() > limits_.max_key_bytes) return Status::InvalidArgument("end too long");
  }
  return Status::OK();
}

Status MemoryBackend::CheckOp(const Op& op) const {
  TESSERA_RETURN_IF_ERROR(CheckRange(op.range));
  const bool single = !op.range.end.has_value();
  switch (op.kind) {
    case Op::Kind::kPut:
      if (!single) return Status::InvalidArgument("kPut on a range");
      if (op.value.size() > limits_.max_value_bytes)
        return Status::InvalidArgument("value too large");
      return Status::OK();
    case Op::Kind::kAssertModRevision:
      return single ? Status::OK() : Status::InvalidArgument("kAssertModRevision on a range");
    default:
      return Status::OK();
  }
}

size_t MemoryBackend::ShardOf(const std::string& key) const {
  return static_cast<size_t>(std::upper_bound(split_keys_.begin(), split_keys_.end(), key) -
                             split_keys_.begin());
}

MemoryBackend::ShardSpan MemoryBackend::ShardsOf(const KeyRange& range) const {
  const size_t first = ShardOf(range.key);
  if (!range.end.has_value()) return {first, first};
  if (range.end->empty()) return {first, split_keys_.size()};
  // The shard of the greatest key below *end: one past the splits below *end.
  const auto last = std::lower_bound(split_keys_.begin(), split_keys_.end(), *range.end);
  return {first, static_cast<size_t>(last - split_keys_.begin())};
}

int64_t MemoryBackend::MaxRevision(ShardSpan span) const {
  return *std::max_element(revisions_.begin() + static_cast<long>(span.first),
                           revisions_.begin() + static_cast<long>(span.last) + 1);
}

bool MemoryBackend::TakeFailure(Status* st) {
  if (failures_.empty()) return false;
  *st = std::move(failures_.front());
  failures_.pop_front();
  return true;
}

Status MemoryBackend::Read(const KeyRange& range, const ReadOptions& options, ReadResult* out) {
  std::lock_guard lock(mu_);
  ++counts_.read;
  Status st;
  if (TakeFailure(&st)) return st;
  TESSERA_RETURN_IF_ERROR(CheckRange(range));
  *out = ReadResult{};
  for (auto it = data_.lower_bound(range.key); it != data_.end() && RangeContains(range, it->first);
       ++it) {
    out->kvs.push_back(it->second);
  }
  out->count = static_cast<int64_t>(out->kvs.size());
  if (options.reverse) std::reverse(out->kvs.begin(), out->kvs.end());
  if (options.limit > 0 && out->kvs.size() > options.limit) {
    out->kvs.resize(options.limit);
    out->more = true;
  }
  if (options.keys_only) {
    for (KeyValue& kv : out->kvs) kv.value.clear();
  }
  out->revision = MaxRevision(ShardsOf(range));
  return Status::OK();
}

bool MemoryBackend::AssertionHolds(const Op& op, size_t shard) const {
  if (op.kind == Op::Kind::kAssertModRevision) {
    auto it = data_.find(op.range.key);
    return (it == data_.end() ? 0 : it->second.mod_revision) == op.revision;
  }
  TESSERA_CHECK(op.kind == Op::Kind::kAssertUnchangedSince);
  return revisions_[shard] <= op.revision;
}

std::vector<KeyValue> MemoryBackend::EraseRange(const KeyRange& range) {
  std::vector<KeyValue> erased;
  auto it = data_.lower_bound(range.key);
  while (it != data_.end() && RangeContains(range, it->first)) {
    erased.push_back(std::move(it->second));
    it = data_.erase(it);
  }
  return erased;
}

OpResult MemoryBackend::ApplyWrite(const Op& op, int64_t revision) {
  OpResult result;
  if (op.kind == Op::Kind::kDeleteRange) {
    result.deleted = EraseRange(op.range);
    return result;
  }
  TESSERA_CHECK(op.kind == Op::Kind::kPut);
  auto [it, inserted] = data_.try_emplace(op.range.key);
  KeyValue& kv = it->second;
  if (!inserted) result.previous = kv;
  kv.key = op.range.key;
  kv.value = op.value;
  kv.create_revision = inserted ? revision : kv.create_revision;
  kv.mod_revision = revision;
  kv.version = inserted ? 1 : kv.version + 1;
  return result;
}

Status MemoryBackend::Atomic(const std::vector<Op>& ops, AtomicResult* out) {
  std::lock_guard lock(mu_);
  ++counts_.atomic;
  Status st;
  if (TakeFailure(&st)) return st;
  if (ops.empty()) return Status::InvalidArgument("Atomic without ops");
  for (const Op& op : ops) TESSERA_RETURN_IF_ERROR(CheckOp(op));
  const size_t shard = ShardOf(ops.front().range.key);
  for (const Op& op : ops) {
    const ShardSpan span = ShardsOf(op.range);
    if (span.first != shard || span.last != shard) {
      return Status::FailedPrecondition("ops span shards");
    }
  }
  *out = AtomicResult{};
  bool writes = false;
  for (const Op& op : ops) {
    const bool assertion = IsAssertion(op.kind);
    writes = writes || !assertion;
    if (assertion && !AssertionHolds(op, shard)) {
      out->revision = revisions_[shard];
      return Status::OK();
    }
  }
  if (writes) ++revisions_[shard];
  out->applied = true;
  out->revision = revisions_[shard];
  for (const Op& op : ops) {
    out->results.push_back(IsAssertion(op.kind) ? OpResult{} : ApplyWrite(op, out->revision));
  }
  return Status::OK();
}

Status MemoryBackend::DeleteRange(const KeyRange& range, bool want_values, DeleteResult* out) {
  std::lock_guard lock(mu_);
  ++counts_.delete_range;
  Status st;
  if (TakeFailure(&st)) return st;
  TESSERA_RETURN_IF_ERROR(CheckRange(range));
  *out = DeleteResult{};
  const ShardSpan span = ShardsOf(range);
  for (size_t s = span.first; s <= span.last; ++s) {
    // This shard's part of the range.
    KeyRange part = range;
    if (s > 0 && split_keys_[s - 1] > part.key) part.key = split_keys_[s - 1];
    if (s < split_keys_.size() && part.end.has_value() &&
        (part.end->empty() || split_keys_[s] < *part.end)) {
      part.end = split_keys_[s];
    }
    std::vector<KeyValue> erased = EraseRange(part);
    if (erased.empty()) continue;
    ++revisions_[s];
    for (KeyValue& kv : erased) {
      if (!want_values) kv.value.clear();
      out->deleted.push_back(std::move(kv));
    }
  }
  out->revision = MaxRevision(span);
  return Status::OK();
}

Status MemoryBackend::GetStatus(MemberStatus* out) {
  std::lock_guard lock(mu_);
  ++counts_.get_status;
  Status st;
  if (TakeFailure(&st)) return st;
  *out = member_;
  out->revision = MaxRevision({0, split_keys_.size()});
  out->db_size = 0;
  for (const auto& [key, kv] : data_) {
    out->db_size += static_cast<int64_t>(key.size() + kv.value.size());
  }
  return Status::OK();
}

void MemoryBackend::SetMemberStatus(const MemberStatus& status) {
  std::lock_guard lock(mu_);
  member_ = status;
}

void MemoryBackend::FailNext(Status status) {
  std::lock_guard lock(mu_);
  failures_.push_back(std::move(status));
}

int64_t MemoryBackend::ShardRevision(size_t shard) const {
  std::lock_guard lock(mu_);
  TESSERA_ASSERT(shard < revisions_.size(), "no such shard");
  return revisions_[shard];
}

MemoryBackend::CallCounts MemoryBackend::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

}  // namespace tessera::etcd

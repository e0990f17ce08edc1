#include "multiraft/apply.h"

#include <algorithm>
#include <map>

#include "multiraft/shard_ranges.h"
#include "multiraft/versioned_value.h"

namespace tessera::multiraft {

using storage::Cf;

namespace {
bool IsRangeOp(WriteOp::Type t) {
  return t == WriteOp::Type::kDeleteRange || t == WriteOp::Type::kAssertUnchangedSince;
}
bool IsAssertion(WriteOp::Type t) {
  return t == WriteOp::Type::kAssertModRevision || t == WriteOp::Type::kAssertUnchangedSince;
}
}  // namespace

Status ApplyBatch::CheckOp(const ShardDescriptor& desc, const WriteOp& op) const {
  if (IsRangeOp(op.type)) {
    if (!op.end_key.empty() && op.end_key <= op.key) {
      return Status::InvalidArgument("range op: end key must be above start key");
    }
    if (!desc.ContainsRange(op.key, op.end_key)) {
      return Status::KeyNotInShard("range outside " + DescribeShard(desc));
    }
    return Status::OK();
  }
  TESSERA_RETURN_IF_ERROR(storage::ValidateKey(op.key));
  if (!desc.ContainsKey(op.key)) return Status::KeyNotInShard("key outside " + DescribeShard(desc));
  if (op.type == WriteOp::Type::kPut || op.type == WriteOp::Type::kCompareAndSwap ||
      op.type == WriteOp::Type::kPutVersioned) {
    TESSERA_RETURN_IF_ERROR(storage::ValidateValue(op.value));
  }
  return Status::OK();
}

Result<bool> ApplyBatch::CheckAssertions(const WriteCommand& cmd, uint64_t revision,
                                         std::vector<OpResult>* results) {
  bool all = true;
  for (size_t i = 0; i < cmd.ops.size(); ++i) {
    const WriteOp& op = cmd.ops[i];
    bool holds = true;
    if (op.type == WriteOp::Type::kAssertModRevision) {
      auto current = Read(op.key);
      if (!current.ok()) return current.status();
      const auto v = *current ? DecodeVersionedValue(**current) : std::nullopt;
      holds = (v ? v->mod_revision : 0) == op.revision;
    } else if (op.type == WriteOp::Type::kAssertUnchangedSince) {
      holds = revision <= op.revision;
    }
    (*results)[i].succeeded = holds;
    all = all && holds;
  }
  return all;
}

Status ApplyBatch::ApplyWrite(const ShardDescriptor& desc, const WriteCommand& cmd,
                              uint64_t* revision, std::vector<OpResult>* results) {
  if (cmd.epoch.version != desc.epoch.version) {
    return Status::EpochNotMatch("command proposed under another range of " + DescribeShard(desc));
  }
  // Check everything first so that a refused command changes nothing.
  for (const WriteOp& op : cmd.ops) TESSERA_RETURN_IF_ERROR(CheckOp(desc, op));
  results->assign(cmd.ops.size(), OpResult{});
  auto holds = CheckAssertions(cmd, *revision, results);
  if (!holds.ok()) return holds.status();
  if (!*holds) return Status::OK();
  const bool writes = std::any_of(cmd.ops.begin(), cmd.ops.end(),
                                  [](const WriteOp& op) { return !IsAssertion(op.type); });
  if (!writes) return Status::OK();
  const uint64_t rev = NextRevision(*revision, cmd.proposed_revision);
  for (size_t i = 0; i < cmd.ops.size(); ++i) {
    const WriteOp& op = cmd.ops[i];
    OpResult& r = (*results)[i];
    switch (op.type) {
      case WriteOp::Type::kPut:
        TESSERA_RETURN_IF_ERROR(batch_.Put(Cf::kData, op.key, op.value));
        break;
      case WriteOp::Type::kDelete:
        TESSERA_RETURN_IF_ERROR(batch_.Delete(Cf::kData, op.key));
        break;
      case WriteOp::Type::kDeleteRange: {
        // An unbounded end stops at the shard's end.
        const std::string& end = op.end_key.empty() ? desc.end_key : op.end_key;
        if (op.want_previous) TESSERA_RETURN_IF_ERROR(ReadRange(op.key, end, &r.deleted));
        TESSERA_RETURN_IF_ERROR(batch_.DeleteRange(Cf::kData, op.key, end));
        break;
      }
      case WriteOp::Type::kCompareAndSwap: {
        auto current = Read(op.key);
        if (!current.ok()) return current.status();
        r.previous = *current;
        r.succeeded = *current == op.expected;
        if (r.succeeded) {
          TESSERA_RETURN_IF_ERROR(op.delete_on_match ? batch_.Delete(Cf::kData, op.key)
                                                     : batch_.Put(Cf::kData, op.key, op.value));
        }
        break;
      }
      case WriteOp::Type::kPutVersioned: {
        auto current = Read(op.key);
        if (!current.ok()) return current.status();
        // A value that is not versioned (written by another API) counts as absent.
        const auto before = *current ? DecodeVersionedValue(**current) : std::nullopt;
        std::string stored;
        EncodeVersionedValue(before ? before->create_revision : rev, rev,
                             before ? before->version + 1 : 1, op.value, &stored);
        TESSERA_RETURN_IF_ERROR(batch_.Put(Cf::kData, op.key, stored));
        if (op.want_previous) r.previous = std::move(*current);
        break;
      }
      case WriteOp::Type::kAssertModRevision:
      case WriteOp::Type::kAssertUnchangedSince:
        break;  // checked above
    }
  }
  *revision = rev;
  return Status::OK();
}

Status ApplyBatch::ReadRange(const std::string& start, const std::string& end,
                             std::vector<std::pair<std::string, std::string>>* out) {
  std::map<std::string, std::string> pairs;
  auto it = engine_->NewIterator(Cf::kData, storage::IterOptions{start, end});
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    pairs.emplace(std::string(it->key()), std::string(it->value()));
  }
  TESSERA_RETURN_IF_ERROR(it->status());
  const auto in_range = [&](std::string_view k) { return k >= start && (end.empty() || k < end); };
  TESSERA_RETURN_IF_ERROR(batch_.ForEach([&](const storage::BatchOp& op) {
    if (op.cf != Cf::kData) return Status::OK();
    switch (op.kind) {
      case storage::OpKind::kPut:
        if (in_range(op.key)) pairs[std::string(op.key)] = std::string(op.value);
        break;
      case storage::OpKind::kDelete:
        pairs.erase(std::string(op.key));
        break;
      case storage::OpKind::kDeleteRange:
        pairs.erase(pairs.lower_bound(std::string(op.key)),
                    op.value.empty() ? pairs.end() : pairs.lower_bound(std::string(op.value)));
        break;
    }
    return Status::OK();
  }));
  out->assign(std::make_move_iterator(pairs.begin()), std::make_move_iterator(pairs.end()));
  return Status::OK();
}

void ApplyBatch::IndexBatch() {
  const Status st = batch_.ForEachFrom(&indexed_pos_, [&](const storage::BatchOp& op) {
    if (op.cf != Cf::kData) return Status::OK();
    const uint64_t seq = ++indexed_seq_;
    switch (op.kind) {
      case storage::OpKind::kPut:
        points_.insert_or_assign(std::string(op.key), IndexedWrite{seq, std::string(op.value)});
        break;
      case storage::OpKind::kDelete:
        points_.insert_or_assign(std::string(op.key), IndexedWrite{seq, std::nullopt});
        break;
      case storage::OpKind::kDeleteRange:
        range_deletes_.push_back(
            IndexedRangeDelete{seq, std::string(op.key), std::string(op.value)});
        break;
    }
    return Status::OK();
  });
  TESSERA_ASSERT(st.ok(), "indexing a write batch cannot fail");
}

Result<std::optional<std::string>> ApplyBatch::Read(const std::string& key) {
  IndexBatch();
  // The last write of this batch that covers the key decides; none: the engine's value.
  uint64_t seq = 0;
  std::optional<std::string> value;
  if (auto it = points_.find(key); it != points_.end()) {
    seq = it->second.seq;
    value = it->second.value;
  }
  for (auto r = range_deletes_.rbegin(); r != range_deletes_.rend() && r->seq > seq; ++r) {
    if (key >= r->start && (r->end.empty() || key < r->end)) {
      seq = r->seq;
      value.reset();
      break;
    }
  }
  if (seq > 0) return value;
  auto v = engine_->Get(Cf::kData, key);
  if (v.ok()) return std::optional<std::string>(std::move(v).value());
  if (v.status().Is(Status::Code::kNotFound)) return std::optional<std::string>();
  return v.status();
}

void ApplyBatch::SetApplyState(ShardId shard, const ApplyState& state) {
  const Status s = batch_.Put(Cf::kMeta, ApplyStateKey(shard), EncodeApplyState(state));
  TESSERA_ASSERT(s.ok(), "apply state must fit in a batch");
}

void ApplyBatch::SetDescriptor(const ShardDescriptor& desc) {
  const Status s = batch_.Put(Cf::kMeta, ShardDescriptorKey(desc.id), EncodeShardDescriptor(desc));
  TESSERA_ASSERT(s.ok(), "shard descriptor must fit in a batch");
}

void ApplyBatch::RemoveMergedSource(const ShardDescriptor& source) {
  ShardDescriptor tomb = source;
  tomb.epoch.conf_version = ShardRanges::kMergedTombstone;
  Status s = batch_.Delete(Cf::kMeta, ShardDescriptorKey(source.id));
  if (s.ok()) s = batch_.Delete(Cf::kMeta, ApplyStateKey(source.id));
  if (s.ok()) s = batch_.Put(Cf::kMeta, TombstoneKey(source.id), EncodeShardDescriptor(tomb));
  TESSERA_ASSERT(s.ok(), "a merged source's metadata must fit in a batch");
}

Status ApplyBatch::Commit() {
  if (batch_.empty()) return Status::OK();
  Status s = engine_->Write(storage::WriteOptions{.sync = false}, batch_);
  batch_.Clear();
  points_.clear();
  range_deletes_.clear();
  indexed_pos_ = 0;
  return s;
}

}  // namespace tessera::multiraft

#include "multiraft/apply.h"

#include "multiraft/shard_ranges.h"

namespace tessera::multiraft {

using storage::Cf;

Status ApplyBatch::CheckOp(const ShardDescriptor& desc, const WriteOp& op) const {
  if (op.type == WriteOp::Type::kDeleteRange) {
    if (!op.end_key.empty() && op.end_key <= op.key) {
      return Status::InvalidArgument("delete range: end key must be above start key");
    }
    if (!desc.ContainsRange(op.key, op.end_key)) {
      return Status::KeyNotInShard("delete range outside " + DescribeShard(desc));
    }
    return Status::OK();
  }
  TESSERA_RETURN_IF_ERROR(storage::ValidateKey(op.key));
  if (!desc.ContainsKey(op.key)) return Status::KeyNotInShard("key outside " + DescribeShard(desc));
  if (op.type == WriteOp::Type::kPut || op.type == WriteOp::Type::kCompareAndSwap) {
    TESSERA_RETURN_IF_ERROR(storage::ValidateValue(op.value));
  }
  return Status::OK();
}

Status ApplyBatch::ApplyWrite(const ShardDescriptor& desc, const WriteCommand& cmd,
                              std::vector<OpResult>* results) {
  if (cmd.epoch.version != desc.epoch.version) {
    return Status::EpochNotMatch("command proposed under another range of " + DescribeShard(desc));
  }
  // Check everything first so that a refused command changes nothing.
  for (const WriteOp& op : cmd.ops) TESSERA_RETURN_IF_ERROR(CheckOp(desc, op));
  results->assign(cmd.ops.size(), OpResult{});
  for (size_t i = 0; i < cmd.ops.size(); ++i) {
    const WriteOp& op = cmd.ops[i];
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
        TESSERA_RETURN_IF_ERROR(batch_.DeleteRange(Cf::kData, op.key, end));
        break;
      }
      case WriteOp::Type::kCompareAndSwap: {
        auto current = Read(op.key);
        if (!current.ok()) return current.status();
        OpResult& r = (*results)[i];
        r.previous = *current;
        r.succeeded = *current == op.expected;
        if (r.succeeded) {
          TESSERA_RETURN_IF_ERROR(op.delete_on_match ? batch_.Delete(Cf::kData, op.key)
                                                     : batch_.Put(Cf::kData, op.key, op.value));
        }
        break;
      }
    }
  }
  return Status::OK();
}

Result<std::optional<std::string>> ApplyBatch::Read(const std::string& key) {
  // The last write of this batch that covers the key decides; none: the engine's value.
  std::optional<std::optional<std::string>> last;
  const Status st = batch_.ForEach([&](const storage::BatchOp& op) {
    if (op.cf != Cf::kData) return Status::OK();
    switch (op.kind) {
      case storage::OpKind::kPut:
        if (op.key == key) last.emplace(std::string(op.value));
        break;
      case storage::OpKind::kDelete:
        if (op.key == key) last.emplace(std::nullopt);
        break;
      case storage::OpKind::kDeleteRange:
        if (key >= op.key && (op.value.empty() || key < op.value)) last.emplace(std::nullopt);
        break;
    }
    return Status::OK();
  });
  if (!st.ok()) return st;
  if (last) return *last;
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
  return s;
}

}  // namespace tessera::multiraft

#include "storage/raft_log_batch.h"

#include <utility>

namespace tessera::storage {

void LogWriteBatch::Append(ShardId shard, std::vector<raft::Entry> entries) {
  if (entries.empty()) return;
  ops_.push_back(Op{.kind = OpKind::kAppend, .shard = shard, .entries = std::move(entries)});
}

void LogWriteBatch::SetHardState(ShardId shard, const raft::HardState& hs) {
  ops_.push_back(Op{.kind = OpKind::kHardState, .shard = shard, .hard_state = hs});
}

void LogWriteBatch::ApplySnapshot(ShardId shard, const raft::SnapshotMetadata& meta) {
  ops_.push_back(Op{.kind = OpKind::kApplySnapshot, .shard = shard, .snapshot = meta});
}

void LogWriteBatch::CreateSnapshot(ShardId shard, LogIndex index, const raft::ConfState* cs) {
  Op op{.kind = OpKind::kCreateSnapshot, .shard = shard, .index = index};
  if (cs != nullptr) op.conf_state = *cs;
  ops_.push_back(std::move(op));
}

void LogWriteBatch::Compact(ShardId shard, LogIndex index) {
  ops_.push_back(Op{.kind = OpKind::kCompact, .shard = shard, .index = index});
}

void LogWriteBatch::SetConfState(ShardId shard, const raft::ConfState& cs) {
  ops_.push_back(Op{.kind = OpKind::kConfState, .shard = shard, .conf_state = cs});
}

void LogWriteBatch::DestroyShard(ShardId shard) {
  ops_.push_back(Op{.kind = OpKind::kDestroy, .shard = shard});
}

void LogWriteBatch::Clear() { ops_.clear(); }

}  // namespace tessera::storage

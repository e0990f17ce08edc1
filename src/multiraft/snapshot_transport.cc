#include "multiraft/snapshot_transport.h"

#include <fmt/format.h>

#include "common/assert.h"

namespace tessera::multiraft {

Status SnapshotLimits::Validate() const {
  if (max_concurrent_sends == 0) return Status::InvalidArgument("max_concurrent_sends is 0");
  if (max_concurrent_receives == 0) {
    return Status::InvalidArgument("max_concurrent_receives is 0");
  }
  if (send_bytes_per_sec == 0) return Status::InvalidArgument("send_bytes_per_sec is 0");
  if (chunk_bytes < 1024 || chunk_bytes > (uint64_t{3} << 20)) {
    return Status::InvalidArgument(
        fmt::format("chunk_bytes {} is outside [1 KiB, 3 MiB]", chunk_bytes));
  }
  return Status::OK();
}

Status CheckSnapshotMessage(NodeId from, NodeId to, const ShardMessage& msg,
                            const SnapshotManifest& m) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(
        fmt::format("snapshot message of shard {}: {}", msg.shard.value(), why));
  };
  if (msg.msg.type != raft::MessageType::kSnap || !msg.msg.snapshot.has_value()) {
    return bad("not a kSnap message");
  }
  if (msg.msg.from != from || msg.msg.to != to || !from || !to || from == to) {
    return bad("wrong sender or receiver");
  }
  if (msg.shard != m.desc.id) return bad("the manifest is of another shard");
  if (msg.descriptor.has_value() && msg.descriptor->id != msg.shard) {
    return bad("the descriptor is of another shard");
  }
  if (msg.msg.snapshot->metadata != m.RaftMetadata()) {
    return bad("the snapshot metadata differs from the manifest's index, term or membership");
  }
  return Status::OK();
}

bool ReceiveSlots::TryAcquire() {
  uint32_t cur = active_.load(std::memory_order_acquire);
  while (cur < max_) {
    if (active_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel)) return true;
  }
  return false;
}

void ReceiveSlots::Release() {
  const uint32_t before = active_.fetch_sub(1, std::memory_order_acq_rel);
  TESSERA_ASSERT(before > 0, "released a receive slot that was not taken");
}

}  // namespace tessera::multiraft

// ShardLogStorage: raft::LogStorage for one shard, a thin view over the LogStore.
#include "storage/raft_log_store.h"

namespace tessera::storage {

Result<raft::InitialState> ShardLogStorage::GetInitialState() const {
  return store_->InitialState(shard_);
}

Result<std::vector<raft::Entry>> ShardLogStorage::Entries(LogIndex lo, LogIndex hi,
                                                          uint64_t max_bytes) const {
  return store_->Entries(shard_, lo, hi, max_bytes);
}

Result<Term> ShardLogStorage::TermAt(LogIndex i) const { return store_->TermAt(shard_, i); }

LogIndex ShardLogStorage::FirstIndex() const { return store_->FirstIndex(shard_); }

LogIndex ShardLogStorage::LastIndex() const { return store_->LastIndex(shard_); }

Result<raft::Snapshot> ShardLogStorage::GetSnapshot() const { return store_->GetSnapshot(shard_); }

}  // namespace tessera::storage

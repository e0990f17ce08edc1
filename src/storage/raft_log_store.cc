// LogStore: opening (state recovery) and the read path. The write path is raft_log_write.cc.
#include "storage/raft_log_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "common/assert.h"

namespace tessera::storage {

using raftlog::EntryKey;
using raftlog::KeyKind;
using raftlog::MetaKey;

namespace {

std::string EntryName(ShardId shard, LogIndex i) {
  return fmt::format("shard {} entry {}", shard.value(), i.value());
}

const ShardLogState& EmptyState() {
  static const ShardLogState kEmpty;
  return kEmpty;
}

// Reads and decodes one meta record; NotFound when absent.
template <typename T, typename Decode>
Result<T> ReadMeta(Engine& engine, ShardId shard, KeyKind kind, std::string_view name,
                   Decode decode) {
  const std::string key = MetaKey(shard, kind);
  auto rec = engine.Get(Cf::kRaft, key);
  if (!rec.ok()) return rec.status();
  return decode(key, *rec, fmt::format("shard {} {}", shard.value(), name));
}

// Keeps entries while their total (raft::EntryBytes) stays within max_bytes, at least one.
bool Fits(const std::vector<raft::Entry>& out, uint64_t bytes, const raft::Entry& e,
          uint64_t max_bytes) {
  return out.empty() || bytes + raft::EntryBytes(e) <= max_bytes;
}

}  // namespace

Status LogStoreOptions::Validate() const {
  if (cache_bytes_per_shard == 0) {
    return Status::InvalidArgument("cache_bytes_per_shard must be positive");
  }
  return Status::OK();
}

LogStore::LogStore(Engine* engine, LogStoreOptions opts)
    : engine_(engine), opts_(std::move(opts)) {}

LogStore::~LogStore() = default;

Result<std::unique_ptr<LogStore>> LogStore::Open(Engine* engine, LogStoreOptions opts) {
  TESSERA_ASSERT(engine != nullptr, "LogStore::Open needs an engine");
  TESSERA_RETURN_IF_ERROR(opts.Validate());
  std::unique_ptr<LogStore> store(new LogStore(engine, std::move(opts)));
  TESSERA_RETURN_IF_ERROR(store->Recover());
  return store;
}

// One seek per kind of record per shard, then a jump to the next shard's prefix: O(shards)
// seeks whatever the length of the logs.
Status LogStore::Recover() {
  auto it = engine_->NewIterator(Cf::kRaft, {});
  it->SeekToFirst();
  while (it->Valid()) {
    TESSERA_ASSIGN_OR_RETURN(raftlog::ParsedKey k, raftlog::ParseKey(it->key()));
    TESSERA_RETURN_IF_ERROR(RecoverShard(*it, k.shard));
    if (k.shard.value() == UINT64_MAX) break;
    it->Seek(raftlog::ShardEnd(k.shard));
  }
  return it->status();
}

Status LogStore::RecoverShard(Iterator& it, ShardId shard) {
  auto sh = std::make_unique<Shard>(opts_.cache_bytes_per_shard);
  ShardLogState& st = sh->state;
  auto hs = ReadMeta<raft::HardState>(*engine_, shard, KeyKind::kHardState, "hard state",
                                      raftlog::DecodeHardState);
  if (hs.ok()) st.hard_state = *hs;
  if (!hs.ok() && !hs.status().Is(Status::Code::kNotFound)) return hs.status();
  auto tr = ReadMeta<raftlog::TruncatedState>(*engine_, shard, KeyKind::kTruncated,
                                              "truncated state", raftlog::DecodeTruncated);
  if (tr.ok()) st.truncated = *tr;
  if (!tr.ok() && !tr.status().Is(Status::Code::kNotFound)) return tr.status();
  auto snap = ReadMeta<raft::SnapshotMetadata>(*engine_, shard, KeyKind::kSnapshot,
                                               "snapshot metadata", raftlog::DecodeSnapshotMeta);
  if (snap.ok()) st.snapshot = *snap;
  if (!snap.ok() && !snap.status().Is(Status::Code::kNotFound)) return snap.status();

  st.last_index = st.truncated.index;
  st.last_term = st.truncated.term;
  const std::string entries_end = raftlog::EntriesEnd(shard);
  it.Seek(EntryKey(shard, LogIndex(0)));
  if (it.Valid() && it.key() < entries_end) {
    TESSERA_ASSIGN_OR_RETURN(raftlog::ParsedKey first, raftlog::ParseKey(it.key()));
    if (first.index != st.first_index()) {
      return Status::Corruption(
          fmt::format("raft log store: shard {}: the log starts at entry {}, expected {}",
                      shard.value(), first.index.value(), st.first_index().value()));
    }
    it.SeekForPrev(entries_end);
    TESSERA_ASSERT(it.Valid(), "an entry found by Seek vanished for SeekForPrev");
    TESSERA_ASSIGN_OR_RETURN(raftlog::ParsedKey last, raftlog::ParseKey(it.key()));
    TESSERA_ASSIGN_OR_RETURN(raft::Entry e, raftlog::DecodeEntry(it.key(), it.value(), last.index,
                                                                 EntryName(shard, last.index)));
    st.last_index = last.index;
    st.last_term = e.term;
  }
  TESSERA_RETURN_IF_ERROR(it.status());
  std::lock_guard l(mu_);
  shards_[shard] = std::move(sh);
  return Status::OK();
}

const ShardLogState& LogStore::StateLocked(ShardId shard) const {
  auto it = shards_.find(shard);
  return it == shards_.end() ? EmptyState() : it->second->state;
}

LogIndex LogStore::FirstIndex(ShardId shard) const {
  std::lock_guard l(mu_);
  return StateLocked(shard).first_index();
}

LogIndex LogStore::LastIndex(ShardId shard) const {
  std::lock_guard l(mu_);
  return StateLocked(shard).last_index;
}

raft::InitialState LogStore::InitialState(ShardId shard) const {
  std::lock_guard l(mu_);
  const ShardLogState& st = StateLocked(shard);
  return raft::InitialState{st.hard_state, st.snapshot.conf_state};
}

Result<ShardLogState> LogStore::State(ShardId shard) const {
  std::lock_guard l(mu_);
  auto it = shards_.find(shard);
  if (it == shards_.end()) return Status::NotFound(fmt::format("shard {}", shard.value()));
  return it->second->state;
}

std::vector<ShardId> LogStore::Shards() const {
  std::lock_guard l(mu_);
  std::vector<ShardId> out;
  out.reserve(shards_.size());
  for (const auto& [id, sh] : shards_) out.push_back(id);
  return out;
}

std::unique_ptr<ShardLogStorage> LogStore::ShardStorage(ShardId shard) {
  return std::make_unique<ShardLogStorage>(this, shard);
}

Result<raft::Entry> LogStore::ReadEntry(ShardId shard, LogIndex i) const {
  const std::string key = EntryKey(shard, i);
  auto rec = engine_->Get(Cf::kRaft, key);
  if (rec.status().Is(Status::Code::kNotFound)) {
    return Status::Corruption(
        fmt::format("raft log store: {}: missing from the log", EntryName(shard, i)));
  }
  if (!rec.ok()) return rec.status();
  return raftlog::DecodeEntry(key, *rec, i, EntryName(shard, i));
}

Result<Term> LogStore::StoredTermLocked(ShardId shard, LogIndex i) const {
  auto it = shards_.find(shard);
  TESSERA_ASSERT(it != shards_.end(), "term of an entry of an unknown shard");
  const Shard& sh = *it->second;
  if (i == sh.state.last_index) return sh.state.last_term;
  if (sh.cache.Contains(i)) return sh.cache.At(i).term;
  TESSERA_ASSIGN_OR_RETURN(raft::Entry e, ReadEntry(shard, i));
  return e.term;
}

Result<Term> LogStore::TermAt(ShardId shard, LogIndex i) const {
  {
    std::lock_guard l(mu_);
    auto it = shards_.find(shard);
    const ShardLogState& st = it == shards_.end() ? EmptyState() : it->second->state;
    if (i < st.truncated.index) return Status::Compacted();
    if (i == st.truncated.index) return st.truncated.term;
    if (i > st.last_index) return Status::Unavailable("term beyond the last index");
    if (i == st.last_index) return st.last_term;
    if (it->second->cache.Contains(i)) return it->second->cache.At(i).term;
  }
  TESSERA_ASSIGN_OR_RETURN(raft::Entry e, ReadEntry(shard, i));
  return e.term;
}

Status LogStore::ReadEntries(ShardId shard, LogIndex lo, LogIndex hi, uint64_t max_bytes,
                             uint64_t* bytes, std::vector<raft::Entry>* out) const {
  IterOptions io{.lower_bound = EntryKey(shard, lo), .upper_bound = EntryKey(shard, hi)};
  auto it = engine_->NewIterator(Cf::kRaft, io);
  LogIndex want = lo;
  for (it->SeekToFirst(); it->Valid() && want < hi; it->Next(), ++want) {
    TESSERA_ASSIGN_OR_RETURN(raftlog::ParsedKey k, raftlog::ParseKey(it->key()));
    if (k.shard != shard || k.kind != KeyKind::kEntry || k.index != want) break;
    TESSERA_ASSIGN_OR_RETURN(
        raft::Entry e, raftlog::DecodeEntry(it->key(), it->value(), want, EntryName(shard, want)));
    if (!Fits(*out, *bytes, e, max_bytes)) return Status::OK();
    *bytes += raft::EntryBytes(e);
    out->push_back(std::move(e));
  }
  TESSERA_RETURN_IF_ERROR(it->status());
  if (want < hi) {
    return Status::Corruption(
        fmt::format("raft log store: {}: missing from the log", EntryName(shard, want)));
  }
  return Status::OK();
}

Result<std::vector<raft::Entry>> LogStore::Entries(ShardId shard, LogIndex lo, LogIndex hi,
                                                   uint64_t max_bytes) const {
  if (lo >= hi) return Status::InvalidArgument("Entries needs lo < hi");
  std::vector<raft::Entry> cached;
  LogIndex cache_lo = hi;  // entries [cache_lo, hi) come from the cache
  {
    std::lock_guard l(mu_);
    auto it = shards_.find(shard);
    const ShardLogState& st = it == shards_.end() ? EmptyState() : it->second->state;
    if (lo <= st.truncated.index) return Status::Compacted();
    if (hi > st.last_index.next()) return Status::Unavailable("entries beyond the last index");
    const EntryCache& cache = it->second->cache;
    if (!cache.empty() && cache.first_index() < hi) {
      cache_lo = std::max(lo, cache.first_index());
      uint64_t bytes = 0;
      for (LogIndex i = cache_lo; i < hi; ++i) {
        const raft::Entry& e = cache.At(i);
        if (!Fits(cached, bytes, e, max_bytes)) break;
        bytes += raft::EntryBytes(e);
        cached.push_back(e);
      }
    }
  }
  if (cache_lo == lo) return cached;
  std::vector<raft::Entry> out;
  uint64_t bytes = 0;
  TESSERA_RETURN_IF_ERROR(ReadEntries(shard, lo, cache_lo, max_bytes, &bytes, &out));
  if (out.size() < cache_lo - lo) return out;  // the size limit stopped the read
  for (raft::Entry& e : cached) {
    if (!Fits(out, bytes, e, max_bytes)) break;
    bytes += raft::EntryBytes(e);
    out.push_back(std::move(e));
  }
  return out;
}

Result<raft::Snapshot> LogStore::GetSnapshot(ShardId shard) const {
  raft::Snapshot snap;
  {
    std::lock_guard l(mu_);
    auto it = shards_.find(shard);
    if (it != shards_.end()) snap.metadata = it->second->state.snapshot;
  }
  if (opts_.snapshot_data && !snap.IsEmpty()) {
    TESSERA_ASSIGN_OR_RETURN(snap.data, opts_.snapshot_data(shard, snap.metadata));
  }
  return snap;
}

}  // namespace tessera::storage

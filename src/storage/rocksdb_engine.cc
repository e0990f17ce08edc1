#include "storage/rocksdb_engine.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table_properties.h>
#include <rocksdb/utilities/checkpoint.h>

#include <array>

#include "storage/export_file.h"
#include "storage/format_version.h"
#include "storage/fs_util.h"
#include "storage/iterators.h"
#include "storage/live_handles.h"
#include "storage/range_scan.h"
#include "storage/rocksdb_options.h"
#include "storage/write_batch.h"

namespace tessera::storage {
namespace {

using rocks::FromRocks;

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

// A key greater than every valid key (which has at most kMaxKeyBytes bytes): the end of a range
// given as "no end".
const std::string& EndOfKeys() {
  static const std::string end(kMaxKeyBytes + 1, '\xff');
  return end;
}
std::string_view EndOrMax(std::string_view end) { return end.empty() ? EndOfKeys() : end; }

// Below this estimated key count, ApproximateRange counts memtable keys exactly (see
// MemtableStats).
constexpr uint64_t kExactMemtableScanKeys = 16384;

// A RocksDB snapshot, released when the last Snapshot or Iterator that uses it is gone.
struct SnapshotState {
  SnapshotState(rocksdb::DB* d, LiveHandles* live) : db(d), snap(d->GetSnapshot()), token(live) {}
  ~SnapshotState() { db->ReleaseSnapshot(snap); }
  SnapshotState(const SnapshotState&) = delete;
  SnapshotState& operator=(const SnapshotState&) = delete;
  rocksdb::DB* db;
  const rocksdb::Snapshot* snap;
  LiveHandles::Token token;
};

// An unbounded cursor over a rocksdb::Iterator (bounds come from NewBoundedIterator; they are
// also given to RocksDB so that it can skip tombstones and files outside them).
class RocksIterator final : public Iterator {
 public:
  RocksIterator(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                std::shared_ptr<SnapshotState> snap, const IterOptions& opts, LiveHandles* live)
      : snap_(std::move(snap)), lower_(opts.lower_bound), upper_(opts.upper_bound), token_(live) {
    rocksdb::ReadOptions ro;
    if (snap_) ro.snapshot = snap_->snap;
    if (!lower_.empty()) {
      lower_slice_ = ToSlice(lower_);
      ro.iterate_lower_bound = &lower_slice_;
    }
    if (!upper_.empty()) {
      upper_slice_ = ToSlice(upper_);
      ro.iterate_upper_bound = &upper_slice_;
    }
    it_.reset(db->NewIterator(ro, cf));
  }
  bool Valid() const override { return it_->Valid(); }
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void Seek(std::string_view target) override { it_->Seek(ToSlice(target)); }
  void SeekForPrev(std::string_view target) override { it_->SeekForPrev(ToSlice(target)); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override { return ToView(it_->key()); }
  std::string_view value() const override { return ToView(it_->value()); }
  Status status() const override { return FromRocks(it_->status(), "iterator"); }

 private:
  // Destroyed in reverse order: the iterator before the snapshot it reads and the bounds it
  // points to.
  std::shared_ptr<SnapshotState> snap_;
  const std::string lower_;
  const std::string upper_;
  rocksdb::Slice lower_slice_;
  rocksdb::Slice upper_slice_;
  LiveHandles::Token token_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

class RocksEngine;

class RocksSnapshot final : public Snapshot {
 public:
  RocksSnapshot(RocksEngine* engine, std::shared_ptr<SnapshotState> state)
      : engine_(engine), state_(std::move(state)) {}
  Result<std::string> Get(Cf cf, std::string_view key) const override;
  std::unique_ptr<Iterator> NewIterator(Cf cf, const IterOptions& opts) const override;
  const RocksEngine* engine() const { return engine_; }
  const std::shared_ptr<SnapshotState>& state() const { return state_; }

 private:
  RocksEngine* engine_;
  std::shared_ptr<SnapshotState> state_;
};

class RocksEngine final : public Engine {
 public:
  RocksEngine(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : db_(db), handles_(std::move(handles)) {}

  ~RocksEngine() override {
    live_.AssertNone();
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      const rocksdb::Status s = db_->DestroyColumnFamilyHandle(h);
      TESSERA_ASSERT(s.ok(), "destroying a RocksDB column family handle failed");
    }
    // Close syncs nothing we rely on: every acknowledged sync write is already durable.
    (void)db_->Close();
    delete db_;
  }

  EngineKind kind() const override { return EngineKind::kRocksDb; }

  Result<std::string> Get(Cf cf, std::string_view key) override { return GetAt(nullptr, cf, key); }

  Result<std::string> GetAt(const rocksdb::Snapshot* snap, Cf cf, std::string_view key) {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;
    std::string value;
    const rocksdb::Status s = db_->Get(ro, Handle(cf), ToSlice(key), &value);
    if (s.IsNotFound()) return Status::NotFound();
    if (!s.ok()) return FromRocks(s, "get");
    return value;
  }

  Status Write(const WriteOptions& opts, const WriteBatch& batch) override {
    TESSERA_RETURN_IF_ERROR(batch.status());
    rocksdb::WriteBatch wb(/*reserved_bytes=*/batch.ByteSize() + 32);
    Status st = batch.ForEach([&](const BatchOp& op) {
      rocksdb::Status s;
      switch (op.kind) {
        case OpKind::kPut:
          s = wb.Put(Handle(op.cf), ToSlice(op.key), ToSlice(op.value));
          break;
        case OpKind::kDelete:
          s = wb.Delete(Handle(op.cf), ToSlice(op.key));
          break;
        case OpKind::kDeleteRange:
          s = wb.DeleteRange(Handle(op.cf), ToSlice(op.key), ToSlice(EndOrMax(op.value)));
          break;
      }
      return FromRocks(s, "building a write batch");
    });
    TESSERA_RETURN_IF_ERROR(st);
    rocksdb::WriteOptions wo;
    wo.sync = opts.sync;
    const rocksdb::Status s = db_->Write(wo, &wb);
    if (!s.ok()) return rocks::WriteError(s, opts.sync, "write");
    return Status::OK();
  }

  Result<std::unique_ptr<Snapshot>> GetSnapshot() override {
    return std::unique_ptr<Snapshot>(
        std::make_unique<RocksSnapshot>(this, std::make_shared<SnapshotState>(db_, &live_)));
  }

  std::unique_ptr<Iterator> NewIterator(Cf cf, const IterOptions& opts) override {
    return NewIteratorAt(nullptr, cf, opts);
  }

  std::unique_ptr<Iterator> NewIteratorAt(std::shared_ptr<SnapshotState> snap, Cf cf,
                                          const IterOptions& opts) {
    return NewBoundedIterator(
        std::make_unique<RocksIterator>(db_, Handle(cf), std::move(snap), opts, &live_), opts);
  }

  Result<RangeStats> ApproximateRange(Cf cf, std::string_view start, std::string_view end) override;
  // Keys and bytes of the range in the memtables.
  Result<RangeStats> MemtableStats(Cf cf, std::string_view start, std::string_view end,
                                   const rocksdb::Range& range);

  Result<std::string> SplitKey(Cf cf, std::string_view start, std::string_view end) override {
    auto it = NewIterator(cf, IterOptions{std::string(start), std::string(end)});
    return ScanSplitKey(*it);
  }

  Result<std::vector<ExportedFile>> Export(const Snapshot& snap, Cf cf, std::string_view start,
                                           std::string_view end, const std::string& dir,
                                           const ExportOptions& opts) override;

  Status Ingest(Cf cf, const std::vector<std::string>& paths) override {
    if (paths.empty()) return Status::OK();
    rocksdb::IngestExternalFileOptions io;
    io.move_files = true;                      // hard-link, no copy; the files are consumed
    io.verify_checksums_before_ingest = true;  // a corrupt file is rejected, never served
    io.snapshot_consistency = true;
    io.allow_blocking_flush = true;
    const rocksdb::Status s = db_->IngestExternalFile(Handle(cf), paths, io);
    if (!s.ok()) return rocks::WriteError(s, /*sync=*/true, "ingest");
    return Status::OK();
  }

  Status Checkpoint(const std::string& dir) override {
    if (PathExists(dir)) return Status::AlreadyExists(fmt::format("{} exists", dir));
    rocksdb::Checkpoint* raw = nullptr;
    TESSERA_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_, &raw), "checkpoint"));
    std::unique_ptr<rocksdb::Checkpoint> cp(raw);
    // log_size_for_flush = 0: always flush first, so the copy needs no WAL replay.
    TESSERA_RETURN_IF_ERROR(FromRocks(cp->CreateCheckpoint(dir, 0), "checkpoint"));
    return Status::OK();
  }

 private:
  rocksdb::ColumnFamilyHandle* Handle(Cf cf) const { return handles_[1 + static_cast<size_t>(cf)]; }

  LiveHandles live_;
  rocksdb::DB* db_;  // owned
  // [0] is RocksDB's "default" column family, then one per Cf in enum order.
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

Result<std::string> RocksSnapshot::Get(Cf cf, std::string_view key) const {
  return engine_->GetAt(state_->snap, cf, key);
}

std::unique_ptr<Iterator> RocksSnapshot::NewIterator(Cf cf, const IterOptions& opts) const {
  return engine_->NewIteratorAt(state_, cf, opts);
}

Result<RangeStats> RocksEngine::ApproximateRange(Cf cf, std::string_view start,
                                                 std::string_view end) {
  const rocksdb::Range range(ToSlice(start), ToSlice(EndOrMax(end)));
  TESSERA_ASSIGN_OR_RETURN(const RangeStats mem, MemtableStats(cf, start, end, range));
  rocksdb::SizeApproximationOptions so;
  so.include_memtables = false;
  so.include_files = true;
  uint64_t file_bytes = 0;
  TESSERA_RETURN_IF_ERROR(
      FromRocks(db_->GetApproximateSizes(so, Handle(cf), &range, 1, &file_bytes), "size"));
  // Keys in files: the entries of the overlapping SSTs, scaled by the share of their size that
  // lies inside the range.
  rocksdb::TablePropertiesCollection props;
  TESSERA_RETURN_IF_ERROR(FromRocks(
      db_->GetPropertiesOfTablesInRange(Handle(cf), &range, 1, &props), "table properties"));
  uint64_t entries = 0;
  uint64_t table_bytes = 0;
  for (const auto& [name, p] : props) {
    entries += p->num_entries > p->num_deletions ? p->num_entries - p->num_deletions : 0;
    table_bytes += p->data_size + p->index_size + p->filter_size;
  }
  uint64_t file_keys = 0;
  if (table_bytes > 0) {
    const double share = std::min(1.0, static_cast<double>(file_bytes) / table_bytes);
    file_keys = static_cast<uint64_t>(share * static_cast<double>(entries));
  }
  return RangeStats{mem.approximate_bytes + file_bytes, mem.approximate_keys + file_keys};
}

Result<RangeStats> RocksEngine::MemtableStats(Cf cf, std::string_view start, std::string_view end,
                                              const rocksdb::Range& range) {
  // RocksDB estimates memtable ranges by walking its skiplist's upper levels: coarse (off by
  // whole skiplist towers, i.e. often by half or more). When the estimate is small, count
  // exactly with a memtable-only iterator; the scan is bounded and falls back to the estimate.
  uint64_t est_keys = 0;
  uint64_t est_bytes = 0;
  db_->GetApproximateMemTableStats(Handle(cf), range, &est_keys, &est_bytes);
  if (est_keys > kExactMemtableScanKeys) {
    return RangeStats{est_bytes, est_keys};
  }
  rocksdb::ReadOptions ro;
  ro.read_tier = rocksdb::kMemtableTier;
  ro.fill_cache = false;
  const rocksdb::Slice lower = ToSlice(start);
  const rocksdb::Slice upper = ToSlice(EndOrMax(end));
  ro.iterate_lower_bound = &lower;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, Handle(cf)));
  RangeStats exact;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    if (exact.approximate_keys == 4 * kExactMemtableScanKeys) {
      return RangeStats{est_bytes, est_keys};  // the estimate was far off: stop scanning
    }
    exact.approximate_bytes += it->key().size() + it->value().size();
    ++exact.approximate_keys;
  }
  TESSERA_RETURN_IF_ERROR(FromRocks(it->status(), "memtable scan"));
  return exact;
}

Result<std::vector<ExportedFile>> RocksEngine::Export(const Snapshot& snap, Cf cf,
                                                      std::string_view start, std::string_view end,
                                                      const std::string& dir,
                                                      const ExportOptions& opts) {
  const auto* rs = dynamic_cast<const RocksSnapshot*>(&snap);
  if (!rs || rs->engine() != this) return Status::InvalidArgument("snapshot of another engine");
  TESSERA_RETURN_IF_ERROR(ValidateExportOptions(opts));
  TESSERA_RETURN_IF_ERROR(CreateDirs(dir));
  rocksdb::Options cf_opts(db_->GetDBOptions(), db_->GetOptions(Handle(cf)));
  std::vector<ExportedFile> files;
  std::unique_ptr<rocksdb::SstFileWriter> writer;
  ExportedFile cur;
  auto finish = [&]() -> Status {
    rocksdb::ExternalSstFileInfo info;
    TESSERA_RETURN_IF_ERROR(FromRocks(writer->Finish(&info), "export finish"));
    writer.reset();
    files.push_back(std::move(cur));
    cur = ExportedFile{};
    return Status::OK();
  };
  auto it = NewIteratorAt(rs->state(), cf, IterOptions{std::string(start), std::string(end)});
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!writer) {
      cur.path = fmt::format("{}/{}-{:06}.sst", dir, CfName(cf), files.size() + 1);
      if (PathExists(cur.path)) return Status::AlreadyExists(fmt::format("{} exists", cur.path));
      writer = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), cf_opts);
      TESSERA_RETURN_IF_ERROR(FromRocks(writer->Open(cur.path), "export open"));
      cur.smallest = it->key();
    }
    TESSERA_RETURN_IF_ERROR(
        FromRocks(writer->Put(ToSlice(it->key()), ToSlice(it->value())), "export put"));
    cur.largest = it->key();
    ++cur.keys;
    cur.bytes += it->key().size() + it->value().size();
    if (cur.bytes >= opts.target_file_bytes) TESSERA_RETURN_IF_ERROR(finish());
  }
  TESSERA_RETURN_IF_ERROR(it->status());
  if (writer) TESSERA_RETURN_IF_ERROR(finish());
  TESSERA_RETURN_IF_ERROR(SyncDir(dir));
  return files;
}

}  // namespace

Result<std::unique_ptr<Engine>> OpenRocksDbEngine(const std::string& path,
                                                  const RocksDbOptions& opts) {
  if (opts.create_if_missing) TESSERA_RETURN_IF_ERROR(CreateDirs(path));
  const auto cache = rocksdb::NewLRUCache(opts.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  cfs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (Cf cf : kAllCfs) {
    cfs.emplace_back(std::string(CfName(cf)), rocks::BuildCfOptions(cf, opts, cache));
  }
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  TESSERA_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(rocks::BuildDbOptions(opts), path, cfs, &handles, &db), "open"));
  TESSERA_ASSERT(handles.size() == cfs.size(), "RocksDB opened a different set of column families");
  auto engine = std::make_unique<RocksEngine>(db, std::move(handles));
  TESSERA_RETURN_IF_ERROR(InitOrCheckFormatVersion(*engine));
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace tessera::storage

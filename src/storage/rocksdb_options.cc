// The RocksDB options Tessera uses, and why. Mirrored in docs/storage_format.md.
#include "storage/rocksdb_options.h"

#include <fmt/format.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <string>
#include <vector>

namespace tessera::storage::rocks {
namespace {

bool Supported(rocksdb::CompressionType t) {
  const std::vector<rocksdb::CompressionType> all = rocksdb::GetSupportedCompressions();
  return std::find(all.begin(), all.end(), t) != all.end();
}

// Cheap compression where data is rewritten often, strong compression where it settles.
// Falls back to no compression when the library lacks an algorithm.
void SetCompression(rocksdb::ColumnFamilyOptions* cf) {
  const auto lz4 =
      Supported(rocksdb::kLZ4Compression) ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
  const auto zstd = Supported(rocksdb::kZSTD) ? rocksdb::kZSTD : lz4;
  // L0 and L1 are rewritten soon by compaction: compressing them costs CPU on the write path
  // for little space. Deeper levels hold most of the data.
  cf->compression_per_level = {
      rocksdb::kNoCompression, rocksdb::kNoCompression, lz4, lz4, lz4, lz4, lz4};
  cf->bottommost_compression = zstd;
}

}  // namespace

rocksdb::DBOptions BuildDbOptions(const RocksDbOptions& opts) {
  rocksdb::DBOptions db;
  db.create_if_missing = opts.create_if_missing;
  db.create_missing_column_families = opts.create_if_missing;
  // Verify what is read at open; a corrupt database must not open silently.
  db.paranoid_checks = true;
  // Detect a missing or truncated WAL (not just a torn tail) at recovery.
  db.track_and_verify_wals_in_manifest = true;
  // A crash leaves at most a torn last record; recovery stops there, never leaving a hole.
  // Every acknowledged sync write lies before it.
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db.max_background_jobs = opts.max_background_jobs;
  db.bytes_per_sync = opts.bytes_per_sync;
  db.wal_bytes_per_sync = opts.bytes_per_sync;
  // Cfs share the WAL; a Cf written rarely (meta) would keep old WAL files alive. Bound the WAL
  // so that such Cfs are flushed: 4 write buffers' worth.
  db.max_total_wal_size = 4 * opts.write_buffer_bytes;
  // Keep RocksDB's own LOG small; Tessera logs through spdlog.
  db.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db.keep_log_file_num = 4;
  return db;
}

rocksdb::ColumnFamilyOptions BuildCfOptions(Cf cf, const RocksDbOptions& opts,
                                            const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Charge index and filter blocks to the cache, so memory is bounded by block_cache_bytes;
  // pin those of L0, which every read touches.
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Full (not block-based) bloom filters, ~1% false positives: point reads of absent keys (raft
  // log probes, user Gets of missing keys) skip the data block read.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.format_version = 5;
  // Leveled compaction with dynamic level sizes: bounded space amplification (~1.1x).
  o.compaction_style = rocksdb::kCompactionStyleLevel;
  o.level_compaction_dynamic_level_bytes = true;
  o.max_write_buffer_number = 4;
  switch (cf) {
    case Cf::kData:
      // 16 KiB blocks: fewer index entries and better compression for scans; a point read
      // still decodes one block.
      table.block_size = 16 << 10;
      o.write_buffer_size = opts.write_buffer_bytes;
      SetCompression(&o);
      break;
    case Cf::kRaft:
      // Raft logs are appended in key order and deleted by prefix ranges after log compaction;
      // most reads hit the memtable or the log store's entry cache.
      table.block_size = 16 << 10;
      o.write_buffer_size = opts.write_buffer_bytes;
      SetCompression(&o);
      break;
    case Cf::kMeta:
      // Small and hot: small memtable, small blocks, no compression.
      table.block_size = 4 << 10;
      o.write_buffer_size = std::max<uint64_t>(opts.write_buffer_bytes / 16, 1 << 20);
      o.compression = rocksdb::kNoCompression;
      break;
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return o;
}

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::OK();
  const std::string msg = fmt::format("rocksdb {}: {}", what, s.ToString());
  switch (s.code()) {
    case rocksdb::Status::kNotFound:
      return Status::NotFound(msg);
    case rocksdb::Status::kCorruption:
      return Status::Corruption(msg);
    case rocksdb::Status::kNotSupported:
      return Status::NotSupported(msg);
    case rocksdb::Status::kInvalidArgument:
      return Status::InvalidArgument(msg);
    case rocksdb::Status::kIOError:
      return Status::IOError(msg);
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTryAgain:
      return Status::Busy(msg);
    case rocksdb::Status::kTimedOut:
      return Status::Unavailable(msg);
    case rocksdb::Status::kAborted:
    case rocksdb::Status::kIncomplete:
    case rocksdb::Status::kShutdownInProgress:
      return Status::Aborted(msg);
    default:
      return Status::Internal(msg);
  }
}

Status WriteError(const rocksdb::Status& s, bool sync, std::string_view what) {
  if (sync && s.IsIOError() && !s.IsNoSpace()) {
    const std::string msg = fmt::format(
        "rocksdb engine: I/O error while making a sync {} durable: {}; stopping, an fsync error "
        "is never retried",
        what, s.ToString());
    TESSERA_ASSERT(false, msg.c_str());
  }
  return FromRocks(s, what);
}

}  // namespace tessera::storage::rocks

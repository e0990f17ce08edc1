// The RocksDB engine: Tessera's default store engine.
//
// Layout: one RocksDB database per node; one column family per Cf, named by CfName ("data",
// "raft", "meta"); RocksDB's "default" column family exists but stays empty. All column families
// share one WAL, so a WriteBatch across Cfs is atomic after a crash, and one sync write is one
// fsync of that WAL whatever the number of shards in the batch (the basis of the raft log
// store's group commit).
//
// The options chosen, and why, are listed in rocksdb_options.cc and docs/storage_format.md
// ("RocksDB engine"). Notes on engine.h semantics:
//   - Export writes SST files (SstFileWriter, the column family's own table options); Ingest
//     verifies their block checksums first and links them into the tree (IngestExternalFile,
//     atomic across the files of one call). The files are consumed.
//   - ApproximateRange uses SST metadata and memtable statistics, O(log n); SplitKey scans the
//     range (range_scan.h) at an implicit snapshot.
//   - Checkpoint is RocksDB's Checkpoint (hard links where possible, after a flush), and opens
//     with OpenRocksDbEngine.
//   - Sync writes: an IOError from a sync write, other than "no space", stops the process
//     (engine.h). Any error is otherwise returned as a Status.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "storage/engine.h"

namespace tessera::storage {

struct RocksDbOptions {
  // Create the database (and missing column families) when `path` holds none. Default: true.
  bool create_if_missing = true;
  // LRU block cache shared by all Cfs; index and filter blocks are charged to it too, so this
  // bounds the read-side memory. Default: 256 MiB.
  uint64_t block_cache_bytes = uint64_t{256} << 20;
  // Memtable size of Cf::kData and Cf::kRaft each (Cf::kMeta uses 1/16 of it, at least 1 MiB).
  // Up to four memtables per Cf may exist while flushes run. Default: 64 MiB.
  uint64_t write_buffer_bytes = uint64_t{64} << 20;
  // Background flush and compaction threads. Default: 4.
  int max_background_jobs = 4;
  // SST and WAL files are synced incrementally every this many bytes written, so that a flush or
  // a sync write never meets a large backlog of dirty pages. 0 disables. Default: 1 MiB.
  uint64_t bytes_per_sync = uint64_t{1} << 20;
};

// Opens (or creates) the RocksDB engine in directory `path`. Checks the storage format version
// (docs/storage_format.md, "Versioning"). IOError when another process holds the database.
Result<std::unique_ptr<Engine>> OpenRocksDbEngine(const std::string& path,
                                                  const RocksDbOptions& opts = {});

}  // namespace tessera::storage

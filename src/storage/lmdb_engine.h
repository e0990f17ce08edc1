// The LMDB engine: the B+tree alternative to RocksDB.
//
// Layout: one LMDB environment (data.mdb, lock.mdb) in the engine directory, one named database
// per Cf (named by CfName), and a LOCK file held with flock so that only one engine instance
// (in any process) uses the directory at a time. LMDB itself would allow several processes.
//
// Notes on engine.h semantics:
//   - One writer at a time (LMDB's rule; Write and Ingest are serialized). Readers never block
//     and are never blocked: a Snapshot is one read-only transaction (MVCC over copy-on-write
//     pages), shared by its iterators and used under a mutex, since an LMDB transaction must not
//     be used by two threads at once.
//   - Long-lived snapshots keep the pages they see from being reused, so the file grows while
//     they live; the file never shrinks (Checkpoint writes a compacted copy). Pages freed by a
//     commit are reused from the second commit after it on, once no snapshot still sees them.
//   - Durability: the environment runs with MDB_NOMETASYNC: each commit syncs its data pages,
//     and a sync write also syncs the meta page (mdb_env_sync). A non-sync write thus keeps the
//     database consistent on a machine crash but may lose the latest commits. Any I/O error at
//     commit or sync other than a full disk or a full map is fatal (engine.h).
//   - The map size bounds the database: a write that would exceed it fails with IOError ("map
//     full") and changes nothing.
//   - ApproximateRange and SplitKey scan the range (exact results), except ApproximateRange over
//     a whole Cf, which reads LMDB's statistics. DeleteRange deletes key by key: O(keys in
//     range).
//   - Export writes the Tessera export format (export_file.h); Ingest applies the verified files
//     in one transaction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "storage/engine.h"

namespace tessera::storage {

struct LmdbOptions {
  // Create the directory and the environment when `path` holds none. Default: true.
  bool create_if_missing = true;
  // Size of the memory map, i.e. the largest size the database file may reach. The file is
  // sparse, so a large map costs address space, not disk. Default: 8 GiB.
  uint64_t map_size_bytes = uint64_t{8} << 30;
  // Most read transactions open at once (snapshots, iterators, Gets in flight); one more is
  // Busy. Default: 1024.
  uint32_t max_readers = 1024;
};

// Opens (or creates) the LMDB engine in directory `path`. Checks the storage format version.
// NotSupported if this LMDB build's key size limit is below kMaxKeyBytes; IOError when another
// engine instance holds the directory.
Result<std::unique_ptr<Engine>> OpenLmdbEngine(const std::string& path,
                                               const LmdbOptions& opts = {});

}  // namespace tessera::storage

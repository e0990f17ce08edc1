// RocksDB option building and status conversion for the RocksDB engine (internal to storage/).
#pragma once

#include <rocksdb/cache.h>
#include <rocksdb/options.h>
#include <rocksdb/status.h>

#include <memory>
#include <string_view>

#include "common/status.h"
#include "storage/engine.h"
#include "storage/rocksdb_engine.h"

namespace tessera::storage::rocks {

rocksdb::DBOptions BuildDbOptions(const RocksDbOptions& opts);
rocksdb::ColumnFamilyOptions BuildCfOptions(Cf cf, const RocksDbOptions& opts,
                                            const std::shared_ptr<rocksdb::Cache>& cache);

// The Tessera status for a RocksDB status.
Status FromRocks(const rocksdb::Status& s, std::string_view what);

// For a failed write: a sync write's I/O error (other than "no space") is fatal (engine.h);
// anything else becomes a Status.
Status WriteError(const rocksdb::Status& s, bool sync, std::string_view what);

}  // namespace tessera::storage::rocks

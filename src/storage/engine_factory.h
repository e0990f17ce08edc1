// Opening an engine chosen by configuration (the server's `--engine` flag, the simulator).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "storage/engine.h"
#include "storage/lmdb_engine.h"
#include "storage/memory_engine.h"
#include "storage/rocksdb_engine.h"

namespace tessera::storage {

struct EngineOptions {
  // Which engine to open. Default: RocksDB.
  EngineKind kind = EngineKind::kRocksDb;
  // The options of each engine; only those of `kind` are used.
  RocksDbOptions rocksdb;
  LmdbOptions lmdb;
  MemoryEngineOptions memory;
};

// Opens the engine `opts.kind` in directory `path` (ignored by the memory engine).
Result<std::unique_ptr<Engine>> OpenEngine(const std::string& path, const EngineOptions& opts);

// The kind named "rocksdb", "memory" or "lmdb" (EngineKindName); false for any other name.
bool ParseEngineKind(std::string_view name, EngineKind* kind);

}  // namespace tessera::storage

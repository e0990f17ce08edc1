// Helpers for the raft log store tests (not part of any library).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "raft/types.h"
#include "storage/memory_engine.h"
#include "storage/raft_log_store.h"
#include "storage/rocksdb_engine.h"
#include "storage/test_util.h"

namespace tessera::storage::testing {

// Small RocksDB settings for tests: tiny caches and buffers, two background jobs.
inline RocksDbOptions SmallRocksDbOptions() {
  RocksDbOptions o;
  o.block_cache_bytes = 8 << 20;
  o.write_buffer_bytes = 4 << 20;
  o.max_background_jobs = 2;
  return o;
}

// An engine (memory or RocksDB in a temp dir) and a LogStore over it, reopenable: Reopen closes
// the store (and, for RocksDB, the engine) and opens them again on the same data.
class LogStoreFixture {
 public:
  LogStoreFixture(EngineKind kind, LogStoreOptions opts) : kind_(kind), opts_(std::move(opts)) {}

  Status Open() {
    if (engine_ == nullptr) {
      auto e = kind_ == EngineKind::kMemory
                   ? OpenMemoryEngine()
                   : OpenRocksDbEngine(dir_.Sub("db"), SmallRocksDbOptions());
      if (!e.ok()) return e.status();
      engine_ = std::move(e).value();
    }
    auto s = LogStore::Open(engine_.get(), opts_);
    if (!s.ok()) return s.status();
    store_ = std::move(s).value();
    return Status::OK();
  }

  // Simulates a restart: the memory engine keeps its content (it plays the disk); RocksDB is
  // closed and reopened.
  Status Reopen() {
    store_.reset();
    if (kind_ != EngineKind::kMemory) engine_.reset();
    return Open();
  }

  LogStore& store() { return *store_; }
  Engine& engine() { return *engine_; }

 private:
  EngineKind kind_;
  LogStoreOptions opts_;
  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<LogStore> store_;
};

inline std::vector<raft::Entry> MakeEntries(uint64_t lo, uint64_t hi, uint64_t term,
                                            const std::string& tag = "e") {
  std::vector<raft::Entry> out;
  for (uint64_t i = lo; i <= hi; ++i) {
    out.push_back(
        raft::Entry{Term(term), LogIndex(i), raft::EntryType::kNormal, tag + std::to_string(i)});
  }
  return out;
}

}  // namespace tessera::storage::testing

// The in-memory engine: for unit tests and the deterministic simulator (shared/architecture.md,
// testing tier 3). Data lives in one persistent tree per Cf (memory_tree.h); nothing is written
// to disk except by Export and Checkpoint.
//
// Semantics are those of engine.h with these notes:
//   - There is no stable storage: the data lives as long as the Engine object. For crash
//     simulation, MemoryEngineOptions::track_durable_state makes the engine remember its state as
//     of the last durable write (see CrashLoseUnsynced); otherwise WriteOptions::sync has no
//     effect.
//   - Snapshots cost O(1) and never block writers; writers are serialized by one mutex and publish
//     each batch by swapping the roots, so a batch is visible whole or not at all.
//   - ApproximateRange is exact and O(log n); SplitKey is the exact byte middle, O(log n).
//   - Export writes the Tessera export format (export_file.h). Checkpoint writes one export
//     file set per Cf plus a MANIFEST into the directory; OpenMemoryEngineCheckpoint loads it.
//   - Behaviour is a deterministic function of the sequence of calls (no clocks, no randomness).
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "storage/engine.h"

namespace tessera::storage {

struct MemoryEngineOptions {
  // Remember the state as of the last durable write, so that CrashLoseUnsynced can revert to it
  // (the deterministic simulator's machine crash). Durable, as in RocksDB with its WAL: a Write
  // with WriteOptions::sync == true makes itself and every earlier write durable; Ingest and
  // opening the engine are durable too. Costs one pointer per engine, but it pins the tree nodes
  // that unsynced writes replaced until the next sync. Default: false.
  bool track_durable_state = false;
};

// A new, empty memory engine (with the format version recorded in Cf::kMeta).
Result<std::unique_ptr<Engine>> OpenMemoryEngine(const MemoryEngineOptions& opts = {});

// A memory engine holding the content of a checkpoint written by a memory engine's Checkpoint.
// Corruption if the checkpoint is incomplete or any of its files fails verification.
Result<std::unique_ptr<Engine>> OpenMemoryEngineCheckpoint(const std::string& dir,
                                                           const MemoryEngineOptions& opts = {});

// Simulates a machine crash of a memory engine: reverts `engine` to its state as of the last
// durable write (see MemoryEngineOptions::track_durable_state), discarding every later unsynced
// write, whole batches only. O(1). InvalidArgument if `engine` is not a memory engine opened with
// track_durable_state.
// REQUIRES: no Snapshot or Iterator of the engine is alive (the process that held them crashed);
// no concurrent writer.
Status CrashLoseUnsynced(Engine* engine);

}  // namespace tessera::storage

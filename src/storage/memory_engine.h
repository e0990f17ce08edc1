// The in-memory engine: for unit tests and the deterministic simulator (shared/architecture.md,
// testing tier 3). Data lives in one persistent tree per Cf (memory_tree.h); nothing is written
// to disk except by Export and Checkpoint.
//
// Semantics are those of engine.h with these notes:
//   - WriteOptions::sync has no effect: there is no stable storage; the data lives as long as the
//     Engine object.
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
  // No options yet; the struct keeps the Open signatures uniform and leaves room for fault
  // injection (e.g. dropping unsynced writes at a simulated crash).
};

// A new, empty memory engine (with the format version recorded in Cf::kMeta).
Result<std::unique_ptr<Engine>> OpenMemoryEngine(const MemoryEngineOptions& opts = {});

// A memory engine holding the content of a checkpoint written by a memory engine's Checkpoint.
// Corruption if the checkpoint is incomplete or any of its files fails verification.
Result<std::unique_ptr<Engine>> OpenMemoryEngineCheckpoint(const std::string& dir,
                                                           const MemoryEngineOptions& opts = {});

}  // namespace tessera::storage

// The workload of the raft log crash test, shared by the child that runs it
// (raft_log_crash_child.cc) and the parent that kills the child and checks the result
// (raft_log_crash_test.cc).
//
// Round r is one LogWriteBatch written with sync: for every shard 1..kCrashShards, entry r
// (term 1) with CrashPayload(r, shard), and hard state commit = r; every kCompactEvery rounds
// also a compaction of every shard to r - kCompactKeep. So a batch is all-or-nothing exactly when
// every shard has the same last index, commit and first index after a crash.
#pragma once

#include <cstdint>
#include <string>

#include "common/checksum.h"
#include "storage/raft_log_batch.h"

namespace tessera::storage::crash {

inline constexpr uint64_t kCrashShards = 16;
inline constexpr uint64_t kCompactEvery = 16;
inline constexpr uint64_t kCompactKeep = 8;

// Deterministic, of varied size (0 to ~1.5 KiB), so that batches span WAL blocks.
inline std::string CrashPayload(uint64_t round, uint64_t shard) {
  std::string p = "round " + std::to_string(round) + " shard " + std::to_string(shard) + " ";
  const std::string seed = p;
  p.append(Checksum64(seed) % 1500, static_cast<char>('a' + (round + shard) % 26));
  return p;
}

inline LogWriteBatch CrashRound(uint64_t round) {
  LogWriteBatch b;
  for (uint64_t s = 1; s <= kCrashShards; ++s) {
    b.Append(ShardId(s), {raft::Entry{Term(1), LogIndex(round), raft::EntryType::kNormal,
                                      CrashPayload(round, s)}});
    b.SetHardState(ShardId(s), raft::HardState{Term(1), NodeId(1), LogIndex(round)});
    if (round % kCompactEvery == 0) b.Compact(ShardId(s), LogIndex(round - kCompactKeep));
  }
  return b;
}

}  // namespace tessera::storage::crash

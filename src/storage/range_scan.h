// Range statistics and split keys computed by scanning an iterator, for engines without a cheaper
// way (LMDB for both; RocksDB for the split key). Internal to storage/.
#pragma once

#include <string>

#include "common/result.h"
#include "storage/engine.h"

namespace tessera::storage {

// Exact bytes (keys plus values) and key count of everything `it` yields from SeekToFirst.
Result<RangeStats> ScanRangeStats(Iterator& it);

// The key that cuts what `it` yields into two halves of about equal bytes; never the first key.
// One pass, memory bounded by kMaxSplitSamples sampled keys: the answer is within about
// 2/kMaxSplitSamples of the total from the exact middle. NotFound for fewer than two keys.
Result<std::string> ScanSplitKey(Iterator& it);
inline constexpr size_t kMaxSplitSamples = 1024;

}  // namespace tessera::storage

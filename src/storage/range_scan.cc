#include "storage/range_scan.h"

#include <cstdint>
#include <vector>

namespace tessera::storage {

Result<RangeStats> ScanRangeStats(Iterator& it) {
  RangeStats stats;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    stats.approximate_bytes += it.key().size() + it.value().size();
    ++stats.approximate_keys;
  }
  TESSERA_RETURN_IF_ERROR(it.status());
  return stats;
}

namespace {

struct Sample {
  uint64_t bytes_before;  // bytes of all keys before this one
  std::string key;
};

}  // namespace

Result<std::string> ScanSplitKey(Iterator& it) {
  // Keep every stride-th key (never the first, index 0); when the samples fill up, keep every
  // other one and double the stride, so memory stays bounded whatever the range holds.
  std::vector<Sample> samples;
  samples.reserve(kMaxSplitSamples);
  uint64_t stride = 1;
  uint64_t index = 0;
  uint64_t total = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next(), ++index) {
    if (index > 0 && index % stride == 0) {
      if (samples.size() == kMaxSplitSamples) {
        size_t kept = 0;
        for (size_t i = 1; i < samples.size(); i += 2) samples[kept++] = std::move(samples[i]);
        samples.resize(kept);
        stride *= 2;
      }
      if (index % stride == 0) samples.push_back({total, std::string(it.key())});
    }
    total += it.key().size() + it.value().size();
  }
  TESSERA_RETURN_IF_ERROR(it.status());
  if (samples.empty()) return Status::NotFound("fewer than two keys in the range");
  // The sample whose start is closest to the middle.
  const uint64_t half = total / 2;
  size_t best = 0;
  auto distance = [half](uint64_t b) { return b > half ? b - half : half - b; };
  for (size_t i = 1; i < samples.size(); ++i) {
    if (distance(samples[i].bytes_before) < distance(samples[best].bytes_before)) best = i;
  }
  return std::move(samples[best].key);
}

}  // namespace tessera::storage

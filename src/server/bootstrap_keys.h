// The key layout of a static bootstrap with initial_shards > 1 (docs/configuration.md): shared
// by the server, which creates the shards, and the benchmarks, which address them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace tessera::server {

// The first key of bootstrapped shard i (1-based; shard 1 starts at the beginning of the key
// space): "shard/" + 8 decimal digits of i, so "shard/00000042x" is in shard 42.
inline std::string BootstrapShardStart(uint64_t i) {
  if (i <= 1) return std::string();
  char buf[32];
  std::snprintf(buf, sizeof buf, "shard/%08llu", static_cast<unsigned long long>(i));
  return buf;
}

}  // namespace tessera::server

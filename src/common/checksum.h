// Checksums for stored and transmitted records (xxHash's XXH3).
#pragma once

#include <cstdint>
#include <string_view>

namespace tessera {

// 64-bit XXH3 of data, with an optional seed.
uint64_t Checksum64(std::string_view data, uint64_t seed = 0);

// The low 32 bits of Checksum64, for record headers where 4 bytes suffice.
uint32_t Checksum32(std::string_view data);

// Incremental XXH3-64 over several pieces; equal to Checksum64 of their concatenation.
class Checksummer {
 public:
  Checksummer();
  ~Checksummer();
  Checksummer(const Checksummer&) = delete;
  Checksummer& operator=(const Checksummer&) = delete;
  void Update(std::string_view data);
  uint64_t Digest() const;

 private:
  void* state_;  // XXH3_state_t, kept opaque so that xxhash.h stays out of this header
};

}  // namespace tessera

// How Redis keys and string values are laid out in the key-value store (docs/redis.md, "Format").
//
// Keys. Redis keys live in their own namespace of the store's key space:
//
//   store key = 0xFF 'r' <redis key bytes>
//
// Native keys starting with 0xFF are reserved for front doors (0xFF 'r' for Redis); a native
// client that writes there corrupts the Redis view. Store keys are at most 511 bytes
// (storage::kMaxKeyBytes, the LMDB bound), so a Redis key is at most 509 bytes.
//
// Values. A stored value is a small header followed by the payload (the Redis string):
//
//   byte 0       format tag
//                  0x01  string, no expiry:   [0x01] <payload>
//                  0x02  string with expiry:  [0x02] <expire_at_ms: fixed64 LE, > 0> <payload>
//                  any other tag is reserved (future versions, other data types) and decodes as
//                  corrupt: this version never misreads a newer format as a string.
//
// expire_at_ms is absolute: milliseconds since the Unix epoch, compared with Backend::NowMs().
// A value whose expiry is <= now is treated as absent by every command.
//
// Decoding never crashes: malformed bytes yield Status::Corruption.
// Thread safety: free functions on values; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tessera::redis {

// The prefix of every Redis key in the store.
inline constexpr std::string_view kKeyPrefix =
    "\xff"
    "r";
// The first store key after the namespace (exclusive end of a scan of the whole namespace).
inline constexpr std::string_view kKeyPrefixEnd =
    "\xff"
    "s";
// Longest store key (storage::kMaxKeyBytes, not included to keep this module free of storage/).
inline constexpr size_t kMaxStoreKeyBytes = 511;
inline constexpr size_t kMaxRedisKeyBytes = kMaxStoreKeyBytes - kKeyPrefix.size();
// Longest Redis string value: well under a Raft command's 8 MiB (multiraft/options.h
// max_command_bytes), with room for the header and the rest of the command.
inline constexpr size_t kMaxValueBytes = 4ull << 20;

inline constexpr char kTagString = 0x01;
inline constexpr char kTagStringWithExpiry = 0x02;
inline constexpr size_t kMaxValueHeaderBytes = 9;

// REQUIRES: redis_key.size() <= kMaxRedisKeyBytes.
std::string EncodeKey(std::string_view redis_key);
// The Redis key of a store key; false when store_key lies outside the namespace.
bool DecodeKey(std::string_view store_key, std::string_view* redis_key);

// A decoded string value. `payload` points into the buffer passed to DecodeValue.
struct DecodedValue {
  int64_t expire_at_ms = 0;  // 0: no expiry
  std::string_view payload;

  bool ExpiredAt(int64_t now_ms) const { return expire_at_ms != 0 && expire_at_ms <= now_ms; }
};

// REQUIRES: payload.size() <= kMaxValueBytes, expire_at_ms >= 0 (0: no expiry).
std::string EncodeValue(std::string_view payload, int64_t expire_at_ms);
// Corruption when `stored` is empty, has an unknown tag, a truncated header or an expiry <= 0.
Status DecodeValue(std::string_view stored, DecodedValue* out);

}  // namespace tessera::redis

// Backend: what the Redis front door needs from the key-value store, and nothing more.
//
// The front door (src/redis/) turns RESP commands into these calls; the server wires it to the
// C++ client library (src/client/, routed to each key's shard leader), the tests to an in-memory
// twin (MemoryBackend). Keys and values are raw bytes of the *store*: the front door's own key
// namespace and value header (docs/redis.md) are applied above this interface.
//
// Outcomes: OK, InvalidArgument (oversized key or value), Unavailable (no route in time), Timeout
// (a write's outcome is unknown: it may have applied). Every call is linearizable.
//
// Thread safety: implementations are safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tessera::redis {

struct KvPair {
  std::string key;
  std::string value;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // *value = the key's value, or nullopt when absent.
  virtual Status Get(std::string_view key, std::optional<std::string>* value) = 0;
  // values->at(i) answers keys[i].
  virtual Status BatchGet(const std::vector<std::string>& keys,
                          std::vector<std::optional<std::string>>* values) = 0;
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  // Atomic per shard only: pairs in different shards are written shard by shard.
  virtual Status BatchPut(const std::vector<KvPair>& pairs) = 0;
  virtual Status Delete(std::string_view key) = 0;
  // Atomic on one key: when the key's value equals `expected` (nullopt: the key is absent), set
  // it to `desired` (nullopt: delete it) and set *succeeded. *previous = the value before.
  virtual Status CompareAndSwap(std::string_view key, const std::optional<std::string>& expected,
                                const std::optional<std::string>& desired, bool* succeeded,
                                std::optional<std::string>* previous) = 0;
  // Up to `limit` pairs with start <= key < end (end empty: to the end of the key space), in
  // ascending key order. keys_only: values are left empty.
  virtual Status Scan(std::string_view start, std::string_view end, size_t limit, bool keys_only,
                      std::vector<KvPair>* out) = 0;
  // Milliseconds since the Unix epoch (a test twin controls it).
  virtual int64_t NowMs() = 0;
};

}  // namespace tessera::redis

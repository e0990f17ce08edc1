// Walking the Redis key namespace in store-key order: ranges for glob patterns, resuming after a
// key, and the expired-key sweeper.
//
// Every walk reads in pages of at most kScanPageKeys pairs, so memory stays bounded by a page
// plus what the caller keeps.
// Thread safety: free functions; the Backend is thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"
#include "redis/backend.h"

namespace tessera::redis {

inline constexpr size_t kScanPageKeys = 256;

// The store-key range [*lo, *hi) holding every key that can match `pattern` (narrowed by the
// pattern's literal prefix). Returns false when no key can match (prefix longer than any key).
bool PatternRange(std::string_view pattern, std::string* lo, std::string* hi);

// The smallest store key after `key` that the store accepts (at most kMaxStoreKeyBytes long).
// Returns false when there is none.
bool KeyAfter(std::string_view key, std::string* next);

// Counts the keys of the namespace (expired ones not yet swept included). With `expires`, also
// counts those that carry an expiry (this reads the values too). O(keys).
Status CountKeys(Backend* backend, int64_t* keys, int64_t* expires);

struct SweepResult {
  size_t examined = 0;       // keys read
  size_t deleted = 0;        // expired keys deleted
  std::string resume_after;  // last store key examined; empty when the namespace's end was reached
};

// Background expiry: examines up to max_keys keys of the Redis namespace after `resume_after`
// (empty: from the start) and deletes the expired ones, each by CompareAndSwap from the exact
// bytes read, so that a key rewritten meanwhile is kept. Corrupt values are left alone (a client
// can DEL them). Call it again with result->resume_after to continue; an empty resume_after
// means the sweep wrapped around. REQUIRES: max_keys > 0.
Status SweepExpired(Backend* backend, size_t max_keys, std::string_view resume_after,
                    SweepResult* result);

}  // namespace tessera::redis

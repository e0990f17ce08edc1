// TimestampBatcher: single timestamps for many threads, fetched from PD in batches. A caller that
// arrives while a request is in flight waits for the next one, which asks PD for every waiting
// caller at once (as TiKV's PD client does), so the number of round trips stays flat however
// many threads ask.
//
// Contract: every timestamp returned is unique and comes from PD's oracle (strictly increasing
// across PD leader changes); timestamps returned to one thread increase. A failed request fails
// every caller of its batch with PD's error (the PD client has already retried within its
// deadline).
//
// Thread-safe. `client` is not owned and must outlive the batcher.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "common/result.h"
#include "pd/pd_client.h"

namespace tessera::pd {

class TimestampBatcher {
 public:
  // `max_batch`: timestamps asked for in one request, 1..kMaxLogical (PD's limit per request).
  explicit TimestampBatcher(PdClient* client, uint32_t max_batch = 4096);

  Result<uint64_t> Get();

  // Requests sent to PD so far (for tests and benchmarks).
  uint64_t requests() const;

 private:
  struct Waiter {
    std::optional<Result<uint64_t>> result;
  };

  PdClient* const client_;
  const uint32_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Waiter*> waiting_;  // callers not yet in a request
  bool in_flight_ = false;       // a caller is fetching a batch
  uint64_t requests_ = 0;
};

}  // namespace tessera::pd

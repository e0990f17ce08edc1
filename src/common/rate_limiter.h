// RateLimiter: a token bucket that paces a byte stream (snapshot sends) to a rate, against an
// injected Clock (shared/style.md, item 7) so that tests can drive it with a SimClock and never
// sleep.
//
// The bucket holds at most `burst_bytes` tokens and refills at `bytes_per_sec`. Reserve(n) takes
// n tokens at once, letting the bucket go into debt, and returns how long the caller must wait
// before it may use the bytes: the time until the debt is repaid. Because a reservation is never
// refused, a request larger than the burst is simply paced, and several threads sharing one
// limiter are served in the order they reserve, their waits adding up to the rate.
//
// The limiter never sleeps itself: callers wait as they see fit (the snapshot sender waits on a
// condition variable it can interrupt at shutdown; tests advance a SimClock).
//
// Thread safety: all methods are thread-safe.
#pragma once

#include <cstdint>
#include <mutex>

#include "common/clock.h"

namespace tessera {

class RateLimiter {
 public:
  // REQUIRES: bytes_per_sec > 0, burst_bytes > 0; `clock` outlives the limiter.
  // The bucket starts full.
  RateLimiter(uint64_t bytes_per_sec, uint64_t burst_bytes, const Clock* clock);

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes `bytes` tokens and returns the nanoseconds the caller must wait, from now, before
  // using them (0 when the bucket covered them).
  int64_t Reserve(uint64_t bytes);

  uint64_t bytes_per_sec() const { return bytes_per_sec_; }
  uint64_t burst_bytes() const { return burst_bytes_; }

 private:
  // Adds the tokens earned since last_refill_nanos_. REQUIRES: mu_ held.
  void Refill(int64_t now);

  const uint64_t bytes_per_sec_;
  const uint64_t burst_bytes_;
  const Clock* const clock_;

  std::mutex mu_;
  // Tokens available; negative while in debt. Guarded by mu_.
  int64_t tokens_;
  // The clock time up to which tokens have been credited. Guarded by mu_.
  int64_t last_refill_nanos_;
};

}  // namespace tessera

#include "common/rate_limiter.h"

#include <algorithm>
#include <limits>

#include "common/assert.h"

namespace tessera {
namespace {

constexpr int64_t kNanosPerSec = 1'000'000'000;
// 128-bit intermediates: elapsed nanoseconds times a rate in bytes per second overflows 64 bits
// after a few seconds at high rates. (__extension__: a GCC/Clang type, accepted under -Wpedantic.)
__extension__ typedef unsigned __int128 u128;

}  // namespace

RateLimiter::RateLimiter(uint64_t bytes_per_sec, uint64_t burst_bytes, const Clock* clock)
    : bytes_per_sec_(bytes_per_sec),
      burst_bytes_(burst_bytes),
      clock_(clock),
      tokens_(static_cast<int64_t>(burst_bytes)),
      last_refill_nanos_(clock->NowNanos()) {
  TESSERA_ASSERT(bytes_per_sec_ > 0, "a rate limiter needs a positive rate");
  TESSERA_ASSERT(burst_bytes_ > 0 && burst_bytes_ <= (uint64_t{1} << 62), "burst out of range");
}

void RateLimiter::Refill(int64_t now) {
  if (now <= last_refill_nanos_) return;
  const int64_t cap = static_cast<int64_t>(burst_bytes_);
  const u128 elapsed = static_cast<u128>(now - last_refill_nanos_);
  const u128 earned = elapsed * bytes_per_sec_ / kNanosPerSec;
  if (earned == 0) return;  // keep the fraction of a byte for the next call
  if (earned >= static_cast<u128>(cap - tokens_)) {
    tokens_ = cap;
    last_refill_nanos_ = now;
    return;
  }
  tokens_ += static_cast<int64_t>(earned);
  // Credit only the time the whole bytes took, so that no fraction of a byte is lost.
  last_refill_nanos_ +=
      static_cast<int64_t>((earned * kNanosPerSec + bytes_per_sec_ - 1) / bytes_per_sec_);
  last_refill_nanos_ = std::min(last_refill_nanos_, now);
}

int64_t RateLimiter::Reserve(uint64_t bytes) {
  TESSERA_ASSERT(bytes <= (uint64_t{1} << 62), "reservation out of range");
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_->NowNanos();
  Refill(now);
  tokens_ -= static_cast<int64_t>(bytes);
  if (tokens_ >= 0) return 0;
  // The debt is repaid when the refill since last_refill_nanos_ covers it.
  const u128 debt = static_cast<u128>(-tokens_);
  const u128 repay_nanos = (debt * kNanosPerSec + bytes_per_sec_ - 1) / bytes_per_sec_;
  const u128 ready = static_cast<u128>(last_refill_nanos_) + repay_nanos;
  const u128 wait = ready > static_cast<u128>(now) ? ready - static_cast<u128>(now) : 0;
  return static_cast<int64_t>(
      std::min<u128>(wait, static_cast<u128>(std::numeric_limits<int64_t>::max())));
}

}  // namespace tessera

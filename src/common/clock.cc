#include "common/clock.h"

#include "common/assert.h"

namespace tessera {

int64_t SystemClock::NowNanos() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t SystemClock::WallMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SystemClock* SystemClock::Default() {
  static SystemClock clock;
  return &clock;
}

void SimClock::Advance(int64_t delta_nanos) {
  TESSERA_ASSERT(delta_nanos >= 0, "a clock never goes backwards");
  now_.fetch_add(delta_nanos, std::memory_order_acq_rel);
}

}  // namespace tessera

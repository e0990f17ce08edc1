// Clock: where time comes from, behind a narrow interface with an in-memory twin
// (shared/style.md, item 7). The Raft core never reads a clock: it counts ticks that the
// concurrency shell derives from a Clock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tessera {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time in nanoseconds since an unspecified origin. Never goes backwards.
  virtual int64_t NowNanos() const = 0;
  // Wall-clock time in microseconds since the Unix epoch (for logs and timestamps only).
  virtual int64_t WallMicros() const = 0;
};

// The real clock (steady_clock and system_clock). Thread-safe.
class SystemClock final : public Clock {
 public:
  int64_t NowNanos() const override;
  int64_t WallMicros() const override;
  // A process-wide instance.
  static SystemClock* Default();
};

// A simulated clock that moves only when told to. Thread-safe.
class SimClock final : public Clock {
 public:
  explicit SimClock(int64_t start_nanos = 0) : now_(start_nanos) {}
  int64_t NowNanos() const override { return now_.load(std::memory_order_acquire); }
  int64_t WallMicros() const override { return NowNanos() / 1000; }
  // REQUIRES: delta_nanos >= 0.
  void Advance(int64_t delta_nanos);

 private:
  std::atomic<int64_t> now_;
};

}  // namespace tessera

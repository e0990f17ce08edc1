#include "pd/tso.h"

#include <algorithm>

#include "common/assert.h"

namespace tessera::pd {

int64_t TimestampWindow::Start(int64_t now_ms, int64_t saved_end_ms, int64_t window_ms) {
  TESSERA_CHECK(window_ms > 0);
  // Every timestamp handed out so far had a physical part below saved_end_ms.
  physical_ms_ = std::max(now_ms, saved_end_ms);
  logical_ = 0;
  window_end_ms_ = 0;
  return physical_ms_ + window_ms;
}

void TimestampWindow::Persisted(int64_t end_ms) {
  TESSERA_CHECK(end_ms > physical_ms_);
  window_end_ms_ = std::max(window_end_ms_, end_ms);
}

std::optional<uint64_t> TimestampWindow::Allocate(uint32_t count, int64_t now_ms) {
  TESSERA_CHECK(count >= 1 && count <= kMaxLogical);
  if (!started()) return std::nullopt;
  if (now_ms > physical_ms_) {
    // Never ahead of a durable window: a clock jump waits for the window to grow.
    if (now_ms >= window_end_ms_) return std::nullopt;
    physical_ms_ = now_ms;
    logical_ = 0;
  }
  if (logical_ + count > kMaxLogical) {
    // This millisecond is used up: borrow the next one.
    if (physical_ms_ + 1 >= window_end_ms_) return std::nullopt;
    ++physical_ms_;
    logical_ = 0;
  }
  const uint64_t first = ComposeTimestamp(physical_ms_, logical_);
  logical_ += count;
  return first;
}

std::optional<int64_t> TimestampWindow::Extend(int64_t now_ms, int64_t window_ms) const {
  if (!started()) return std::nullopt;
  const int64_t base = std::max(now_ms, physical_ms_);
  if (window_end_ms_ - base > window_ms / 2) return std::nullopt;
  return base + window_ms;
}

}  // namespace tessera::pd

// The timestamp oracle's arithmetic (no I/O, no clock: both come in as arguments).
//
// A timestamp is (physical milliseconds << kLogicalBits) | logical. The leader hands out
// timestamps below a persisted window end: every physical part it uses is < window_end_ms, and it
// persists a larger window end (a Raft write) before going past it. A new leader starts at the
// persisted window end, so its timestamps are larger than any its predecessors handed out, even
// when its clock is behind theirs (Percolator's oracle; TiKV's PD).
#pragma once

#include <cstdint>
#include <optional>

namespace tessera::pd {

inline constexpr int kLogicalBits = 18;
inline constexpr uint64_t kMaxLogical = uint64_t{1} << kLogicalBits;

inline constexpr uint64_t ComposeTimestamp(int64_t physical_ms, uint64_t logical) {
  return (static_cast<uint64_t>(physical_ms) << kLogicalBits) | logical;
}
inline constexpr int64_t TimestampPhysicalMs(uint64_t ts) {
  return static_cast<int64_t>(ts >> kLogicalBits);
}

class TimestampWindow {
 public:
  // A leader taking over: `saved_end_ms` is the persisted window end (0: none yet). Returns the
  // window end to persist; nothing may be allocated until Persisted() confirms it.
  int64_t Start(int64_t now_ms, int64_t saved_end_ms, int64_t window_ms);
  // The window end is durable.
  void Persisted(int64_t end_ms);

  // `count` consecutive timestamps (1..kMaxLogical): the first, or nullopt when the window must
  // grow first (then call Extend and persist).
  std::optional<uint64_t> Allocate(uint32_t count, int64_t now_ms);
  // The window end to persist when less than half a window is left (or the clock ran past it),
  // else nullopt.
  std::optional<int64_t> Extend(int64_t now_ms, int64_t window_ms) const;

  bool started() const { return window_end_ms_ > 0; }
  int64_t window_end_ms() const { return window_end_ms_; }

 private:
  int64_t physical_ms_ = 0;
  uint64_t logical_ = 0;
  int64_t window_end_ms_ = 0;  // persisted; 0: not started
};

}  // namespace tessera::pd

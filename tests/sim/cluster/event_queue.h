// EventQueue: the simulator's agenda of future events, ordered by (time, sequence number) so
// that events due at the same instant run in the order they were scheduled. One thread; no
// clock of its own (the simulator owns the SimClock and asks for the next due time).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>

#include "common/assert.h"

namespace tessera::sim {

class EventQueue {
 public:
  using Fn = std::function<void()>;

  // Schedules `fn` to run at `at_nanos` (simulated time).
  void At(int64_t at_nanos, Fn fn) { events_.emplace(Key{at_nanos, next_seq_++}, std::move(fn)); }

  bool empty() const { return events_.empty(); }
  size_t size() const { return events_.size(); }
  // REQUIRES: !empty().
  int64_t next_time() const {
    TESSERA_ASSERT(!events_.empty(), "next_time of an empty event queue");
    return events_.begin()->first.first;
  }

  // Runs the earliest event if it is due at `now_nanos`; false if none is due. The event may
  // schedule more events (also due now: they run after it).
  bool RunOne(int64_t now_nanos) {
    if (events_.empty() || events_.begin()->first.first > now_nanos) return false;
    Fn fn = std::move(events_.begin()->second);
    events_.erase(events_.begin());
    fn();
    return true;
  }

 private:
  using Key = std::pair<int64_t, uint64_t>;  // (time, sequence)
  std::map<Key, Fn> events_;
  uint64_t next_seq_ = 0;
};

}  // namespace tessera::sim

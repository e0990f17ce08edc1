// The model-agnostic core of the linearizability checker: the Wing & Gong / Lowe backtracking
// search with Porcupine's entry list and memoization, over opaque state ids.
//
// Internal to check/; use check/linearizability.h. The search never sees model states: a
// StepOracle interns them and hands out small integer ids, so that the memo table compares
// (bitset, id) pairs instead of states.
//
// Thread safety: Search is a pure function of its arguments plus the oracle; distinct calls with
// distinct oracles may run concurrently.
#pragma once

#include <cstdint>
#include <vector>

#include "common/clock.h"

namespace tessera::check::detail {

// Steps a model over interned states. Operations are numbered 0..n-1 within one search.
class StepOracle {
 public:
  virtual ~StepOracle() = default;
  // The id of the state after applying operation `op` in state `state`, or -1 if the
  // operation's observed output is not legal from that state.
  virtual int64_t Step(uint32_t state, uint32_t op) = 0;
};

struct OpTimes {
  int64_t call;
  int64_t ret;  // kNever (INT64_MAX) for an operation that never returned
};

struct SearchLimits {
  const Clock* clock = nullptr;            // REQUIRES: non-null
  int64_t deadline_nanos = INT64_MAX;      // absolute, on clock->NowNanos(); INT64_MAX: none
  uint64_t max_memo_entries = UINT64_MAX;  // beyond this many memoized configurations: unknown
};

enum class SearchVerdict : uint8_t { kLinearizable, kNotLinearizable, kUnknown };

struct SearchOutcome {
  SearchVerdict verdict = SearchVerdict::kUnknown;
  // kLinearizable: a complete linearization (operation numbers in order). Otherwise the longest
  // legal prefix of a linearization that the search reached.
  std::vector<uint32_t> prefix;
  uint32_t prefix_state = 0;  // the state id after `prefix`
  // kNotLinearizable: the operations that could have come next after `prefix` (invoked before the
  // earliest response among the remaining operations); none is legal from prefix_state.
  std::vector<uint32_t> stuck;
  uint64_t steps = 0;         // oracle calls
  uint64_t memo_entries = 0;  // distinct configurations visited
};

// Searches for a linearization of operations with the given times, starting from `init_state`.
// Calls and returns at equal times count as concurrent (calls sort first).
// REQUIRES: ops.size() < 2^30; for each op, call <= ret; limits.clock != nullptr.
SearchOutcome Search(const std::vector<OpTimes>& ops, uint32_t init_state, StepOracle& oracle,
                     const SearchLimits& limits);

}  // namespace tessera::check::detail

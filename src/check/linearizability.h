// Linearizability checking of recorded histories against a sequential model.
//
// A history is linearizable if each operation can be assigned one instant between its call and
// its return such that, taken in the order of those instants, the operations are a legal run of
// the model from its initial state (Herlihy & Wing, 1990). An indeterminate operation (returning
// at kNever) may take effect at any instant after its call or not at all (check/history.h).
//
// The search is Wing & Gong's, with Lowe's memoization of (linearized set, state), as Porcupine
// implements it (see check/search.cc). When the model is a PartitionedModel, the history is split
// by key and each key is searched alone (P-compositionality, check/model.h). The problem is
// NP-complete; a deadline or a memory bound turns a search that runs too long into
// Verdict::kUnknown rather than a hang.
//
// Thread safety: CheckLinearizable is a pure function of its arguments (and the clock); concurrent
// calls are safe if the model's const methods are.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "check/history.h"
#include "check/model.h"
#include "check/search.h"
#include "common/clock.h"
#include "common/result.h"

namespace tessera::check {

enum class Verdict : uint8_t { kLinearizable, kNotLinearizable, kUnknown };

// "linearizable", "not linearizable", "unknown".
std::string_view VerdictName(Verdict verdict);

struct CheckOptions {
  // Budget for the whole check, all partitions together, in nanoseconds of `clock`. When it runs
  // out, partitions not yet decided are unknown. 0 means no limit. Default: 0.
  int64_t timeout_nanos = 0;
  // Bound on the configurations memoized per partition (each costs about 8 bytes per 64
  // operations, plus 16). Beyond it the partition is unknown. Default: 2^24.
  uint64_t max_memo_entries = uint64_t{1} << 24;
  // The clock the timeout is measured on; not owned. Default: nullptr, meaning
  // SystemClock::Default().
  const Clock* clock = nullptr;
};

// Why a history is not linearizable: the deepest point the search reached in one failing key.
struct Counterexample {
  std::string partition_key;  // empty for an unpartitioned model
  // Indexes into the history, in order: the longest legal linearization prefix found.
  std::vector<size_t> longest_prefix;
  std::string state_after_prefix;  // the model's DescribeState
  // Indexes of the operations that could have been linearized next (invoked before the earliest
  // response among the rest); none of them is legal in state_after_prefix.
  std::vector<size_t> stuck;
};

struct CheckResult {
  Verdict verdict = Verdict::kUnknown;
  size_t partitions = 0;      // partitions in the history (1 for an unpartitioned model)
  uint64_t steps = 0;         // model steps taken, all partitions
  uint64_t memo_entries = 0;  // configurations visited, all partitions
  // Set iff verdict == kNotLinearizable.
  std::optional<Counterexample> counterexample;
  // Set iff verdict == kLinearizable: for each partition, a linearization (history indexes).
  std::vector<std::vector<size_t>> linearizations;
};

// Checks `history` against `model`. InvalidArgument if the history's times are malformed
// (ValidateHistory); otherwise a verdict.
template <Model M>
Result<CheckResult> CheckLinearizable(const M& model, const HistoryOf<M>& history,
                                      const CheckOptions& options = {});

// A multi-line report of a kNotLinearizable result: the failing key, the prefix and the stuck
// operations with their clients, times, inputs and outputs. Empty for other verdicts.
template <Model M>
std::string DescribeCounterexample(const M& model, const HistoryOf<M>& history,
                                   const CheckResult& result);

// ---------------------------------------------------------------------------------------------
// Implementation.

namespace detail {

// Interns a model's states as small ids for the search. One per partition search.
template <Model M>
class InterningOracle final : public StepOracle {
 public:
  InterningOracle(const M& model, const HistoryOf<M>& history, const std::vector<size_t>& ops)
      : model_(model), history_(history), ops_(ops), ids_(16, Hasher{&model}) {}

  uint32_t Intern(typename M::State state) {
    auto [it, inserted] = ids_.try_emplace(state, static_cast<uint32_t>(states_.size()));
    if (inserted) states_.push_back(std::move(state));
    return it->second;
  }

  int64_t Step(uint32_t state, uint32_t op) override {
    const auto& o = history_[ops_[op]];
    StepResult<typename M::State> r = model_.Step(states_[state], o.input, o.output);
    if (!r.legal) return -1;
    return Intern(std::move(r.next));
  }

  const typename M::State& state(uint32_t id) const { return states_[id]; }

 private:
  struct Hasher {
    const M* model;
    size_t operator()(const typename M::State& s) const { return model->Hash(s); }
  };

  const M& model_;
  const HistoryOf<M>& history_;
  const std::vector<size_t>& ops_;  // partition op number -> history index
  std::vector<typename M::State> states_;
  std::unordered_map<typename M::State, uint32_t, Hasher> ids_;
};

struct Partition {
  std::string key;
  std::vector<size_t> ops;  // history indexes, in history order
};

// Groups operation indexes by key (std::map: partitions in key order, deterministically).
template <Model M>
std::vector<Partition> PartitionHistory(const M& model, const HistoryOf<M>& history) {
  if constexpr (PartitionedModel<M>) {
    std::map<std::string, std::vector<size_t>> by_key;
    for (size_t i = 0; i < history.size(); ++i) {
      by_key[std::string(model.PartitionKey(history[i].input))].push_back(i);
    }
    std::vector<Partition> parts;
    for (auto& [key, ops] : by_key) parts.push_back({key, std::move(ops)});
    return parts;
  } else {
    Partition all;
    all.ops.resize(history.size());
    for (size_t i = 0; i < history.size(); ++i) all.ops[i] = i;
    return {std::move(all)};
  }
}

// Folds one partition's search outcome into the result (non-template part, linearizability.cc).
// Returns true if the check can stop (the history is not linearizable).
bool Accumulate(const Partition& part, const SearchOutcome& outcome, std::string state_after,
                CheckResult* result);

SearchLimits MakeLimits(const CheckOptions& options);

template <typename Operation>
std::vector<OpTimes> TimesOf(const std::vector<Operation>& history,
                             const std::vector<size_t>& ops) {
  std::vector<OpTimes> times;
  times.reserve(ops.size());
  for (size_t i : ops) times.push_back({history[i].call, history[i].ret});
  return times;
}

std::string DescribeOperation(size_t index, int64_t client, int64_t call, int64_t ret,
                              const std::string& what);
std::string DescribeCounterexampleHeader(const Counterexample& cx);

}  // namespace detail

template <Model M>
Result<CheckResult> CheckLinearizable(const M& model, const HistoryOf<M>& history,
                                      const CheckOptions& options) {
  TESSERA_RETURN_IF_ERROR(ValidateHistory(history));
  const detail::SearchLimits limits = detail::MakeLimits(options);
  CheckResult result;
  result.verdict = Verdict::kLinearizable;
  const std::vector<detail::Partition> parts = detail::PartitionHistory(model, history);
  result.partitions = parts.size();
  for (const detail::Partition& part : parts) {
    detail::InterningOracle<M> oracle(model, history, part.ops);
    const uint32_t init = oracle.Intern(model.Init());
    const detail::SearchOutcome outcome =
        detail::Search(detail::TimesOf(history, part.ops), init, oracle, limits);
    std::string state_after = model.DescribeState(oracle.state(outcome.prefix_state));
    if (detail::Accumulate(part, outcome, std::move(state_after), &result)) break;
  }
  return result;
}

template <Model M>
std::string DescribeCounterexample(const M& model, const HistoryOf<M>& history,
                                   const CheckResult& result) {
  if (!result.counterexample) return {};
  const Counterexample& cx = *result.counterexample;
  std::string out = detail::DescribeCounterexampleHeader(cx);
  auto line = [&](size_t i) {
    const auto& o = history[i];
    return detail::DescribeOperation(i, o.client_id, o.call, o.ret,
                                     model.Describe(o.input, o.output));
  };
  out += "longest linearizable prefix:\n";
  for (size_t i : cx.longest_prefix) out += line(i);
  out += "state after the prefix: " + cx.state_after_prefix + "\n";
  out += "none of these can come next:\n";
  for (size_t i : cx.stuck) out += line(i);
  return out;
}

}  // namespace tessera::check

#include "check/linearizability.h"

#include <fmt/format.h>

#include "common/assert.h"

namespace tessera::check {

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kLinearizable:
      return "linearizable";
    case Verdict::kNotLinearizable:
      return "not linearizable";
    case Verdict::kUnknown:
      return "unknown";
  }
  TESSERA_UNREACHABLE("bad Verdict");
}

namespace detail {
namespace {

std::vector<size_t> ToHistoryIndexes(const Partition& part, const std::vector<uint32_t>& ops) {
  std::vector<size_t> out;
  out.reserve(ops.size());
  for (uint32_t op : ops) out.push_back(part.ops[op]);
  return out;
}

}  // namespace

SearchLimits MakeLimits(const CheckOptions& options) {
  TESSERA_ASSERT(options.timeout_nanos >= 0, "CheckOptions.timeout_nanos must be >= 0");
  SearchLimits limits;
  limits.clock = options.clock != nullptr ? options.clock : SystemClock::Default();
  if (options.timeout_nanos > 0) {
    const int64_t now = limits.clock->NowNanos();
    limits.deadline_nanos =
        options.timeout_nanos > INT64_MAX - now ? INT64_MAX - 1 : now + options.timeout_nanos;
  }
  limits.max_memo_entries = options.max_memo_entries;
  return limits;
}

bool Accumulate(const Partition& part, const SearchOutcome& outcome, std::string state_after,
                CheckResult* result) {
  result->steps += outcome.steps;
  result->memo_entries += outcome.memo_entries;
  switch (outcome.verdict) {
    case SearchVerdict::kLinearizable:
      if (result->verdict == Verdict::kLinearizable) {
        result->linearizations.push_back(ToHistoryIndexes(part, outcome.prefix));
      }
      return false;
    case SearchVerdict::kUnknown:
      result->verdict = Verdict::kUnknown;
      result->linearizations.clear();
      return false;
    case SearchVerdict::kNotLinearizable:
      result->verdict = Verdict::kNotLinearizable;
      result->linearizations.clear();
      result->counterexample =
          Counterexample{part.key, ToHistoryIndexes(part, outcome.prefix), std::move(state_after),
                         ToHistoryIndexes(part, outcome.stuck)};
      return true;
  }
  TESSERA_UNREACHABLE("bad SearchVerdict");
}

std::string DescribeOperation(size_t index, int64_t client, int64_t call, int64_t ret,
                              const std::string& what) {
  const std::string ret_s = ret == kNever ? std::string("never") : std::to_string(ret);
  return fmt::format("  #{} client {} [{}, {}]: {}\n", index, client, call, ret_s, what);
}

std::string DescribeCounterexampleHeader(const Counterexample& cx) {
  if (cx.partition_key.empty()) return "not linearizable\n";
  return fmt::format("not linearizable in key '{}'\n", cx.partition_key);
}

}  // namespace detail
}  // namespace tessera::check

#include "tests/sim/cluster/kv_model.h"

#include <fmt/format.h>

#include "common/assert.h"

namespace tessera::sim {
namespace {

std::string Name(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "nil"; }

}  // namespace

std::string_view KvOpName(KvOp op) {
  switch (op) {
    case KvOp::kGet:
      return "get";
    case KvOp::kPut:
      return "put";
    case KvOp::kDelete:
      return "delete";
    case KvOp::kCas:
      return "cas";
  }
  TESSERA_UNREACHABLE("bad KvOp");
}

check::StepResult<SimKvModel::State> SimKvModel::Step(const State& state, const Input& in,
                                                      const Output& out) const {
  using check::Outcome;
  switch (in.op) {
    case KvOp::kGet:
      return {out.outcome != Outcome::kOk || out.value == state, state};
    case KvOp::kPut:
      return {true, out.outcome == Outcome::kFail ? state : in.value};
    case KvOp::kDelete:
      return {true, out.outcome == Outcome::kFail ? state : std::nullopt};
    case KvOp::kCas: {
      const bool match = state == in.expected;
      const State after = match ? in.value : state;
      switch (out.outcome) {
        case Outcome::kOk:
          return {match, after};
        case Outcome::kFail:
          return {!match && out.value == state, state};
        case Outcome::kUnknown:
          return {true, after};
      }
    }
  }
  TESSERA_UNREACHABLE("bad KvOp");
}

uint64_t SimKvModel::Hash(const State& state) const {
  if (!state) return 0x6e696cULL;
  uint64_t x = static_cast<uint64_t>(*state) + 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string SimKvModel::Describe(const Input& in, const Output& out) const {
  const std::string_view outcome = check::OutcomeName(out.outcome);
  switch (in.op) {
    case KvOp::kGet:
      return out.outcome == check::Outcome::kOk
                 ? fmt::format("{}: get -> {}", in.key, Name(out.value))
                 : fmt::format("{}: get -> {}", in.key, outcome);
    case KvOp::kPut:
      return fmt::format("{}: put {} -> {}", in.key, Name(in.value), outcome);
    case KvOp::kDelete:
      return fmt::format("{}: delete -> {}", in.key, outcome);
    case KvOp::kCas:
      return out.outcome == check::Outcome::kFail
                 ? fmt::format("{}: cas {}->{} -> fail (found {})", in.key, Name(in.expected),
                               Name(in.value), Name(out.value))
                 : fmt::format("{}: cas {}->{} -> {}", in.key, Name(in.expected), Name(in.value),
                               outcome);
  }
  TESSERA_UNREACHABLE("bad KvOp");
}

std::string SimKvModel::DescribeState(const State& state) const { return Name(state); }

}  // namespace tessera::sim

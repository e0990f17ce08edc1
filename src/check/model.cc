#include "check/model.h"

#include <fmt/format.h>

#include "common/assert.h"

namespace tessera::check {
namespace {

// splitmix64 finalizer: a cheap, well-mixed hash for small integers.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string ValueName(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : std::string("nil");
}

std::string DescribeRegister(const RegisterInput& in, const RegisterOutput& out) {
  std::string_view outcome = OutcomeName(out.outcome);
  switch (in.op) {
    case RegisterOp::kRead:
      if (out.outcome == Outcome::kOk) return "read -> " + ValueName(out.value);
      return fmt::format("read -> {}", outcome);
    case RegisterOp::kWrite:
      return fmt::format("write {} -> {}", in.value, outcome);
    case RegisterOp::kCas:
      return fmt::format("cas {}->{} -> {}", in.expected, in.value, outcome);
  }
  TESSERA_UNREACHABLE("bad RegisterOp");
}

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kFail:
      return "fail";
    case Outcome::kUnknown:
      return "unknown";
  }
  TESSERA_UNREACHABLE("bad Outcome");
}

StepResult<RegisterModel::State> RegisterModel::Step(const State& state, const Input& in,
                                                     const Output& out) const {
  switch (in.op) {
    case RegisterOp::kRead:
      return {out.outcome != Outcome::kOk || out.value == state, state};
    case RegisterOp::kWrite:
      if (out.outcome == Outcome::kFail) return {true, state};
      return {true, in.value};
    case RegisterOp::kCas: {
      const bool match = state == in.expected;
      const State after = match ? State(in.value) : state;
      switch (out.outcome) {
        case Outcome::kOk:
          return {match, after};
        case Outcome::kFail:
          return {!match, state};
        case Outcome::kUnknown:
          return {true, after};
      }
    }
  }
  TESSERA_UNREACHABLE("bad RegisterOp");
}

uint64_t RegisterModel::Hash(const State& state) const {
  return state ? Mix(static_cast<uint64_t>(*state)) : 0x6e696cULL;
}

std::string RegisterModel::Describe(const Input& in, const Output& out) const {
  return DescribeRegister(in, out);
}

std::string RegisterModel::DescribeState(const State& state) const { return ValueName(state); }

StepResult<KvModel::State> KvModel::Step(const State& state, const Input& in,
                                         const Output& out) const {
  auto it = state.find(in.key);
  const RegisterModel::State reg =
      it == state.end() ? RegisterModel::State() : RegisterModel::State(it->second);
  const StepResult<RegisterModel::State> r = RegisterModel().Step(reg, in.op, out);
  if (!r.legal) return {false, {}};
  if (r.next == reg) return {true, state};
  State next = state;
  if (r.next) {
    next[in.key] = *r.next;
  } else {
    next.erase(in.key);
  }
  return {true, std::move(next)};
}

uint64_t KvModel::Hash(const State& state) const {
  uint64_t h = Mix(state.size());
  for (const auto& [key, value] : state) {
    h = Mix(h ^ std::hash<std::string>()(key));
    h = Mix(h ^ static_cast<uint64_t>(value));
  }
  return h;
}

std::string KvModel::Describe(const Input& in, const Output& out) const {
  return fmt::format("{}: {}", in.key, DescribeRegister(in.op, out));
}

std::string KvModel::DescribeState(const State& state) const {
  std::string s = "{";
  for (const auto& [key, value] : state) {
    if (s.size() > 1) s += ", ";
    s += fmt::format("{}: {}", key, value);
  }
  return s + "}";
}

}  // namespace tessera::check

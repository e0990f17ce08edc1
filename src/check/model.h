// Sequential specifications for the linearizability checker (check/linearizability.h).
//
// A model is the sequential object that a concurrent history must be explained by: an initial
// state and a step function that, given a state and one operation's input and observed output,
// says whether that output is possible and what the next state is. This is the Model of
// Porcupine (anishathalye/porcupine, model.go) and of Knossos, with the state equality and hash
// that the checker's memoization needs.
//
// Models are small value types with const member functions: they hold no mutable state, so one
// model object may be shared by concurrent checks. States are values (copied by the checker).
#pragma once

#include <concepts>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tessera::check {

// How an operation ended, as the client observed it (the Jepsen vocabulary).
enum class Outcome : uint8_t {
  kOk,       // completed; its effect is certain and its output was observed
  kFail,     // completed; it certainly had no effect (a cas that failed its comparison)
  kUnknown,  // indeterminate ("info"): it may or may not have taken effect, output unobserved
};

std::string_view OutcomeName(Outcome outcome);

// The result of one model step: whether the observed output is legal from the given state, and
// the state after the operation (meaningful only when legal).
template <typename State>
struct StepResult {
  bool legal = false;
  State next;
};

// The interface every model implements. `Describe*` feed the human-readable failure report.
template <typename M>
concept Model = std::copy_constructible<typename M::State> &&
    requires(const M& m, const typename M::State& s, const typename M::Input& in,
             const typename M::Output& out) {
  { m.Init() } -> std::same_as<typename M::State>;
  { m.Step(s, in, out) } -> std::same_as<StepResult<typename M::State>>;
  { m.Hash(s) } -> std::same_as<uint64_t>;
  { s == s } -> std::convertible_to<bool>;
  { m.Describe(in, out) } -> std::same_as<std::string>;
  { m.DescribeState(s) } -> std::same_as<std::string>;
};

// A model whose operations on distinct keys commute and never observe each other, so that a
// history is linearizable iff each per-key sub-history is (P-compositionality, Horn & Kroening,
// "Faster linearizability checking via P-compositionality", 2015). The checker then searches
// each key's sub-history separately, which turns an exponential search into several small ones.
template <typename M>
concept PartitionedModel = Model<M> && requires(const M& m, const typename M::Input& in) {
  { m.PartitionKey(in) } -> std::convertible_to<std::string>;
};

// ---------------------------------------------------------------------------------------------
// A single register of integers, initially nil, with read, write and compare-and-set: the object
// of the Jepsen etcd test (shared/corpus/jepsen-etcd).

enum class RegisterOp : uint8_t { kRead, kWrite, kCas };

struct RegisterInput {
  RegisterOp op = RegisterOp::kRead;
  int64_t value = 0;     // write: the value written; cas: the new value
  int64_t expected = 0;  // cas only: the value compared against
};

struct RegisterOutput {
  Outcome outcome = Outcome::kOk;
  // Read with outcome kOk: the value read, nullopt for nil. Unused otherwise.
  std::optional<int64_t> value;
};

// Step rules (state is the register's value, nullopt = nil):
//   read  ok: legal iff the value read equals the state.      fail/unknown: legal, no change.
//   write ok/unknown: legal, state = value.                    fail: legal, no change.
//   cas   ok: legal iff state == expected; state = value.
//         fail: legal iff state != expected (the comparison failed); no change.
//         unknown: legal; state = value if state == expected.
// An unknown operation thus may take effect; that it may also never take effect is the checker's
// business (it returns at +infinity, see check/history.h).
class RegisterModel {
 public:
  using State = std::optional<int64_t>;
  using Input = RegisterInput;
  using Output = RegisterOutput;

  State Init() const { return std::nullopt; }
  StepResult<State> Step(const State& state, const Input& in, const Output& out) const;
  uint64_t Hash(const State& state) const;
  std::string Describe(const Input& in, const Output& out) const;
  std::string DescribeState(const State& state) const;
};

// ---------------------------------------------------------------------------------------------
// A map of independent registers, partitioned by key: the object of the cluster's register
// workload. Each key behaves as a RegisterModel; absent keys read as nil.

struct KvInput {
  std::string key;
  RegisterInput op;
};
using KvOutput = RegisterOutput;

class KvModel {
 public:
  // Present keys only: a key whose register is nil is absent, so equal maps are equal states.
  using State = std::map<std::string, int64_t>;
  using Input = KvInput;
  using Output = KvOutput;

  State Init() const { return {}; }
  StepResult<State> Step(const State& state, const Input& in, const Output& out) const;
  uint64_t Hash(const State& state) const;
  std::string Describe(const Input& in, const Output& out) const;
  std::string DescribeState(const State& state) const;
  const std::string& PartitionKey(const Input& in) const { return in.key; }
};

static_assert(Model<RegisterModel>);
static_assert(!PartitionedModel<RegisterModel>);
static_assert(PartitionedModel<KvModel>);

}  // namespace tessera::check

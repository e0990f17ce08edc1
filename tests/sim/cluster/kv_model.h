// SimKvModel: the sequential specification the cluster simulator's histories are checked
// against (check/linearizability.h): independent registers of integers, one per key, with get,
// put, delete and compare-and-swap (including "create if absent" and "delete if equal"). Absent
// is nil. Partitioned by key, so the checker searches each key's history alone.
//
// A failed compare-and-swap observed the value it found (multiraft::OpResult::previous); the
// model checks that too, which is stronger than only checking that the comparison failed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "check/history.h"
#include "check/model.h"

namespace tessera::sim {

enum class KvOp : uint8_t { kGet, kPut, kDelete, kCas };
std::string_view KvOpName(KvOp op);

struct KvInput {
  std::string key;
  KvOp op = KvOp::kGet;
  // kPut: the value written. kCas: the value written on a match; nullopt: delete on a match.
  std::optional<int64_t> value;
  // kCas: the value compared against; nullopt: the key must be absent.
  std::optional<int64_t> expected;
};

struct KvOutput {
  check::Outcome outcome = check::Outcome::kOk;
  // kGet ok: the value read. kCas fail: the value found. nullopt: absent.
  std::optional<int64_t> value;
};

// Step rules (state: the key's value, nullopt = absent):
//   get     ok: legal iff value == state.                 fail/unknown: legal, no change.
//   put     ok/unknown: state = value.                    fail: no change.
//   delete  ok/unknown: state = absent.                   fail: no change.
//   cas     ok: legal iff state == expected; state = value (absent when value is nullopt).
//           fail: legal iff state != expected and state == the value found; no change.
//           unknown: legal; as ok if state == expected, else no change.
class SimKvModel {
 public:
  using State = std::optional<int64_t>;
  using Input = KvInput;
  using Output = KvOutput;

  State Init() const { return std::nullopt; }
  check::StepResult<State> Step(const State& state, const Input& in, const Output& out) const;
  uint64_t Hash(const State& state) const;
  std::string Describe(const Input& in, const Output& out) const;
  std::string DescribeState(const State& state) const;
  const std::string& PartitionKey(const Input& in) const { return in.key; }
};

static_assert(check::PartitionedModel<SimKvModel>);

using KvHistory = check::HistoryOf<SimKvModel>;

}  // namespace tessera::sim

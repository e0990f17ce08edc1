// Histories: what concurrent clients did to an object, as the linearizability checker reads them.
//
// A history is a list of operations. Each operation names its client, its input, its observed
// output, and two points on one common time axis: when it was invoked (`call`) and when its
// response arrived (`ret`). Times may be nanoseconds from a monotonic clock or, as for Jepsen
// logs, positions in the log; only their order matters. Two operations whose intervals overlap
// (including touching: a.ret == b.call) are concurrent and may be linearized in either order.
//
// An indeterminate operation (Jepsen "info": a timeout, a crash) may or may not have taken effect.
// It is modelled as Porcupine and Knossos do: its output is Outcome::kUnknown and it returns at
// +infinity (`ret == kNever`). It may then be linearized anywhere after its call, including after
// every other operation, which is the same as never taking effect.
//
// Histories are plain values; the parser below is a pure function of its input text.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "check/model.h"
#include "common/result.h"
#include "common/status.h"

namespace tessera::check {

// The return time of an operation that never returned.
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

template <typename In, typename Out>
struct Operation {
  int64_t client_id = 0;  // the process or client that issued it
  int64_t call = 0;       // invocation time; never kNever
  int64_t ret = 0;        // response time, >= call; kNever if the response never came
  In input;
  Out output;
};

template <typename In, typename Out>
using History = std::vector<Operation<In, Out>>;

template <Model M>
using HistoryOf = History<typename M::Input, typename M::Output>;

// OK iff every operation has call != kNever and call <= ret. Otherwise InvalidArgument naming the
// first bad operation by its index.
Status ValidateTimes(int64_t index, int64_t call, int64_t ret);
template <typename In, typename Out>
Status ValidateHistory(const History<In, Out>& history) {
  for (size_t i = 0; i < history.size(); ++i) {
    TESSERA_RETURN_IF_ERROR(
        ValidateTimes(static_cast<int64_t>(i), history[i].call, history[i].ret));
  }
  return Status::OK();
}

using RegisterHistory = HistoryOf<RegisterModel>;

// Parses a Jepsen etcd log (shared/corpus/jepsen-etcd/README.md) into a register history.
//
// One line per event, fields separated by tabs or spaces after a logger prefix that ends with a
// "-" field: `INFO  jepsen.util - PROCESS  :TYPE  :F  VALUE`. Blank lines are ignored.
//   - Times are 1-based line numbers: call = the invoke's line, ret = the completion's line.
//   - `ok` and `fail` complete the process's pending operation, with the same F and value (a read
//     completes with the value read: an integer or nil).
//   - `info` makes the pending operation indeterminate: ret = kNever, outcome kUnknown.
//   - `fail` with a keyword value (`:timed-out`) certainly had no effect and observed nothing:
//     the operation is dropped. `fail` of a cas with its `[expected new]` value is a failed
//     comparison (Outcome::kFail), which the register model checks.
//   - An operation still pending at the end of the log is indeterminate.
// Returns InvalidArgument "line N: ..." for any malformed line or inconsistent event (an invoke
// while the process has a pending operation or after its `info`, a completion without an invoke
// or with another F or value). Operations are in invocation order.
Result<RegisterHistory> ParseJepsenLog(std::string_view text);

// Reads and parses a file; IOError if it cannot be read, otherwise as ParseJepsenLog with the
// path prefixed to error messages.
Result<RegisterHistory> ParseJepsenLogFile(const std::string& path);

}  // namespace tessera::check

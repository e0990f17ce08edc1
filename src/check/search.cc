// The search follows Lowe ("Testing for linearizability", 2017), itself a refinement of Wing &
// Gong (1993), as Porcupine implements it (checker.go, checkSingle):
//   - The history becomes one list of call and return entries in time order. An operation can be
//     linearized next iff its call entry precedes the first return entry in the list: every
//     operation that returned before it was invoked has already been linearized.
//   - Linearizing an operation "lifts" its two entries out of the list and pushes (op, previous
//     state) on a stack; a dead end (a return entry reached: its operation cannot wait any
//     longer) pops the stack, "unlifts" the entries and tries the next candidate. The list is a
//     doubly linked list over indexes, so lift and unlift are O(1) and undo in LIFO order.
//   - The memo table remembers every (linearized set, state) reached, and the search never
//     enters one twice: the same set in the same state has the same future.
#include "check/search.h"

#include <algorithm>
#include <numeric>

#include "check/memo_table.h"
#include "common/assert.h"

namespace tessera::check::detail {
namespace {

constexpr uint32_t kNil = UINT32_MAX;
// The clock is read once per this many loop iterations.
constexpr uint64_t kDeadlineCheckInterval = 1024;

// Entry 2*op is op's call, entry 2*op+1 its return; entry 2*n is the list head.
class EntryList {
 public:
  explicit EntryList(const std::vector<OpTimes>& ops) : head_(2 * ops.size()) {
    std::vector<uint32_t> order(2 * ops.size());
    std::iota(order.begin(), order.end(), 0);
    auto time = [&ops](uint32_t e) { return e % 2 == 0 ? ops[e / 2].call : ops[e / 2].ret; };
    // Ties: calls before returns (concurrent), then by entry number for determinism.
    std::sort(order.begin(), order.end(), [&time](uint32_t a, uint32_t b) {
      if (time(a) != time(b)) return time(a) < time(b);
      if (a % 2 != b % 2) return a % 2 == 0;
      return a < b;
    });
    next_.assign(head_ + 1, kNil);
    prev_.assign(head_ + 1, kNil);
    uint32_t last = head_;
    for (uint32_t e : order) {
      next_[last] = e;
      prev_[e] = last;
      last = e;
    }
  }

  uint32_t head() const { return head_; }
  uint32_t next(uint32_t e) const { return next_[e]; }
  bool empty() const { return next_[head_] == kNil; }

  // Removes op's call and return entries.
  void Lift(uint32_t op) {
    Unlink(2 * op);
    Unlink(2 * op + 1);
  }
  // Undoes the most recent Lift(op) still in effect.
  void Unlift(uint32_t op) {
    Relink(2 * op + 1);
    Relink(2 * op);
  }

 private:
  void Unlink(uint32_t e) {
    next_[prev_[e]] = next_[e];
    if (next_[e] != kNil) prev_[next_[e]] = prev_[e];
  }
  void Relink(uint32_t e) {
    next_[prev_[e]] = e;
    if (next_[e] != kNil) prev_[next_[e]] = e;
  }

  uint32_t head_;
  std::vector<uint32_t> next_;
  std::vector<uint32_t> prev_;
};

struct Frame {
  uint32_t op;
  uint32_t state_before;
};

class Searcher {
 public:
  Searcher(const std::vector<OpTimes>& ops, uint32_t init_state, StepOracle& oracle,
           const SearchLimits& limits)
      : list_(ops),
        linearized_(ops.size()),
        memo_(linearized_.word_count()),
        oracle_(oracle),
        limits_(limits),
        state_(init_state) {
    out_.prefix_state = init_state;
  }

  SearchOutcome Run() {
    uint32_t entry = list_.next(list_.head());
    while (!list_.empty()) {
      if (++iterations_ % kDeadlineCheckInterval == 0 && OutOfBudget()) {
        return Finish(SearchVerdict::kUnknown);
      }
      if (entry % 2 == 0) {
        entry = TryLinearize(entry);
        continue;
      }
      // A return entry: every candidate before it failed from this configuration.
      RecordDeadEnd(entry);
      if (stack_.empty()) return Finish(SearchVerdict::kNotLinearizable);
      entry = Backtrack();
    }
    out_.prefix.clear();
    for (const Frame& f : stack_) out_.prefix.push_back(f.op);
    out_.prefix_state = state_;
    out_.stuck.clear();
    return Finish(SearchVerdict::kLinearizable);
  }

 private:
  // Tries op of call entry `entry` next; returns the entry to examine after.
  uint32_t TryLinearize(uint32_t entry) {
    const uint32_t op = entry / 2;
    ++out_.steps;
    const int64_t next_state = oracle_.Step(state_, op);
    if (next_state < 0) return list_.next(entry);
    TESSERA_ASSERT(next_state <= UINT32_MAX, "state id out of range");
    linearized_.Set(op);
    if (!memo_.Insert(linearized_, static_cast<uint32_t>(next_state))) {
      linearized_.Clear(op);
      return list_.next(entry);
    }
    stack_.push_back({op, state_});
    state_ = static_cast<uint32_t>(next_state);
    list_.Lift(op);
    return list_.next(list_.head());
  }

  // Pops the last linearized op; returns the entry after its call, the next candidate.
  uint32_t Backtrack() {
    const Frame top = stack_.back();
    stack_.pop_back();
    state_ = top.state_before;
    linearized_.Clear(top.op);
    list_.Unlift(top.op);
    return list_.next(2 * top.op);
  }

  // Keeps the deepest dead end as the failure report: the prefix and the candidates that failed.
  void RecordDeadEnd(uint32_t return_entry) {
    if (recorded_ && stack_.size() <= out_.prefix.size()) return;
    recorded_ = true;
    out_.prefix.clear();
    for (const Frame& f : stack_) out_.prefix.push_back(f.op);
    out_.prefix_state = state_;
    out_.stuck.clear();
    for (uint32_t e = list_.next(list_.head()); e != return_entry; e = list_.next(e)) {
      if (e % 2 == 0) out_.stuck.push_back(e / 2);
    }
    // The op whose return blocks is a candidate too, unless it is already listed.
    const uint32_t blocker = return_entry / 2;
    if (std::find(out_.stuck.begin(), out_.stuck.end(), blocker) == out_.stuck.end()) {
      out_.stuck.push_back(blocker);
    }
  }

  bool OutOfBudget() const {
    return memo_.size() > limits_.max_memo_entries ||
           (limits_.deadline_nanos != INT64_MAX &&
            limits_.clock->NowNanos() >= limits_.deadline_nanos);
  }

  SearchOutcome Finish(SearchVerdict verdict) {
    out_.verdict = verdict;
    out_.memo_entries = memo_.size();
    return std::move(out_);
  }

  EntryList list_;
  Bitset linearized_;
  MemoTable memo_;
  StepOracle& oracle_;
  const SearchLimits& limits_;
  std::vector<Frame> stack_;  // bounded by the number of operations
  uint32_t state_;
  uint64_t iterations_ = 0;
  bool recorded_ = false;
  SearchOutcome out_;
};

}  // namespace

SearchOutcome Search(const std::vector<OpTimes>& ops, uint32_t init_state, StepOracle& oracle,
                     const SearchLimits& limits) {
  TESSERA_ASSERT(ops.size() < (size_t{1} << 30), "too many operations in one partition");
  TESSERA_ASSERT(limits.clock != nullptr, "SearchLimits.clock is required");
  for (const OpTimes& op : ops) TESSERA_ASSERT(op.call <= op.ret, "operation returns before call");
  return Searcher(ops, init_state, oracle, limits).Run();
}

}  // namespace tessera::check::detail

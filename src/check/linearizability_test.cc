#include "check/linearizability.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/random.h"

namespace tessera::check {
namespace {

using RegOp = RegisterHistory::value_type;
using KvOp = HistoryOf<KvModel>::value_type;

RegisterInput Read() { return {RegisterOp::kRead, 0, 0}; }
RegisterInput Write(int64_t v) { return {RegisterOp::kWrite, v, 0}; }
RegisterInput Cas(int64_t from, int64_t to) { return {RegisterOp::kCas, to, from}; }
RegisterOutput Ok(std::optional<int64_t> v = std::nullopt) { return {Outcome::kOk, v}; }
RegisterOutput Fail() { return {Outcome::kFail, std::nullopt}; }
RegisterOutput Unknown() { return {Outcome::kUnknown, std::nullopt}; }

RegOp Op(int64_t client, int64_t call, int64_t ret, RegisterInput in, RegisterOutput out) {
  return {client, call, ret, in, out};
}

// Asserts that `order` is a linearization of `h`: every operation once, real-time order kept,
// and a legal run of the model.
template <Model M>
void ExpectValidLinearization(const M& model, const HistoryOf<M>& h,
                              const std::vector<size_t>& order, size_t expected_size) {
  ASSERT_EQ(order.size(), expected_size);
  auto state = model.Init();
  for (size_t k = 0; k < order.size(); ++k) {
    const auto& o = h[order[k]];
    auto r = model.Step(state, o.input, o.output);
    ASSERT_TRUE(r.legal) << "step " << k << " (op " << order[k] << ") is illegal";
    state = r.next;
    for (size_t j = k + 1; j < order.size(); ++j) {
      EXPECT_FALSE(h[order[j]].ret < o.call) << "op " << order[j] << " returned before " << order[k]
                                             << " was called but comes after it";
    }
  }
}

Verdict Check(const RegisterHistory& h, CheckResult* out = nullptr) {
  RegisterModel model;
  Result<CheckResult> r = CheckLinearizable(model, h);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return Verdict::kUnknown;
  if (r->verdict == Verdict::kLinearizable) {
    EXPECT_EQ(r->linearizations.size(), 1u);
    ExpectValidLinearization(model, h, r->linearizations[0], h.size());
  }
  EXPECT_EQ(r->counterexample.has_value(), r->verdict == Verdict::kNotLinearizable);
  if (out != nullptr) *out = *r;
  return r->verdict;
}

TEST(LinearizabilityTest, EmptyAndSequentialHistories) {
  EXPECT_EQ(Check({}), Verdict::kLinearizable);
  EXPECT_EQ(Check({Op(0, 0, 1, Write(1), Ok()), Op(1, 2, 3, Read(), Ok(1))}),
            Verdict::kLinearizable);
  EXPECT_EQ(Check({Op(0, 0, 1, Read(), Ok())}), Verdict::kLinearizable);
  EXPECT_EQ(Check({Op(0, 0, 1, Read(), Ok(0))}), Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, StaleReadIsCaught) {
  CheckResult r;
  RegisterHistory h = {Op(0, 0, 1, Write(1), Ok()), Op(0, 2, 3, Write(2), Ok()),
                       Op(1, 4, 5, Read(), Ok(1))};
  ASSERT_EQ(Check(h, &r), Verdict::kNotLinearizable);
  const Counterexample& cx = *r.counterexample;
  EXPECT_EQ(cx.longest_prefix, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(cx.state_after_prefix, "2");
  EXPECT_EQ(cx.stuck, (std::vector<size_t>{2}));
  const std::string report = DescribeCounterexample(RegisterModel(), h, r);
  EXPECT_NE(report.find("#2 client 1 [4, 5]: read -> 1"), std::string::npos) << report;
}

TEST(LinearizabilityTest, LostWriteIsCaught) {
  EXPECT_EQ(Check({Op(0, 0, 1, Write(1), Ok()), Op(1, 2, 3, Read(), Ok())}),
            Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, WriteAppliedTwiceIsCaught) {
  EXPECT_EQ(Check({Op(0, 0, 1, Write(1), Ok()), Op(0, 2, 3, Write(2), Ok()),
                   Op(1, 4, 5, Read(), Ok(2)), Op(1, 6, 7, Read(), Ok(1))}),
            Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, ConcurrentOperationsMayReorder) {
  // The write overlaps both reads: it takes effect between them.
  EXPECT_EQ(
      Check({Op(0, 0, 10, Write(1), Ok()), Op(1, 1, 2, Read(), Ok()), Op(1, 3, 4, Read(), Ok(1))}),
      Verdict::kLinearizable);
  // But a value once seen cannot be unseen.
  EXPECT_EQ(
      Check({Op(0, 0, 10, Write(1), Ok()), Op(1, 1, 2, Read(), Ok(1)), Op(1, 3, 4, Read(), Ok())}),
      Verdict::kNotLinearizable);
  // Touching intervals are concurrent.
  EXPECT_EQ(Check({Op(0, 0, 5, Read(), Ok(1)), Op(1, 5, 6, Write(1), Ok())}),
            Verdict::kLinearizable);
}

TEST(LinearizabilityTest, IndeterminateOperationsMayOrMayNotTakeEffect) {
  const RegOp info = Op(0, 0, kNever, Write(1), Unknown());
  EXPECT_EQ(Check({info, Op(1, 5, 6, Read(), Ok(1))}), Verdict::kLinearizable);
  EXPECT_EQ(Check({info, Op(1, 5, 6, Read(), Ok())}), Verdict::kLinearizable);
  EXPECT_EQ(Check({info, Op(1, 5, 6, Read(), Ok()), Op(1, 7, 8, Read(), Ok(1))}),
            Verdict::kLinearizable);
  EXPECT_EQ(Check({info, Op(1, 5, 6, Read(), Ok(1)), Op(1, 7, 8, Read(), Ok())}),
            Verdict::kNotLinearizable);
  // It cannot take effect before it was invoked.
  EXPECT_EQ(Check({Op(1, 0, 1, Read(), Ok(1)), Op(0, 2, kNever, Write(1), Unknown())}),
            Verdict::kNotLinearizable);
  // An indeterminate cas applies only if its comparison holds.
  EXPECT_EQ(Check({Op(0, 0, 1, Write(0), Ok()), Op(0, 2, kNever, Cas(5, 7), Unknown()),
                   Op(1, 3, 4, Read(), Ok(7))}),
            Verdict::kNotLinearizable);
  EXPECT_EQ(Check({Op(0, 0, 1, Write(5), Ok()), Op(0, 2, kNever, Cas(5, 7), Unknown()),
                   Op(1, 3, 4, Read(), Ok(7))}),
            Verdict::kLinearizable);
}

TEST(LinearizabilityTest, CompareAndSet) {
  EXPECT_EQ(Check({Op(0, 0, 1, Write(0), Ok()), Op(0, 2, 3, Cas(0, 1), Ok()),
                   Op(1, 4, 5, Cas(0, 2), Fail()), Op(1, 6, 7, Read(), Ok(1))}),
            Verdict::kLinearizable);
  // A cas that failed its comparison while the value matched.
  EXPECT_EQ(Check({Op(0, 0, 1, Write(0), Ok()), Op(1, 2, 3, Cas(0, 2), Fail())}),
            Verdict::kNotLinearizable);
  // Two concurrent cas from the same value cannot both succeed.
  EXPECT_EQ(Check({Op(0, 0, 1, Write(0), Ok()), Op(0, 2, 5, Cas(0, 1), Ok()),
                   Op(1, 2, 5, Cas(0, 2), Ok())}),
            Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, RejectsMalformedTimes) {
  Result<CheckResult> r = CheckLinearizable(RegisterModel(), {Op(0, 5, 4, Read(), Ok())});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().Is(Status::Code::kInvalidArgument));
}

TEST(LinearizabilityTest, KvHistoriesArePartitionedByKey) {
  KvModel model;
  auto op = [](int64_t call, int64_t ret, const char* key, RegisterInput in, RegisterOutput out) {
    return KvOp{0, call, ret, KvInput{key, in}, out};
  };
  HistoryOf<KvModel> h = {op(0, 1, "a", Write(1), Ok()), op(2, 3, "b", Write(2), Ok()),
                          op(4, 5, "a", Read(), Ok(1)), op(6, 7, "b", Read(), Ok(2)),
                          op(8, 9, "c", Read(), Ok())};
  Result<CheckResult> r = CheckLinearizable(model, h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verdict, Verdict::kLinearizable);
  EXPECT_EQ(r->partitions, 3u);
  ASSERT_EQ(r->linearizations.size(), 3u);
  EXPECT_EQ(r->linearizations[0], (std::vector<size_t>{0, 2}));

  h.push_back(op(10, 11, "b", Read(), Ok(1)));  // key b reads a value written only to a
  r = CheckLinearizable(model, h);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(r->counterexample->partition_key, "b");
  EXPECT_EQ(r->counterexample->stuck, (std::vector<size_t>{5}));
  EXPECT_NE(DescribeCounterexample(model, h, *r).find("in key 'b'"), std::string::npos);
}

// A clock that moves forward by one second each time it is read.
class RunawayClock final : public Clock {
 public:
  int64_t NowNanos() const override { return now_ += 1'000'000'000; }
  int64_t WallMicros() const override { return NowNanos() / 1000; }

 private:
  mutable int64_t now_ = 0;
};

// Many concurrent writes and a read of a value nobody wrote: the search must try every subset.
RegisterHistory HardHistory() {
  RegisterHistory h;
  for (int i = 0; i < 14; ++i) h.push_back(Op(i, 0, 100, Write(i), Ok()));
  h.push_back(Op(99, 50, 60, Read(), Ok(999)));
  return h;
}

TEST(LinearizabilityTest, TimeoutGivesUnknown) {
  RunawayClock clock;
  CheckOptions options{.timeout_nanos = 1, .clock = &clock};
  Result<CheckResult> r = CheckLinearizable(RegisterModel(), HardHistory(), options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verdict, Verdict::kUnknown);
  EXPECT_FALSE(r->counterexample.has_value());
  EXPECT_TRUE(r->linearizations.empty());
  // Without the limit the same history is decided.
  r = CheckLinearizable(RegisterModel(), HardHistory());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verdict, Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, MemoryBoundGivesUnknown) {
  CheckOptions options{.max_memo_entries = 100};
  Result<CheckResult> r = CheckLinearizable(RegisterModel(), HardHistory(), options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verdict, Verdict::kUnknown);
}

// Builds a history that is linearizable by construction: each operation takes effect at a random
// point inside its interval, and outputs come from a real register applied in that order. Some
// operations are indeterminate and take effect or not.
RegisterHistory RandomLinearizableHistory(Random& rnd, int ops) {
  struct Planned {
    int64_t point;
    size_t index;
  };
  RegisterHistory h;
  std::vector<Planned> plan;
  for (int i = 0; i < ops; ++i) {
    const int64_t call = static_cast<int64_t>(rnd.Uniform(400));
    const int64_t point = call + static_cast<int64_t>(rnd.Uniform(40));
    const int64_t ret = point + static_cast<int64_t>(rnd.Uniform(40));
    RegisterInput in = Read();
    const uint64_t kind = rnd.Uniform(3);
    if (kind == 1) in = Write(static_cast<int64_t>(rnd.Uniform(5)));
    if (kind == 2)
      in = Cas(static_cast<int64_t>(rnd.Uniform(5)), static_cast<int64_t>(rnd.Uniform(5)));
    // Times are scaled so that points are distinct and strictly inside [call, ret].
    h.push_back(Op(i, call * 2 * ops, ret * 2 * ops + 2 * ops - 1, in, Ok()));
    plan.push_back({point * 2 * ops + i, static_cast<size_t>(i)});
  }
  std::sort(plan.begin(), plan.end(), [](auto& a, auto& b) { return a.point < b.point; });
  RegisterModel model;
  RegisterModel::State state = model.Init();
  for (const Planned& p : plan) {
    RegOp& o = h[p.index];
    if (o.input.op != RegisterOp::kRead && rnd.Chance(0.1)) {
      o.ret = kNever;
      o.output = Unknown();
      if (rnd.Chance(0.5)) continue;  // never takes effect
    } else if (o.input.op == RegisterOp::kRead) {
      o.output = Ok(state);
    } else if (o.input.op == RegisterOp::kCas && state != o.input.expected) {
      o.output = Fail();
    }
    state = model.Step(state, o.input, o.output).next;
  }
  return h;
}

TEST(LinearizabilityTest, RandomHistoriesLinearizableByConstructionPassAndCorruptedOnesFail) {
  SeededRandom rnd(42);
  for (int iter = 0; iter < 200; ++iter) {
    RegisterHistory h = RandomLinearizableHistory(rnd, 40);
    ASSERT_EQ(Check(h), Verdict::kLinearizable) << "iteration " << iter;
    // A read of a value that was never written cannot be explained.
    auto read = std::find_if(h.begin(), h.end(), [](const RegOp& o) {
      return o.input.op == RegisterOp::kRead && o.output.outcome == Outcome::kOk;
    });
    if (read == h.end()) continue;
    read->output.value = 1000;
    ASSERT_EQ(Check(h), Verdict::kNotLinearizable) << "iteration " << iter;
  }
}

}  // namespace
}  // namespace tessera::check

#include "check/history.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/random.h"

namespace tessera::check {
namespace {

constexpr std::string_view kLog =
    "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
    "INFO  jepsen.util - 1\t:invoke\t:write\t4\n"
    "INFO  jepsen.util - 2   :invoke :cas    [4 0]\n"
    "INFO  jepsen.util - 0\t:ok\t:read\tnil\n"
    "\n"
    "INFO  jepsen.util - 1\t:info\t:write\t:timed-out\n"
    "INFO  jepsen.util - 2   :fail   :cas    [4 0]\r\n"
    "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
    "INFO  jepsen.util - 0\t:fail\t:read\t:timed-out\n"
    "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n"
    "INFO  jepsen.util - 3\t:invoke\t:write\t-7\n"
    "INFO  jepsen.util - 3\t:ok\t:write\t-7\n"
    "INFO  jepsen.util - 2\t:invoke\t:read\tnil\n"
    "INFO  jepsen.util - 2\t:ok\t:read\t-7\n"
    "INFO  jepsen.util - 4\t:invoke\t:cas\t[1 2]\n";

TEST(JepsenParserTest, ParsesEventsIntoOperations) {
  Result<RegisterHistory> r = ParseJepsenLog(kLog);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RegisterHistory& h = *r;
  ASSERT_EQ(h.size(), 6u);  // the timed-out read is dropped

  EXPECT_EQ(h[0].client_id, 0);
  EXPECT_EQ(h[0].input.op, RegisterOp::kRead);
  EXPECT_EQ(h[0].call, 1);
  EXPECT_EQ(h[0].ret, 4);
  EXPECT_EQ(h[0].output.outcome, Outcome::kOk);
  EXPECT_EQ(h[0].output.value, std::nullopt);

  EXPECT_EQ(h[1].input.op, RegisterOp::kWrite);
  EXPECT_EQ(h[1].input.value, 4);
  EXPECT_EQ(h[1].ret, kNever);
  EXPECT_EQ(h[1].output.outcome, Outcome::kUnknown);

  EXPECT_EQ(h[2].input.op, RegisterOp::kCas);
  EXPECT_EQ(h[2].input.expected, 4);
  EXPECT_EQ(h[2].input.value, 0);
  EXPECT_EQ(h[2].ret, 7);
  EXPECT_EQ(h[2].output.outcome, Outcome::kFail);

  EXPECT_EQ(h[3].input.value, -7);
  EXPECT_EQ(h[4].output.value, -7);
  // Pending at the end of the log: indeterminate.
  EXPECT_EQ(h[5].client_id, 4);
  EXPECT_EQ(h[5].ret, kNever);
  EXPECT_EQ(h[5].output.outcome, Outcome::kUnknown);
  EXPECT_TRUE(ValidateHistory(h).ok());
}

TEST(JepsenParserTest, EmptyInputIsAnEmptyHistory) {
  Result<RegisterHistory> r = ParseJepsenLog("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  ASSERT_TRUE(ParseJepsenLog("\n  \n\t\n").ok());
}

struct BadCase {
  std::string text;
  std::string expect;  // a substring of the error message
};

TEST(JepsenParserTest, RejectsMalformedInputWithTheLineNumber) {
  const std::string inv = "INFO jepsen.util - 1\t:invoke\t:write\t3\n";
  const std::vector<BadCase> cases = {
      {"garbage\n", "line 1: no logger prefix"},
      {"INFO jepsen.util - 1 :invoke :read\n", "line 1: want PROCESS"},
      {"INFO jepsen.util - x :invoke :read nil\n", "line 1: malformed process"},
      {"INFO jepsen.util - -1 :invoke :read nil\n", "line 1: malformed process"},
      {"INFO jepsen.util - 1 :begin :read nil\n", "line 1: unknown event type"},
      {"INFO jepsen.util - 1 :invoke :append nil\n", "line 1: unknown operation"},
      {"INFO jepsen.util - 1 :invoke :read 3\n", "line 1: bad invoke value"},
      {"INFO jepsen.util - 1 :invoke :write nil\n", "line 1: bad invoke value"},
      {"INFO jepsen.util - 1 :invoke :write 99999999999999999999\n", "line 1: malformed value"},
      {"INFO jepsen.util - 1 :invoke :cas [1 2\n", "line 1: malformed value"},
      {"INFO jepsen.util - 1 :invoke :cas [1 2 3]\n", "line 1: malformed value"},
      {"\n" + inv + inv, "line 3: invoke while the process has an operation pending"},
      {"INFO jepsen.util - 1 :ok :read 3\n", "line 1: completion without an invoke"},
      {inv + "INFO jepsen.util - 1 :ok :read 3\n", "line 2: completion of another operation"},
      {inv + "INFO jepsen.util - 1 :ok :write 4\n", "line 2: completion value differs"},
      {inv + "INFO jepsen.util - 1 :info :write 4\n", "line 2: completion value differs"},
      {inv + "INFO jepsen.util - 1 :info :write 3\n" + inv, "line 3: invoke by a process whose"},
      {"INFO jepsen.util - 1 :invoke :read nil\nINFO jepsen.util - 1 :ok :read [1 2]\n",
       "line 2: a read must return"},
  };
  for (const BadCase& c : cases) {
    Result<RegisterHistory> r = ParseJepsenLog(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_TRUE(r.status().Is(Status::Code::kInvalidArgument));
    EXPECT_NE(r.status().message().find(c.expect), std::string_view::npos)
        << "input: " << c.text << "\nerror: " << r.status().ToString();
  }
}

TEST(JepsenParserTest, MissingFileIsAnIOError) {
  Result<RegisterHistory> r = ParseJepsenLogFile("/nonexistent/tessera/etcd.log");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().Is(Status::Code::kIOError));
}

// Mutates a valid log at random (byte flips, insertions, deletions, truncation, line swaps) and
// checks that the parser returns either a valid history or InvalidArgument naming a line.
TEST(JepsenParserTest, SurvivesRandomlyMutatedInput) {
  SeededRandom rnd(20240607);
  const std::string alphabet = " \t\n\r[]:-0123456789nilokfaurdwscx\x7f\xff";
  int errors = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    std::string text(kLog);
    const uint64_t mutations = rnd.Range(1, 4);
    for (uint64_t m = 0; m < mutations && !text.empty(); ++m) {
      const size_t pos = rnd.Uniform(text.size());
      switch (rnd.Uniform(4)) {
        case 0:
          text[pos] = alphabet[rnd.Uniform(alphabet.size())];
          break;
        case 1:
          text.insert(pos, 1, alphabet[rnd.Uniform(alphabet.size())]);
          break;
        case 2:
          text.erase(pos, rnd.Range(1, 8));
          break;
        default:
          text.resize(pos);
          break;
      }
    }
    Result<RegisterHistory> r = ParseJepsenLog(text);
    if (r.ok()) {
      EXPECT_TRUE(ValidateHistory(*r).ok());
      continue;
    }
    ++errors;
    EXPECT_TRUE(r.status().Is(Status::Code::kInvalidArgument)) << r.status().ToString();
    EXPECT_EQ(r.status().message().substr(0, 5), "line ") << r.status().ToString();
  }
  EXPECT_GT(errors, 1000);  // the mutations do reach the error paths
}

TEST(ValidateHistoryTest, RejectsBadTimes) {
  RegisterHistory h(2);
  h[0].call = 1;
  h[0].ret = 2;
  h[1].call = 5;
  h[1].ret = 4;
  Status st = ValidateHistory(h);
  EXPECT_TRUE(st.Is(Status::Code::kInvalidArgument));
  EXPECT_NE(st.message().find("operation 1"), std::string_view::npos);
  h[1].ret = kNever;
  EXPECT_TRUE(ValidateHistory(h).ok());
  h[1].call = kNever;
  EXPECT_FALSE(ValidateHistory(h).ok());
}

}  // namespace
}  // namespace tessera::check

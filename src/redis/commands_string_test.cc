#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "redis/codec.h"
#include "redis/test_util.h"

namespace tessera::redis {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): test helpers

class StringCommandsTest : public ::testing::Test, public ExecutorFixture {};

TEST_F(StringCommandsTest, GetSet) {
  EXPECT_EQ(Cmd({"GET", "k"}), kNil);
  EXPECT_EQ(Cmd({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Cmd({"get", "k"}), Bulk("v"));
  EXPECT_EQ(Cmd({"SET", "k", ""}), kOk);
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk(""));
  // Stored in the Redis namespace with the value header.
  auto snap = backend_.Snapshot();
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap.begin()->first, EncodeKey("k"));
  EXPECT_EQ(snap.begin()->second, EncodeValue("", 0));
}

TEST_F(StringCommandsTest, SetOptions) {
  EXPECT_EQ(Cmd({"SET", "k", "a", "NX"}), kOk);
  EXPECT_EQ(Cmd({"SET", "k", "b", "NX"}), kNil);
  EXPECT_EQ(Cmd({"SET", "k", "c", "XX"}), kOk);
  EXPECT_EQ(Cmd({"SET", "x", "c", "XX"}), kNil);
  EXPECT_EQ(Cmd({"GET", "x"}), kNil);
  EXPECT_EQ(Cmd({"SET", "k", "d", "GET"}), Bulk("c"));
  EXPECT_EQ(Cmd({"SET", "y", "d", "GET"}), kNil);
  EXPECT_EQ(Cmd({"SET", "k", "e", "NX", "GET"}), Bulk("d"));  // not set, old value returned
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("d"));
  EXPECT_EQ(Cmd({"SET", "k", "v", "NX", "XX"}), Err("ERR syntax error"));
  EXPECT_EQ(Cmd({"SET", "k", "v", "EX"}), Err("ERR syntax error"));
  EXPECT_EQ(Cmd({"SET", "k", "v", "EX", "10", "PX", "10"}), Err("ERR syntax error"));
  EXPECT_EQ(Cmd({"SET", "k", "v", "EX", "10", "KEEPTTL"}), Err("ERR syntax error"));
  EXPECT_EQ(Cmd({"SET", "k", "v", "FOO"}), Err("ERR syntax error"));
  EXPECT_EQ(Cmd({"SET", "k", "v", "EX", "x"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Cmd({"SET", "k", "v", "EX", "0"}), Err("ERR invalid expire time in 'set' command"));
  EXPECT_EQ(Cmd({"SET", "k", "v", "EX", "9223372036854775807"}),
            Err("ERR invalid expire time in 'set' command"));
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("d"));
}

TEST_F(StringCommandsTest, SetExpiryAndKeepTtl) {
  EXPECT_EQ(Cmd({"SET", "k", "v", "EX", "10"}), kOk);
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(10));
  EXPECT_EQ(Cmd({"PTTL", "k"}), Int(10000));
  backend_.AdvanceMs(4000);
  EXPECT_EQ(Cmd({"SET", "k", "w", "KEEPTTL"}), kOk);
  EXPECT_EQ(Cmd({"PTTL", "k"}), Int(6000));
  EXPECT_EQ(Cmd({"SET", "k", "w"}), kOk);  // SET drops the expiry
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(-1));
  EXPECT_EQ(Cmd({"SET", "k", "v", "PX", "1500"}), kOk);
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(2));  // rounded like Redis
  backend_.AdvanceMs(1500);
  EXPECT_EQ(Cmd({"GET", "k"}), kNil);
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(-2));
  int64_t now = backend_.NowMs();
  EXPECT_EQ(Cmd({"SET", "k", "v", "PXAT", std::to_string(now + 50)}), kOk);
  EXPECT_EQ(Cmd({"PTTL", "k"}), Int(50));
  EXPECT_EQ(Cmd({"SET", "k", "v", "EXAT", std::to_string(now / 1000 - 1)}), kOk);
  EXPECT_EQ(Cmd({"EXISTS", "k"}), Int(0));  // already in the past
}

TEST_F(StringCommandsTest, ExpiredValuesAreAbsentForWrites) {
  EXPECT_EQ(Cmd({"SET", "k", "5", "PX", "10"}), kOk);
  backend_.AdvanceMs(10);
  EXPECT_EQ(Cmd({"INCR", "k"}), Int(1));
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(-1));
  EXPECT_EQ(Cmd({"SET", "n", "v", "PX", "10"}), kOk);
  backend_.AdvanceMs(10);
  EXPECT_EQ(Cmd({"SET", "n", "w", "NX"}), kOk);
  EXPECT_EQ(Cmd({"SET", "a", "v", "PX", "10"}), kOk);
  backend_.AdvanceMs(10);
  EXPECT_EQ(Cmd({"APPEND", "a", "xy"}), Int(2));
  EXPECT_EQ(Cmd({"SET", "g", "v", "PX", "10"}), kOk);
  backend_.AdvanceMs(10);
  EXPECT_EQ(Cmd({"GETSET", "g", "w"}), kNil);
  EXPECT_EQ(Cmd({"SETNX", "g", "z"}), Int(0));
  EXPECT_EQ(Cmd({"STRLEN", "g"}), Int(1));
}

TEST_F(StringCommandsTest, SetNxGetSetGetDel) {
  EXPECT_EQ(Cmd({"SETNX", "k", "a"}), Int(1));
  EXPECT_EQ(Cmd({"SETNX", "k", "b"}), Int(0));
  EXPECT_EQ(Cmd({"GETSET", "k", "c"}), Bulk("a"));
  EXPECT_EQ(Cmd({"GETDEL", "k"}), Bulk("c"));
  EXPECT_EQ(Cmd({"GETDEL", "k"}), kNil);
  EXPECT_EQ(Cmd({"SETEX", "k", "5", "v"}), kOk);
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(5));
  EXPECT_EQ(Cmd({"PSETEX", "k", "5", "v"}), kOk);
  EXPECT_EQ(Cmd({"PTTL", "k"}), Int(5));
  EXPECT_EQ(Cmd({"SETEX", "k", "0", "v"}), Err("ERR invalid expire time in 'setex' command"));
}

TEST_F(StringCommandsTest, MGetMSet) {
  EXPECT_EQ(Cmd({"MSET", "a", "1", "b", "2", "a", "3"}), kOk);
  EXPECT_EQ(Cmd({"MGET", "a", "b", "c"}), Array({Bulk("3"), Bulk("2"), kNil}));
  EXPECT_EQ(Cmd({"MSET", "a", "1", "b"}), Err("ERR wrong number of arguments for 'mset' command"));
}

TEST_F(StringCommandsTest, IncrDecr) {
  EXPECT_EQ(Cmd({"INCR", "n"}), Int(1));
  EXPECT_EQ(Cmd({"INCRBY", "n", "41"}), Int(42));
  EXPECT_EQ(Cmd({"DECR", "n"}), Int(41));
  EXPECT_EQ(Cmd({"DECRBY", "n", "-9"}), Int(50));
  EXPECT_EQ(Cmd({"GET", "n"}), Bulk("50"));
  EXPECT_EQ(Cmd({"SET", "n", "9223372036854775806"}), kOk);
  EXPECT_EQ(Cmd({"INCR", "n"}), Int(INT64_MAX));
  EXPECT_EQ(Cmd({"INCR", "n"}), Err("ERR increment or decrement would overflow"));
  EXPECT_EQ(Cmd({"SET", "n", "-9223372036854775808"}), kOk);
  EXPECT_EQ(Cmd({"DECR", "n"}), Err("ERR increment or decrement would overflow"));
  EXPECT_EQ(Cmd({"DECRBY", "m", "-9223372036854775808"}), Err("ERR decrement would overflow"));
  for (const char* bad : {"abc", " 1", "1.5", "", "01", "99999999999999999999"}) {
    EXPECT_EQ(Cmd({"SET", "s", bad}), kOk);
    EXPECT_EQ(Cmd({"INCR", "s"}), Err("ERR value is not an integer or out of range")) << bad;
  }
  EXPECT_EQ(Cmd({"INCRBY", "n", "x"}), Err("ERR value is not an integer or out of range"));
}

TEST_F(StringCommandsTest, IncrKeepsExpiry) {
  EXPECT_EQ(Cmd({"SET", "n", "1", "EX", "100"}), kOk);
  EXPECT_EQ(Cmd({"INCR", "n"}), Int(2));
  EXPECT_EQ(Cmd({"TTL", "n"}), Int(100));
  EXPECT_EQ(Cmd({"APPEND", "n", "0"}), Int(2));
  EXPECT_EQ(Cmd({"TTL", "n"}), Int(100));
  EXPECT_EQ(Cmd({"GET", "n"}), Bulk("20"));
}

TEST_F(StringCommandsTest, AppendStrlen) {
  EXPECT_EQ(Cmd({"APPEND", "k", "ab"}), Int(2));
  EXPECT_EQ(Cmd({"APPEND", "k", "cd"}), Int(4));
  EXPECT_EQ(Cmd({"STRLEN", "k"}), Int(4));
  EXPECT_EQ(Cmd({"STRLEN", "nope"}), Int(0));
  EXPECT_EQ(Cmd({"SET", "big", std::string(kMaxValueBytes, 'x')}), kOk);
  EXPECT_EQ(Cmd({"APPEND", "big", "y"}),
            Err("ERR string exceeds maximum allowed size (max 4194304 bytes)"));
}

TEST_F(StringCommandsTest, Limits) {
  std::string long_key(kMaxRedisKeyBytes + 1, 'k');
  EXPECT_EQ(Cmd({"SET", long_key, "v"}), Err("ERR key too long (max 509 bytes)"));
  EXPECT_EQ(Cmd({"GET", long_key}), Err("ERR key too long (max 509 bytes)"));
  EXPECT_EQ(Cmd({"SET", std::string(kMaxRedisKeyBytes, 'k'), "v"}), kOk);
  EXPECT_EQ(Cmd({"SET", "k", std::string(kMaxValueBytes + 1, 'v')}),
            Err("ERR value too large (max 4194304 bytes)"));
  EXPECT_EQ(Cmd({"MSET", "a", "1", long_key, "2"}), Err("ERR key too long (max 509 bytes)"));
  EXPECT_EQ(Cmd({"GET", "a"}), kNil);  // nothing written
}

TEST_F(StringCommandsTest, CorruptValueIsAnError) {
  backend_.RawPut(EncodeKey("c"), "\x07junk");
  EXPECT_EQ(Cmd({"GET", "c"}), Err("ERR corrupt value: unknown Redis value format"));
  EXPECT_EQ(Cmd({"INCR", "c"}), Err("ERR corrupt value: unknown Redis value format"));
  EXPECT_EQ(Cmd({"EXISTS", "c"}), Int(1));
  EXPECT_EQ(Cmd({"SET", "c", "v"}), kOk);  // a plain SET overwrites it
  backend_.RawPut(EncodeKey("c"), "");
  EXPECT_EQ(Cmd({"DEL", "c"}), Int(1));
  EXPECT_EQ(Cmd({"EXISTS", "c"}), Int(0));
}

TEST_F(StringCommandsTest, BackendErrors) {
  backend_.FailNext(Status::Timeout("raft"));
  EXPECT_EQ(Cmd({"SET", "k", "v"}),
            Err("ERR timeout: outcome unknown (a write may have applied): raft"));
  backend_.FailNext(Status::Unavailable("no leader"));
  EXPECT_EQ(Cmd({"GET", "k"}), Err("TRYAGAIN store unavailable: no leader"));
  backend_.FailNext(Status::InvalidArgument("too big"));
  EXPECT_EQ(Cmd({"INCR", "k"}), Err("ERR invalid argument: too big"));
}

// A backend whose every compare-and-swap loses against another writer.
class AlwaysConflicting : public MemoryBackend {
 public:
  Status CompareAndSwap(std::string_view key, const std::optional<std::string>&,
                        const std::optional<std::string>& desired, bool* succeeded,
                        std::optional<std::string>* previous) override {
    *succeeded = false;
    *previous = EncodeValue(std::to_string(++n_), 0);
    (void)key;
    (void)desired;
    return Status::OK();
  }
  int n_ = 0;
};

TEST(ReadModifyWriteTest, BoundedRetries) {
  AlwaysConflicting backend;
  ExecutorOptions o;
  o.max_cas_attempts = 5;
  CommandExecutor exec(&backend, o);
  Session s;
  std::string out;
  exec.Execute(&s, {"INCR", "k"}, &out);
  EXPECT_EQ(out, Err("TRYAGAIN too much contention on key: gave up after 5 attempts"));
  EXPECT_EQ(backend.n_, 5);
}

TEST(ConcurrencyTest, ConcurrentIncrIsExact) {
  MemoryBackend backend;
  ExecutorOptions o;
  o.max_cas_attempts = 1000000;
  CommandExecutor exec(&backend, o);
  constexpr int kThreads = 4, kIncrs = 500;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Session s;
      for (int i = 0; i < kIncrs; ++i) {
        std::string out;
        exec.Execute(&s, {"INCR", "n"}, &out);
        if (out[0] != ':') ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  Session s;
  std::string out;
  exec.Execute(&s, {"GET", "n"}, &out);
  EXPECT_EQ(out, Bulk(std::to_string(kThreads * kIncrs)));
}

TEST(ConcurrencyTest, ConcurrentIncrByGivesExactTotal) {
  MemoryBackend backend;
  ExecutorOptions o;
  o.max_cas_attempts = 1000000;
  CommandExecutor exec(&backend, o);
  constexpr int kThreads = 4, kIncrs = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Session s;
      for (int i = 0; i < kIncrs; ++i) {
        std::string out;
        exec.Execute(&s, {"INCRBY", "n", std::to_string(t + 1)}, &out);
        ASSERT_EQ(out[0], ':') << out;
      }
    });
  }
  for (auto& t : threads) t.join();
  Session s;
  std::string out;
  exec.Execute(&s, {"GET", "n"}, &out);
  EXPECT_EQ(out, Bulk(std::to_string(kIncrs * (1 + 2 + 3 + 4))));
}

TEST_F(StringCommandsTest, PipelineBatchesPlainSetsAndGets) {
  auto before = backend_.counts();
  std::string out = RunBatch({{"SET", "a", "1"},
                              {"SET", "b", "2"},
                              {"set", "a", "3"},
                              {"GET", "a"},
                              {"GET", "b"},
                              {"GET", "c"},
                              {"SET", "c", "4"},
                              {"GET", "c"},
                              {"INCR", "a"},
                              {"GET", "a"},
                              {"GET", "a"}});
  EXPECT_EQ(out, kOk + kOk + kOk + Bulk("3") + Bulk("2") + kNil + kOk + Bulk("4") + Int(4) +
                     Bulk("4") + Bulk("4"));
  auto after = backend_.counts();
  EXPECT_EQ(after.batch_put - before.batch_put, 1u);  // the first three SETs
  EXPECT_EQ(after.batch_get - before.batch_get, 2u);  // GET a,b,c and the last two GETs
  EXPECT_EQ(after.put - before.put, 1u);              // the lone SET c
}

TEST_F(StringCommandsTest, PipelineBatchErrorsAndExpiry) {
  EXPECT_EQ(Cmd({"SET", "e", "v", "PX", "5"}), kOk);
  backend_.AdvanceMs(5);
  EXPECT_EQ(RunBatch({{"GET", "e"}, {"GET", "e"}}), kNil + kNil);
  backend_.FailNext(Status::Timeout("t"));
  std::string err = Err("ERR timeout: outcome unknown (a write may have applied): t");
  EXPECT_EQ(RunBatch({{"SET", "a", "1"}, {"SET", "b", "2"}}), err + err);
  // An oversized plain SET is not grouped: it gets its own error, the others succeed.
  EXPECT_EQ(RunBatch({{"SET", "a", "1"},
                      {"SET", "b", std::string(kMaxValueBytes + 1, 'x')},
                      {"SET", "c", "1"}}),
            kOk + Err("ERR value too large (max 4194304 bytes)") + kOk);
}

TEST_F(StringCommandsTest, QuitStopsTheBatch) {
  EXPECT_EQ(RunBatch({{"PING"}, {"QUIT"}, {"SET", "a", "1"}}), "+PONG\r\n" + kOk);
  EXPECT_TRUE(session_.close);
  EXPECT_EQ(backend_.Snapshot().size(), 0u);
}

TEST(ObserverTest, ReportsEveryCommand) {
  std::vector<std::pair<std::string, bool>> seen;
  ExecutorOptions o;
  o.observer = [&](std::string_view name, std::chrono::nanoseconds latency, bool error) {
    EXPECT_GE(latency.count(), 0);
    seen.emplace_back(std::string(name), error);
  };
  ExecutorFixture f(o);
  (void)f.Cmd({"SET", "a", "1"});
  (void)f.Cmd({"NOPE"});
  (void)f.Cmd({"INCR", "a", "b"});
  (void)f.RunBatch({{"GET", "a"}, {"GET", "b"}});
  std::vector<std::pair<std::string, bool>> want = {
      {"set", false}, {"unknown", true}, {"incr", true}, {"get", false}, {"get", false}};
  EXPECT_EQ(seen, want);
}

}  // namespace
}  // namespace tessera::redis

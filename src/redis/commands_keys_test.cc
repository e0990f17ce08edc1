#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "redis/codec.h"
#include "redis/commands_internal.h"
#include "redis/keyspace.h"
#include "redis/resp.h"
#include "redis/test_util.h"

namespace tessera::redis {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): test helpers

class KeyCommandsTest : public ::testing::Test, public ExecutorFixture {
 protected:
  // Parses a SCAN reply: the cursor and the keys.
  void ParseScan(const std::string& reply, std::string* cursor, std::vector<std::string>* keys) {
    RespParser p;  // a SCAN reply is arrays of bulk strings: the request parser reads it
    std::vector<std::string> args;
    ASSERT_EQ(reply.substr(0, 4), "*2\r\n") << reply;
    std::string rest = reply.substr(4);
    size_t nl = rest.find("\r\n");
    size_t len = std::stoul(rest.substr(1, nl - 1));
    *cursor = rest.substr(nl + 2, len);
    rest = rest.substr(nl + 2 + len + 2);
    if (rest == "*0\r\n") {
      keys->clear();
      return;
    }
    ParseResult r = p.Parse(rest, &args);
    ASSERT_EQ(r.status, ParseStatus::kCommand) << reply;
    ASSERT_EQ(r.consumed, rest.size());
    *keys = args;
  }

  // Runs a whole SCAN iteration; every key returned is counted.
  std::map<std::string, int> ScanAll(std::vector<std::string> options, int* calls) {
    std::map<std::string, int> seen;
    std::string cursor = "0";
    *calls = 0;
    do {
      std::vector<std::string> cmd = {"SCAN", cursor};
      cmd.insert(cmd.end(), options.begin(), options.end());
      std::vector<std::string> keys;
      ParseScan(Cmd(cmd), &cursor, &keys);
      for (const auto& k : keys) ++seen[k];
      ++*calls;
    } while (cursor != "0" && *calls < 100000);
    return seen;
  }
};

TEST_F(KeyCommandsTest, DelExists) {
  EXPECT_EQ(Cmd({"MSET", "a", "1", "b", "2", "c", "3"}), kOk);
  EXPECT_EQ(Cmd({"EXISTS", "a", "a", "b", "x"}), Int(3));
  EXPECT_EQ(Cmd({"DEL", "a", "b", "x", "a"}), Int(2));
  EXPECT_EQ(Cmd({"EXISTS", "a", "b", "c"}), Int(1));
  EXPECT_EQ(Cmd({"UNLINK", "c"}), Int(1));
  EXPECT_EQ(Cmd({"SET", "e", "v", "PX", "1"}), kOk);
  backend_.AdvanceMs(1);
  EXPECT_EQ(Cmd({"EXISTS", "e"}), Int(0));
  EXPECT_EQ(Cmd({"DEL", "e"}), Int(0));  // expired: removed, not counted
  EXPECT_TRUE(backend_.Snapshot().empty());
  EXPECT_EQ(Cmd({"TYPE", "e"}), "+none\r\n");
  EXPECT_EQ(Cmd({"SET", "e", "v"}), kOk);
  EXPECT_EQ(Cmd({"TYPE", "e"}), "+string\r\n");
}

TEST_F(KeyCommandsTest, ExpireTtlPersist) {
  EXPECT_EQ(Cmd({"EXPIRE", "k", "10"}), Int(0));
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(-2));
  EXPECT_EQ(Cmd({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(-1));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "10"}), Int(1));
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(10));
  EXPECT_EQ(Cmd({"PEXPIRE", "k", "2500"}), Int(1));
  EXPECT_EQ(Cmd({"PTTL", "k"}), Int(2500));
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(3));
  EXPECT_EQ(Cmd({"PERSIST", "k"}), Int(1));
  EXPECT_EQ(Cmd({"PERSIST", "k"}), Int(0));
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(-1));
  int64_t now = backend_.NowMs();
  EXPECT_EQ(Cmd({"PEXPIREAT", "k", std::to_string(now + 700)}), Int(1));
  EXPECT_EQ(Cmd({"PTTL", "k"}), Int(700));
  EXPECT_EQ(Cmd({"EXPIREAT", "k", std::to_string(now / 1000 + 100)}), Int(1));
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("v"));
  backend_.AdvanceMs(100 * 1000);
  EXPECT_EQ(Cmd({"GET", "k"}), kNil);
  EXPECT_EQ(Cmd({"PERSIST", "k"}), Int(0));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "x"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "9223372036854775807"}),
            Err("ERR invalid expire time in 'expire' command"));
}

TEST_F(KeyCommandsTest, ExpireInThePastDeletes) {
  EXPECT_EQ(Cmd({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Cmd({"EXPIRE", "k", "0"}), Int(1));
  EXPECT_TRUE(backend_.Snapshot().empty());
  EXPECT_EQ(Cmd({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Cmd({"PEXPIRE", "k", "-5"}), Int(1));
  EXPECT_EQ(Cmd({"EXISTS", "k"}), Int(0));
}

TEST_F(KeyCommandsTest, ExpireConditions) {
  EXPECT_EQ(Cmd({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Cmd({"EXPIRE", "k", "10", "XX"}), Int(0));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "10", "GT"}), Int(0));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "10", "NX"}), Int(1));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "20", "NX"}), Int(0));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "5", "GT"}), Int(0));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "20", "GT"}), Int(1));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "30", "LT"}), Int(0));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "15", "LT"}), Int(1));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "16", "XX"}), Int(1));
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(16));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "1", "NX", "XX"}),
            Err("ERR NX and XX, GT or LT options at the same time are not compatible"));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "1", "GT", "LT"}),
            Err("ERR GT and LT options at the same time are not compatible"));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "1", "FOO"}), Err("ERR Unsupported option FOO"));
}

TEST_F(KeyCommandsTest, KeysAndDbSize) {
  EXPECT_EQ(Cmd({"KEYS", "*"}), "*0\r\n");
  EXPECT_EQ(Cmd({"MSET", "user:1", "a", "user:2", "b", "item:1", "c"}), kOk);
  EXPECT_EQ(Cmd({"SET", "user:3", "x", "PX", "1"}), kOk);
  backend_.AdvanceMs(1);
  EXPECT_EQ(Cmd({"KEYS", "user:*"}), Array({Bulk("user:1"), Bulk("user:2")}));
  EXPECT_EQ(Cmd({"KEYS", "*:1"}), Array({Bulk("item:1"), Bulk("user:1")}));
  EXPECT_EQ(Cmd({"KEYS", "nothing*"}), "*0\r\n");
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(4));  // the expired key is not swept yet
  backend_.RawPut("native-key", "x");  // outside the namespace: invisible
  backend_.RawPut(
      "\xff"
      "s",
      "x");
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(4));
  EXPECT_EQ(Cmd({"KEYS", "*"}).substr(0, 4), "*3\r\n");
}

TEST_F(KeyCommandsTest, ScanCoversEveryKeyExactlyOnce) {
  std::set<std::string> all, matching;
  for (int i = 0; i < 500; ++i) {
    std::string k = (i % 3 == 0 ? "even:" : "odd:") + std::to_string(i);
    EXPECT_EQ(Cmd({"SET", k, "v"}), kOk);
    all.insert(k);
    if (i % 3 == 0) matching.insert(k);
  }
  EXPECT_EQ(Cmd({"SET", "gone", "v", "PX", "1"}), kOk);
  backend_.AdvanceMs(1);
  for (std::vector<std::string> opts :
       {std::vector<std::string>{}, std::vector<std::string>{"COUNT", "7"},
        std::vector<std::string>{"COUNT", "1000"}}) {
    int calls = 0;
    auto seen = ScanAll(opts, &calls);
    EXPECT_EQ(seen.size(), all.size());
    for (const auto& [k, n] : seen) {
      EXPECT_EQ(n, 1) << k;
      EXPECT_TRUE(all.contains(k)) << k;
    }
  }
  int calls = 0;
  auto seen = ScanAll({"MATCH", "even:*", "COUNT", "13"}, &calls);
  EXPECT_EQ(seen.size(), matching.size());
  for (const auto& [k, n] : seen) EXPECT_TRUE(matching.contains(k) && n == 1) << k;
  seen = ScanAll({"MATCH", "*:1?", "COUNT", "5"}, &calls);
  EXPECT_EQ(seen.size(), 10u);  // 10..19
  seen = ScanAll({"TYPE", "hash"}, &calls);
  EXPECT_TRUE(seen.empty());
}

TEST_F(KeyCommandsTest, ScanCursorsAndErrors) {
  EXPECT_EQ(Cmd({"SCAN", "0"}), Array({Bulk("0"), "*0\r\n"}));
  EXPECT_EQ(Cmd({"SCAN", "x"}), Err("ERR invalid cursor"));
  EXPECT_EQ(Cmd({"SCAN", "12345"}), Err("ERR invalid cursor"));
  EXPECT_EQ(Cmd({"SCAN", "0", "COUNT", "0"}), Err("ERR syntax error"));
  EXPECT_EQ(Cmd({"SCAN", "0", "COUNT"}), Err("ERR syntax error"));
  EXPECT_EQ(Cmd({"SCAN", "0", "FOO", "1"}), Err("ERR syntax error"));
  // Keys written and deleted between calls: the scan still ends and returns no key twice.
  for (int i = 0; i < 30; ++i) EXPECT_EQ(Cmd({"SET", "k" + std::to_string(100 + i), "v"}), kOk);
  std::string cursor;
  std::vector<std::string> keys;
  ParseScan(Cmd({"SCAN", "0", "COUNT", "10"}), &cursor, &keys);
  ASSERT_EQ(keys.size(), 10u);
  EXPECT_NE(cursor, "0");
  EXPECT_EQ(Cmd({"DEL", "k100", "k111"}), Int(2));  // k100 was returned, k111 not yet
  EXPECT_EQ(Cmd({"SET", "k000", "v"}), kOk);        // before the cursor: not seen
  std::set<std::string> rest;
  int guard = 0;
  while (cursor != "0" && ++guard < 100) {
    ParseScan(Cmd({"SCAN", cursor, "COUNT", "10"}), &cursor, &keys);
    for (const auto& k : keys) EXPECT_TRUE(rest.insert(k).second) << k;
  }
  EXPECT_EQ(rest.size(), 19u);
  EXPECT_FALSE(rest.contains("k111"));
}

TEST(ScanCursorsTest, Bounded) {
  ScanCursors c(2);
  uint64_t a = c.Save("a"), b = c.Save("b"), d = c.Save("d");
  std::string k;
  EXPECT_FALSE(c.Lookup(a, &k));
  ASSERT_TRUE(c.Lookup(b, &k));
  EXPECT_EQ(k, "b");
  ASSERT_TRUE(c.Lookup(d, &k));
  EXPECT_EQ(k, "d");
  EXPECT_LT(d, uint64_t{1} << 62);
  EXPECT_NE(d, 0u);
}

TEST_F(KeyCommandsTest, SweepDeletesOnlyExpired) {
  for (int i = 0; i < 40; ++i) {
    std::vector<std::string> cmd = {"SET", "k" + std::to_string(i), "v"};
    if (i % 2 == 0) cmd.insert(cmd.end(), {"PX", "10"});
    EXPECT_EQ(Cmd(cmd), kOk);
  }
  backend_.RawPut(
      "\xff"
      "r"
      "corrupt",
      "\x09");
  backend_.AdvanceMs(10);
  SweepResult r;
  std::string resume;
  size_t deleted = 0, rounds = 0;
  do {
    ASSERT_TRUE(SweepExpired(&backend_, 7, resume, &r).ok());
    deleted += r.deleted;
    resume = r.resume_after;
    ++rounds;
  } while (!resume.empty() && rounds < 100);
  EXPECT_EQ(deleted, 20u);
  EXPECT_EQ(rounds, 6u);  // 41 keys, 7 per round
  EXPECT_EQ(backend_.Snapshot().size(), 21u);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(21));
}

// A backend that rewrites a key just before the sweeper's compare-and-swap lands.
class RacingBackend : public MemoryBackend {
 public:
  Status CompareAndSwap(std::string_view key, const std::optional<std::string>& expected,
                        const std::optional<std::string>& desired, bool* succeeded,
                        std::optional<std::string>* previous) override {
    RawPut(std::string(key), EncodeValue("fresh", 0));
    return MemoryBackend::CompareAndSwap(key, expected, desired, succeeded, previous);
  }
};

TEST(SweepTest, KeepsKeysRewrittenMeanwhile) {
  RacingBackend backend;
  backend.RawPut(EncodeKey("k"), EncodeValue("old", backend.NowMs() - 1));
  SweepResult r;
  ASSERT_TRUE(SweepExpired(&backend, 10, "", &r).ok());
  EXPECT_EQ(r.examined, 1u);
  EXPECT_EQ(r.deleted, 0u);
  EXPECT_EQ(backend.Snapshot().at(EncodeKey("k")), EncodeValue("fresh", 0));
}

TEST(KeyspaceTest, KeyAfterAndPatternRange) {
  std::string next, lo, hi;
  ASSERT_TRUE(KeyAfter("abc", &next));
  EXPECT_EQ(next, std::string("abc\0", 4));
  std::string longest = std::string(kKeyPrefix) + std::string(kMaxRedisKeyBytes, 'a');
  ASSERT_TRUE(KeyAfter(longest, &next));
  EXPECT_LE(next.size(), kMaxStoreKeyBytes);
  EXPECT_GT(next, longest);
  ASSERT_TRUE(PatternRange("user:*", &lo, &hi));
  EXPECT_EQ(lo, "\xffruser:");
  EXPECT_EQ(hi, "\xffruser;");
  ASSERT_TRUE(PatternRange("*", &lo, &hi));
  EXPECT_EQ(lo, std::string(kKeyPrefix));
  EXPECT_EQ(hi, std::string(kKeyPrefixEnd));
  EXPECT_FALSE(PatternRange(std::string(kMaxRedisKeyBytes + 1, 'a') + "*", &lo, &hi));
}

}  // namespace
}  // namespace tessera::redis

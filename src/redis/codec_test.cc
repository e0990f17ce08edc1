#include "redis/codec.h"

#include <gtest/gtest.h>

#include <string>

#include "redis/glob.h"

namespace tessera::redis {
namespace {

using namespace std::string_literals;

TEST(CodecTest, KeysLiveUnderTheirPrefix) {
  EXPECT_EQ(EncodeKey("foo"), std::string("\xffrfoo"));
  std::string_view k;
  std::string stored = EncodeKey("foo");
  ASSERT_TRUE(DecodeKey(stored, &k));
  EXPECT_EQ(k, "foo");
  EXPECT_FALSE(DecodeKey("foo", &k));
  EXPECT_FALSE(DecodeKey("\xffs", &k));
  EXPECT_EQ(EncodeKey(std::string(kMaxRedisKeyBytes, 'x')).size(), kMaxStoreKeyBytes);
  EXPECT_LT(EncodeKey(std::string(kMaxRedisKeyBytes, '\xff')), std::string(kKeyPrefixEnd));
}

TEST(CodecTest, ValuesRoundTrip) {
  for (int64_t expiry : {int64_t{0}, int64_t{1}, int64_t{1'700'000'000'123}, INT64_MAX}) {
    for (std::string payload : {std::string(), std::string("v"), "\x01\x02\0"s}) {
      std::string stored = EncodeValue(payload, expiry);
      DecodedValue d;
      ASSERT_TRUE(DecodeValue(stored, &d).ok());
      EXPECT_EQ(d.payload, payload);
      EXPECT_EQ(d.expire_at_ms, expiry);
      EXPECT_EQ(stored.size(), payload.size() + (expiry == 0 ? 1 : 9));
    }
  }
}

TEST(CodecTest, LayoutIsStable) {
  EXPECT_EQ(EncodeValue("ab", 0), std::string("\x01"
                                              "ab"));
  EXPECT_EQ(EncodeValue("ab", 0x0102), "\x02\x02\x01\0\0\0\0\0\0ab"s);
}

TEST(CodecTest, MalformedValuesAreCorrupt) {
  DecodedValue d;
  for (std::string bad : {std::string(), "\x00"s, std::string("\x03x"), std::string("\x02\x01\x02"),
                          "\x02\0\0\0\0\0\0\0\0"s, "\x02\xff\xff\xff\xff\xff\xff\xff\xff"s}) {
    Status st = DecodeValue(bad, &d);
    EXPECT_TRUE(st.Is(Status::Code::kCorruption)) << st.ToString();
  }
}

TEST(CodecTest, Expiry) {
  DecodedValue d;
  d.expire_at_ms = 0;
  EXPECT_FALSE(d.ExpiredAt(INT64_MAX));
  d.expire_at_ms = 100;
  EXPECT_FALSE(d.ExpiredAt(99));
  EXPECT_TRUE(d.ExpiredAt(100));
}

TEST(GlobTest, RedisPatterns) {
  struct Case {
    const char* pattern;
    const char* s;
    bool match;
  };
  Case cases[] = {
      {"*", "", true},
      {"*", "abc", true},
      {"a*", "abc", true},
      {"a*", "bac", false},
      {"*c", "abc", true},
      {"a*c", "ac", true},
      {"a?c", "abc", true},
      {"a?c", "ac", false},
      {"[abc]x", "bx", true},
      {"[abc]x", "dx", false},
      {"[^abc]x", "dx", true},
      {"[^abc]x", "ax", false},
      {"[a-c]", "b", true},
      {"[c-a]", "b", true},
      {"[a-c]", "d", false},
      {"\\*", "*", true},
      {"\\*", "a", false},
      {"[\\]]", "]", true},
      {"h*llo*", "hello world", true},
      {"**a", "xa", true},
      {"[ab", "a", true},
      {"user:*:id", "user:42:id", true},
      {"user:*:id", "user:42:name", false},
      {"a*b*c*d*e*f*g*h*i*j*k", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.s), c.match) << c.pattern << " " << c.s;
  }
  EXPECT_EQ(GlobLiteralPrefix("user:*"), "user:");
  EXPECT_EQ(GlobLiteralPrefix("abc"), "abc");
  EXPECT_EQ(GlobLiteralPrefix("a\\*"), "a");
  EXPECT_EQ(GlobLiteralPrefix("[a]"), "");
}

}  // namespace
}  // namespace tessera::redis

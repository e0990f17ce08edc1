#include "common/coding.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace tessera {
namespace {

TEST(CodingTest, FixedRoundTrip) {
  std::string s;
  PutFixed32(&s, 0xdeadbeef);
  PutFixed64(&s, 0x0123456789abcdefULL);
  ASSERT_EQ(s.size(), 12u);
  EXPECT_EQ(static_cast<unsigned char>(s[0]), 0xef);  // little-endian
  std::string_view in(s);
  uint32_t a = 0;
  uint64_t b = 0;
  ASSERT_TRUE(GetFixed32(&in, &a));
  ASSERT_TRUE(GetFixed64(&in, &b));
  EXPECT_EQ(a, 0xdeadbeefu);
  EXPECT_EQ(b, 0x0123456789abcdefULL);
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(GetFixed32(&in, &a));
}

TEST(CodingTest, VarintRoundTripAndLength) {
  const std::vector<uint64_t> values = {0,          1,
                                        127,        128,
                                        300,        16383,
                                        16384,      (1ULL << 32) - 1,
                                        1ULL << 32, std::numeric_limits<uint64_t>::max()};
  std::string s;
  for (uint64_t v : values) {
    size_t before = s.size();
    PutVarint64(&s, v);
    EXPECT_EQ(s.size() - before, static_cast<size_t>(VarintLength(v))) << v;
  }
  std::string_view in(s);
  for (uint64_t v : values) {
    uint64_t got = 0;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, VarintRejectsTruncatedAndOverlong) {
  std::string s;
  PutVarint64(&s, 1ULL << 40);
  std::string_view truncated(s.data(), s.size() - 1);
  uint64_t v = 0;
  EXPECT_FALSE(GetVarint64(&truncated, &v));
  std::string overlong(11, '\xff');
  std::string_view in(overlong);
  EXPECT_FALSE(GetVarint64(&in, &v));
  std::string big;
  PutVarint64(&big, 1ULL << 33);
  std::string_view in32(big);
  uint32_t v32 = 0;
  EXPECT_FALSE(GetVarint32(&in32, &v32));
}

TEST(CodingTest, LengthPrefixedRejectsShortInput) {
  std::string s;
  PutLengthPrefixed(&s, "hello");
  std::string_view in(s);
  std::string_view out;
  ASSERT_TRUE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ(out, "hello");
  std::string_view bad(s.data(), 3);
  EXPECT_FALSE(GetLengthPrefixed(&bad, &out));
}

TEST(CodingTest, BigEndianPreservesOrder) {
  std::string a, b;
  PutBigEndian64(&a, 255);
  PutBigEndian64(&b, 256);
  EXPECT_LT(a, b);
  std::string_view in(b);
  uint64_t v = 0;
  ASSERT_TRUE(GetBigEndian64(&in, &v));
  EXPECT_EQ(v, 256u);
}

}  // namespace
}  // namespace tessera

#include "common/checksum.h"

#include <gtest/gtest.h>

namespace tessera {
namespace {

TEST(ChecksumTest, DetectsChangeAndIsIncremental) {
  std::string data = "tessera shard 1 index 42";
  uint64_t c = Checksum64(data);
  std::string flipped = data;
  flipped[3] ^= 1;
  EXPECT_NE(c, Checksum64(flipped));
  EXPECT_NE(c, Checksum64(data, 1));
  Checksummer inc;
  inc.Update(std::string_view(data).substr(0, 5));
  inc.Update(std::string_view(data).substr(5));
  EXPECT_EQ(inc.Digest(), c);
  EXPECT_EQ(Checksum32(data), static_cast<uint32_t>(c));
}

}  // namespace
}  // namespace tessera

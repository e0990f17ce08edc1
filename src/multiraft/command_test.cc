#include "multiraft/command.h"

#include <gtest/gtest.h>

namespace tessera::multiraft {
namespace {

// Every op type and flag survives an encode/decode round trip.
TEST(WriteCommandCodec, RoundTripsEveryOp) {
  WriteCommand cmd;
  cmd.epoch = Epoch{3, 7};
  cmd.proposed_revision = 123456789;
  cmd.ops.push_back(WriteOp{WriteOp::Type::kPut, "k", std::string("v\0v", 3)});
  cmd.ops.push_back(WriteOp{WriteOp::Type::kDelete, "d"});
  WriteOp range{WriteOp::Type::kDeleteRange, "a", {}, "b"};
  range.want_previous = true;
  cmd.ops.push_back(range);
  cmd.ops.push_back(WriteOp{WriteOp::Type::kCompareAndSwap, "c", "new", {}, "old", true});
  WriteOp put{WriteOp::Type::kPutVersioned, "p", "pv"};
  put.want_previous = true;
  cmd.ops.push_back(put);
  WriteOp mod{WriteOp::Type::kAssertModRevision, "m"};
  mod.revision = 42;
  cmd.ops.push_back(mod);
  WriteOp since{WriteOp::Type::kAssertUnchangedSince, "s", {}, "t"};
  since.revision = 9;
  cmd.ops.push_back(since);
  auto decoded = DecodeWriteCommand(EncodeWriteCommand(cmd));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, cmd);
  EXPECT_EQ(PeekCommandKind(EncodeWriteCommand(cmd)), CommandKind::kWrite);
}

// Commands written by the first format (before revisions) still decode, with no proposed
// revision; malformed input is Corruption, never a crash.
TEST(WriteCommandCodec, DecodesVersionOneAndRefusesGarbage) {
  // v1: tag 1, conf_version 0, version 2, one put "k" -> "v".
  const std::string v1("\x01\x00\x02\x01\x01\x01k\x01v", 9);
  auto decoded = DecodeWriteCommand(v1);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->epoch.version, 2u);
  EXPECT_EQ(decoded->proposed_revision, 0u);
  ASSERT_EQ(decoded->ops.size(), 1u);
  EXPECT_EQ(decoded->ops[0].value, "v");
  // A v1 command cannot carry the newer op types.
  const std::string v1_versioned("\x01\x00\x02\x01\x05\x01k\x01v", 9);
  EXPECT_TRUE(DecodeWriteCommand(v1_versioned).status().Is(Status::Code::kCorruption));
  WriteCommand cmd{{}, {WriteOp{WriteOp::Type::kPutVersioned, "k", "v"}}};
  const std::string good = EncodeWriteCommand(cmd);
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(DecodeWriteCommand(good.substr(0, n)).ok()) << "truncated at " << n;
  }
  std::string bad_flag = good;
  bad_flag.back() = 7;
  EXPECT_TRUE(DecodeWriteCommand(bad_flag).status().Is(Status::Code::kCorruption));
}

}  // namespace
}  // namespace tessera::multiraft

#include "multiraft/apply.h"

#include <gtest/gtest.h>

#include "storage/memory_engine.h"

namespace tessera::multiraft {
namespace {

WriteOp Put(std::string k, std::string v) {
  return WriteOp{WriteOp::Type::kPut, std::move(k), std::move(v), {}, {}, false};
}
WriteOp Cas(std::string k, std::optional<std::string> expected, std::string v) {
  return WriteOp{
      WriteOp::Type::kCompareAndSwap, std::move(k), std::move(v), {}, std::move(expected), false};
}

// Compare-and-swap inside one apply batch sees the batch's own earlier writes, and a refused
// command changes nothing.
TEST(ApplyBatch, CompareAndSwapSeesEarlierWritesOfTheSameBatch) {
  auto engine = storage::OpenMemoryEngine();
  ASSERT_TRUE(engine.ok());
  ShardDescriptor d;
  d.id = ShardId(1);
  d.end_key = "m";
  ApplyBatch b(engine->get());
  std::vector<OpResult> r;
  ASSERT_TRUE(b.ApplyWrite(d, WriteCommand{{}, {Put("a", "1")}}, &r).ok());
  ASSERT_TRUE(b.ApplyWrite(d, WriteCommand{{}, {Cas("a", "1", "2")}}, &r).ok());
  EXPECT_TRUE(r[0].succeeded);
  ASSERT_TRUE(b.ApplyWrite(d, WriteCommand{{}, {Cas("a", "1", "3")}}, &r).ok());
  EXPECT_FALSE(r[0].succeeded);
  EXPECT_EQ(r[0].previous, "2");
  WriteOp range{WriteOp::Type::kDeleteRange, "a", {}, "b", {}, false};
  ASSERT_TRUE(b.ApplyWrite(d, WriteCommand{{}, {range}}, &r).ok());
  ASSERT_TRUE(b.ApplyWrite(d, WriteCommand{{}, {Cas("a", std::nullopt, "4")}}, &r).ok());
  EXPECT_TRUE(r[0].succeeded);
  // Refused: a key outside the shard, and a stale epoch; neither writes anything.
  EXPECT_TRUE(b.ApplyWrite(d, WriteCommand{{}, {Put("c", "x"), Put("z", "x")}}, &r)
                  .Is(Status::Code::kKeyNotInShard));
  EXPECT_TRUE(
      b.ApplyWrite(d, WriteCommand{{0, 1}, {Put("c", "x")}}, &r).Is(Status::Code::kEpochNotMatch));
  ASSERT_TRUE(b.Commit().ok());
  EXPECT_EQ((*engine)->Get(storage::Cf::kData, "a").value(), "4");
  EXPECT_TRUE((*engine)->Get(storage::Cf::kData, "c").status().Is(Status::Code::kNotFound));
}

}  // namespace
}  // namespace tessera::multiraft

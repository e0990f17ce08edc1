#include "multiraft/apply.h"

#include <gtest/gtest.h>

#include "multiraft/versioned_value.h"
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
  uint64_t rev = 0;
  auto apply = [&](const WriteCommand& cmd) { return b.ApplyWrite(d, cmd, &rev, &r); };
  ASSERT_TRUE(apply(WriteCommand{{}, {Put("a", "1")}}).ok());
  ASSERT_TRUE(apply(WriteCommand{{}, {Cas("a", "1", "2")}}).ok());
  EXPECT_TRUE(r[0].succeeded);
  ASSERT_TRUE(apply(WriteCommand{{}, {Cas("a", "1", "3")}}).ok());
  EXPECT_FALSE(r[0].succeeded);
  EXPECT_EQ(r[0].previous, "2");
  WriteOp range{WriteOp::Type::kDeleteRange, "a", {}, "b", {}, false};
  ASSERT_TRUE(apply(WriteCommand{{}, {range}}).ok());
  ASSERT_TRUE(apply(WriteCommand{{}, {Cas("a", std::nullopt, "4")}}).ok());
  EXPECT_TRUE(r[0].succeeded);
  // Refused: a key outside the shard, and a stale epoch; neither writes anything.
  const uint64_t before = rev;
  EXPECT_TRUE(
      apply(WriteCommand{{}, {Put("c", "x"), Put("z", "x")}}).Is(Status::Code::kKeyNotInShard));
  EXPECT_TRUE(apply(WriteCommand{{0, 1}, {Put("c", "x")}}).Is(Status::Code::kEpochNotMatch));
  EXPECT_EQ(rev, before) << "a refused command takes no revision";
  ASSERT_TRUE(b.Commit().ok());
  EXPECT_EQ((*engine)->Get(storage::Cf::kData, "a").value(), "4");
  EXPECT_TRUE((*engine)->Get(storage::Cf::kData, "c").status().Is(Status::Code::kNotFound));
}

// Reads during an apply round follow the order of the round's own writes: a put after a range
// delete is seen, a range delete after a put hides it, and once committed the engine answers.
TEST(ApplyBatch, ReadsFollowTheOrderOfTheRoundsWrites) {
  auto engine = storage::OpenMemoryEngine();
  ASSERT_TRUE(engine.ok());
  ShardDescriptor d;
  d.id = ShardId(1);
  ApplyBatch b(engine->get());
  std::vector<OpResult> r;
  uint64_t rev = 0;
  auto apply = [&](WriteOp op) {
    return b.ApplyWrite(d, WriteCommand{{}, {std::move(op)}}, &rev, &r);
  };
  const WriteOp range{WriteOp::Type::kDeleteRange, "a", {}, "c", {}, false};
  ASSERT_TRUE(apply(Put("a", "1")).ok());
  ASSERT_TRUE(apply(range).ok());
  ASSERT_TRUE(apply(Cas("a", std::nullopt, "2")).ok());
  EXPECT_TRUE(r[0].succeeded) << "the range delete came after the put";
  ASSERT_TRUE(apply(Cas("a", "2", "3")).ok());
  EXPECT_TRUE(r[0].succeeded) << "the CAS's put came after the range delete";
  ASSERT_TRUE(apply(WriteOp{WriteOp::Type::kDelete, "a"}).ok());
  ASSERT_TRUE(apply(Cas("a", "3", "x")).ok());
  EXPECT_FALSE(r[0].succeeded);
  EXPECT_EQ(r[0].previous, std::nullopt);
  ASSERT_TRUE(apply(Put("b", "1")).ok());
  ASSERT_TRUE(apply(Put("z", "9")).ok());  // outside the range delete
  ASSERT_TRUE(apply(range).ok());
  ASSERT_TRUE(apply(Cas("z", "9", "10")).ok());
  EXPECT_TRUE(r[0].succeeded);
  ASSERT_TRUE(b.Commit().ok());
  // A new round: nothing of the last one is left in the batch; the engine has it all.
  ASSERT_TRUE(apply(Cas("b", std::nullopt, "2")).ok());
  EXPECT_TRUE(r[0].succeeded);
  ASSERT_TRUE(apply(Cas("z", "10", "11")).ok());
  EXPECT_TRUE(r[0].succeeded);
  ASSERT_TRUE(b.Commit().ok());
  EXPECT_EQ((*engine)->Get(storage::Cf::kData, "b").value(), "2");
  EXPECT_EQ((*engine)->Get(storage::Cf::kData, "z").value(), "11");
  EXPECT_TRUE((*engine)->Get(storage::Cf::kData, "a").status().Is(Status::Code::kNotFound));
}

WriteOp PutV(std::string k, std::string v, bool want_previous = false) {
  WriteOp op{WriteOp::Type::kPutVersioned, std::move(k), std::move(v)};
  op.want_previous = want_previous;
  return op;
}
WriteOp AssertMod(std::string k, uint64_t revision) {
  WriteOp op{WriteOp::Type::kAssertModRevision, std::move(k)};
  op.revision = revision;
  return op;
}
WriteOp AssertUnchanged(uint64_t revision) {
  WriteOp op{WriteOp::Type::kAssertUnchangedSince, "a"};
  op.end_key = "m";
  op.revision = revision;
  return op;
}

class VersionedApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = storage::OpenMemoryEngine();
    ASSERT_TRUE(e.ok());
    engine_ = std::move(e).value();
    batch_ = std::make_unique<ApplyBatch>(engine_.get());
    desc_.id = ShardId(1);
    desc_.end_key = "m";
  }
  Status Apply(std::vector<WriteOp> ops, uint64_t proposed = 0) {
    WriteCommand cmd{{}, std::move(ops)};
    cmd.proposed_revision = proposed;
    return batch_->ApplyWrite(desc_, cmd, &revision_, &results_);
  }
  VersionedValue Stored(const std::string& key) {
    auto raw = engine_->Get(storage::Cf::kData, key);
    EXPECT_TRUE(raw.ok()) << key;
    held_ = raw.ok() ? *raw : "";
    auto v = DecodeVersionedValue(held_);
    EXPECT_TRUE(v.has_value()) << key;
    return v.value_or(VersionedValue{});
  }

  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<ApplyBatch> batch_;
  ShardDescriptor desc_;
  uint64_t revision_ = 0;
  std::vector<OpResult> results_;
  std::string held_;
};

// Revisions: max(shard revision + 1, proposed); create revision and version follow the key's
// history, and a delete starts it over.
TEST_F(VersionedApplyTest, PutVersionedStampsRevisionsInLogOrder) {
  ASSERT_TRUE(Apply({PutV("a", "1")}, /*proposed=*/100).ok());
  EXPECT_EQ(revision_, 100u);
  ASSERT_TRUE(Apply({PutV("a", "2", true)}, /*proposed=*/50).ok());  // a clock behind
  EXPECT_EQ(revision_, 101u);
  ASSERT_TRUE(results_[0].previous.has_value());
  EXPECT_EQ(DecodeVersionedValue(*results_[0].previous)->payload, "1");
  ASSERT_TRUE(batch_->Commit().ok());
  VersionedValue v = Stored("a");
  EXPECT_EQ(v.create_revision, 100u);
  EXPECT_EQ(v.mod_revision, 101u);
  EXPECT_EQ(v.version, 2u);
  EXPECT_EQ(v.payload, "2");
  ASSERT_TRUE(Apply({WriteOp{WriteOp::Type::kDelete, "a"}}).ok());
  EXPECT_EQ(revision_, 102u);
  ASSERT_TRUE(Apply({PutV("a", "3", true)}, 200).ok());
  EXPECT_FALSE(results_[0].previous.has_value()) << "the delete in the same batch is seen";
  ASSERT_TRUE(batch_->Commit().ok());
  v = Stored("a");
  EXPECT_EQ(v.create_revision, 200u);
  EXPECT_EQ(v.version, 1u);
  // A value written by another API is not versioned: it counts as absent.
  ASSERT_TRUE(Apply({Put("b", "raw")}).ok());
  ASSERT_TRUE(Apply({PutV("b", "x")}).ok());
  ASSERT_TRUE(batch_->Commit().ok());
  EXPECT_EQ(Stored("b").version, 1u);
}

// A failed assertion changes nothing, not even the revision; assertions alone take no revision.
TEST_F(VersionedApplyTest, AssertionsGuardTheWholeCommand) {
  ASSERT_TRUE(Apply({PutV("a", "1")}, 10).ok());
  ASSERT_TRUE(Apply({AssertMod("a", 10), AssertMod("b", 0), PutV("b", "2")}).ok());
  EXPECT_TRUE(results_[0].succeeded && results_[1].succeeded);
  EXPECT_EQ(revision_, 11u);
  ASSERT_TRUE(Apply({AssertMod("a", 10), PutV("a", "lost"), AssertMod("b", 0)}).ok());
  EXPECT_TRUE(results_[0].succeeded);
  EXPECT_FALSE(results_[2].succeeded) << "b exists now";
  EXPECT_EQ(revision_, 11u);
  ASSERT_TRUE(Apply({AssertUnchanged(10), PutV("c", "lost")}).ok());
  EXPECT_FALSE(results_[0].succeeded);
  ASSERT_TRUE(Apply({AssertUnchanged(11)}).ok());
  EXPECT_TRUE(results_[0].succeeded);
  EXPECT_EQ(revision_, 11u);
  ASSERT_TRUE(batch_->Commit().ok());
  EXPECT_EQ(Stored("a").payload, "1");
  EXPECT_TRUE(engine_->Get(storage::Cf::kData, "c").status().Is(Status::Code::kNotFound));
  // An assertion's range must lie in the shard.
  WriteOp outside = AssertUnchanged(11);
  outside.end_key = "z";
  EXPECT_TRUE(Apply({outside}).Is(Status::Code::kKeyNotInShard));
}

// A range delete reports the pairs it deleted as the batch leaves them (engine + earlier writes).
TEST_F(VersionedApplyTest, DeleteRangeReportsWhatItDeleted) {
  ASSERT_TRUE(Apply({Put("a", "1"), Put("b", "2"), Put("d", "4")}).ok());
  ASSERT_TRUE(batch_->Commit().ok());
  WriteOp del{WriteOp::Type::kDeleteRange, "a", {}, "c"};
  del.want_previous = true;
  ASSERT_TRUE(Apply({Put("bb", "3"), WriteOp{WriteOp::Type::kDelete, "a"}, del}).ok());
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(results_[2].deleted, (Pairs{{"b", "2"}, {"bb", "3"}}));
  del.end_key.clear();  // to the shard's end
  ASSERT_TRUE(Apply({del}).ok());
  EXPECT_EQ(results_[0].deleted, (Pairs{{"d", "4"}}));
}

}  // namespace
}  // namespace tessera::multiraft

#include "storage/write_batch.h"

#include <gtest/gtest.h>

#include <vector>

namespace tessera::storage {
namespace {

TEST(WriteBatchTest, RecordsOperationsInOrder) {
  WriteBatch b;
  ASSERT_TRUE(b.Put(Cf::kData, "k", "v").ok());
  ASSERT_TRUE(b.Delete(Cf::kRaft, "d").ok());
  ASSERT_TRUE(b.DeleteRange(Cf::kMeta, "", "z").ok());
  EXPECT_EQ(b.Count(), 3u);
  std::vector<std::string> seen;
  ASSERT_TRUE(b.ForEach([&](const BatchOp& op) {
                 seen.push_back(std::to_string(static_cast<int>(op.kind)) + ":" +
                                std::string(CfName(op.cf)) + ":" + std::string(op.key) + ":" +
                                std::string(op.value));
                 return Status::OK();
               }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"1:data:k:v", "2:raft:d:", "3:meta::z"}));
}

TEST(WriteBatchTest, ForEachFromVisitsOnlyWhatWasAddedSince) {
  WriteBatch b;
  std::vector<std::string> seen;
  const auto collect = [&](const BatchOp& op) {
    seen.push_back(std::string(op.key));
    return Status::OK();
  };
  size_t pos = 0;
  ASSERT_TRUE(b.ForEachFrom(&pos, collect).ok());
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(pos, 0u);
  ASSERT_TRUE(b.Put(Cf::kData, "a", "1").ok());
  ASSERT_TRUE(b.Put(Cf::kData, "b", "2").ok());
  ASSERT_TRUE(b.ForEachFrom(&pos, collect).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(pos, b.ByteSize());
  ASSERT_TRUE(b.Delete(Cf::kData, "c").ok());
  ASSERT_TRUE(b.ForEachFrom(&pos, collect).ok());
  ASSERT_TRUE(b.ForEachFrom(&pos, collect).ok());  // nothing new: nothing visited
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(WriteBatchTest, AppendBatchKeepsOrderAndErrors) {
  WriteBatch a, b;
  ASSERT_TRUE(a.Put(Cf::kData, "a", "1").ok());
  ASSERT_TRUE(b.Delete(Cf::kMeta, "b").ok());
  ASSERT_TRUE(a.AppendBatch(b).ok());
  EXPECT_EQ(a.Count(), 2u);
  std::vector<std::string> keys;
  ASSERT_TRUE(a.ForEach([&](const BatchOp& op) {
                 keys.emplace_back(op.key);
                 return Status::OK();
               }).ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b"}));
  WriteBatch bad;
  EXPECT_FALSE(bad.Put(Cf::kData, "", "empty key").ok());
  EXPECT_FALSE(a.AppendBatch(bad).ok());
  EXPECT_FALSE(a.status().ok());
}

TEST(WriteBatchTest, ForEachStopsAtTheFirstError) {
  WriteBatch b;
  ASSERT_TRUE(b.Put(Cf::kData, "a", "").ok());
  ASSERT_TRUE(b.Put(Cf::kData, "b", "").ok());
  int calls = 0;
  const Status st = b.ForEach([&](const BatchOp&) {
    ++calls;
    return Status::Aborted("stop");
  });
  EXPECT_TRUE(st.Is(Status::Code::kAborted));
  EXPECT_EQ(calls, 1);
}

TEST(WriteBatchTest, FirstRejectionIsRememberedUntilClear) {
  WriteBatch b;
  EXPECT_TRUE(b.status().ok());
  EXPECT_TRUE(b.Put(Cf::kData, "", "v").Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(b.Put(Cf::kData, "ok", "v").ok());
  EXPECT_TRUE(
      b.Delete(Cf::kData, std::string(kMaxKeyBytes + 1, 'x')).Is(Status::Code::kInvalidArgument));
  EXPECT_EQ(b.Count(), 1u);
  EXPECT_TRUE(b.status().Is(Status::Code::kInvalidArgument));
  EXPECT_EQ(b.status().message(), "empty key");
  b.Clear();
  EXPECT_TRUE(b.status().ok());
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.ByteSize(), 0u);
}

TEST(WriteBatchTest, RangeBoundsAreChecked) {
  WriteBatch b;
  EXPECT_TRUE(b.DeleteRange(Cf::kData, "", "").ok());  // the whole Cf
  EXPECT_TRUE(b.DeleteRange(Cf::kData, "a", "").ok());
  EXPECT_TRUE(b.DeleteRange(Cf::kData, "b", "a").Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(b.DeleteRange(Cf::kData, std::string(kMaxKeyBytes + 1, 'a'), "")
                  .Is(Status::Code::kInvalidArgument));
}

}  // namespace
}  // namespace tessera::storage

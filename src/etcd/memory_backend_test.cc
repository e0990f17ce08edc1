// The in-memory twin: shards from split keys, per-shard revisions, the Atomic contract.
#include "etcd/memory_backend.h"

#include <gtest/gtest.h>

namespace tessera::etcd {
namespace {

Op Put(const std::string& key, const std::string& value) {
  return Op{Op::Kind::kPut, KeyRange{key, std::nullopt}, value, 0};
}

TEST(MemoryBackendTest, RevisionsArePerShard) {
  MemoryBackend b({"m"});
  AtomicResult r;
  ASSERT_TRUE(b.Atomic({Put("a", "1")}, &r).ok());
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.revision, 2);
  ASSERT_TRUE(b.Atomic({Put("b", "1")}, &r).ok());
  EXPECT_EQ(r.revision, 3);
  ASSERT_TRUE(b.Atomic({Put("x", "1")}, &r).ok());
  EXPECT_EQ(r.revision, 2);  // shard 1 counts on its own
  EXPECT_EQ(b.ShardRevision(0), 3);
  EXPECT_EQ(b.ShardRevision(1), 2);

  ReadResult read;
  ASSERT_TRUE(b.Read({"a", ""}, {}, &read).ok());
  EXPECT_EQ(read.revision, 3);  // the largest of the shards read
  EXPECT_EQ(read.count, 3);
}

TEST(MemoryBackendTest, AtomicAcrossShardsIsRefused) {
  MemoryBackend b({"m"});
  AtomicResult r;
  EXPECT_TRUE(b.Atomic({Put("a", "1"), Put("x", "1")}, &r).Is(Status::Code::kFailedPrecondition));
  Op del{Op::Kind::kDeleteRange, KeyRange{"a", "z"}, "", 0};
  EXPECT_TRUE(b.Atomic({del}, &r).Is(Status::Code::kFailedPrecondition));
  ReadResult read;
  ASSERT_TRUE(b.Read({"a", ""}, {}, &read).ok());
  EXPECT_EQ(read.count, 0);  // nothing applied
}

TEST(MemoryBackendTest, FailedAssertionChangesNothing) {
  MemoryBackend b;
  AtomicResult r;
  ASSERT_TRUE(b.Atomic({Put("a", "1")}, &r).ok());
  const int64_t rev = r.revision;
  Op stale{Op::Kind::kAssertModRevision, KeyRange{"a", std::nullopt}, "", rev - 1};
  ASSERT_TRUE(b.Atomic({stale, Put("a", "2")}, &r).ok());
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(r.revision, rev);
  EXPECT_TRUE(r.results.empty());

  Op fresh{Op::Kind::kAssertUnchangedSince, KeyRange{"a", "b"}, "", rev};
  ASSERT_TRUE(b.Atomic({fresh, Put("a", "2")}, &r).ok());
  EXPECT_TRUE(r.applied);
  ASSERT_EQ(r.results.size(), 2u);
  ASSERT_TRUE(r.results[1].previous.has_value());
  EXPECT_EQ(r.results[1].previous->value, "1");

  // Assertions alone do not write: the revision stays.
  Op absent{Op::Kind::kAssertModRevision, KeyRange{"zz", std::nullopt}, "", 0};
  const int64_t now = r.revision;
  ASSERT_TRUE(b.Atomic({absent}, &r).ok());
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.revision, now);
}

TEST(MemoryBackendTest, DeleteRangeGoesShardByShard) {
  MemoryBackend b({"m"});
  AtomicResult r;
  for (const char* k : {"a", "b", "x", "y"}) ASSERT_TRUE(b.Atomic({Put(k, "v")}, &r).ok());
  DeleteResult d;
  ASSERT_TRUE(b.DeleteRange({"b", "y"}, true, &d).ok());
  ASSERT_EQ(d.deleted.size(), 2u);
  EXPECT_EQ(d.deleted[0].key, "b");
  EXPECT_EQ(d.deleted[1].key, "x");
  EXPECT_EQ(d.deleted[1].value, "v");
  EXPECT_EQ(b.ShardRevision(0), 4);
  EXPECT_EQ(b.ShardRevision(1), 4);
  EXPECT_EQ(d.revision, 4);
}

TEST(MemoryBackendTest, RefusesBadInput) {
  MemoryBackend b({}, MemoryBackendLimits{4, 4});
  ReadResult read;
  EXPECT_TRUE(b.Read({"", std::nullopt}, {}, &read).Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(b.Read({"b", "a"}, {}, &read).Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(b.Read({"toolong", std::nullopt}, {}, &read).Is(Status::Code::kInvalidArgument));
  AtomicResult r;
  EXPECT_TRUE(b.Atomic({Put("a", "toolong")}, &r).Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(b.Atomic({}, &r).Is(Status::Code::kInvalidArgument));
}

}  // namespace
}  // namespace tessera::etcd

// Error paths that the conformance suite cannot reach through the Engine interface: fatal sync
// errors (death tests on the engines' error policies), a full LMDB map, and the lifetime
// assertion on engines closed under a live snapshot.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <lmdb.h>
#include <rocksdb/status.h>

#include <cerrno>

#include "storage/lmdb_engine.h"
#include "storage/lmdb_env.h"
#include "storage/memory_engine.h"
#include "storage/rocksdb_options.h"
#include "storage/test_util.h"

namespace tessera::storage {
namespace {

using testing::TempDir;

TEST(EngineErrorsDeathTest, RocksDbSyncWriteIoErrorIsFatal) {
  EXPECT_DEATH(
      (void)rocks::WriteError(rocksdb::Status::IOError("fsync failed"), /*sync=*/true, "write"),
      "never retried");
}

TEST(EngineErrorsTest, RocksDbNoSpaceAndUnsyncedErrorsAreStatuses) {
  EXPECT_TRUE(rocks::WriteError(rocksdb::Status::NoSpace("disk full"), /*sync=*/true, "write")
                  .Is(Status::Code::kIOError));
  EXPECT_TRUE(rocks::WriteError(rocksdb::Status::IOError("wal"), /*sync=*/false, "write")
                  .Is(Status::Code::kIOError));
  EXPECT_TRUE(rocks::WriteError(rocksdb::Status::Corruption("bad block"), /*sync=*/true, "ingest")
                  .Is(Status::Code::kCorruption));
}

TEST(EngineErrorsDeathTest, LmdbCommitIoErrorIsFatal) {
  EXPECT_DEATH((void)lmdb::CommitError(EIO, "sync write"), "never retried");
}

TEST(EngineErrorsTest, LmdbFullDiskOrMapIsAStatus) {
  EXPECT_TRUE(lmdb::CommitError(ENOSPC, "commit").Is(Status::Code::kIOError));
  EXPECT_TRUE(lmdb::CommitError(MDB_MAP_FULL, "commit").Is(Status::Code::kIOError));
}

TEST(EngineErrorsTest, LmdbMapFullFailsTheWriteAndKeepsEarlierData) {
  TempDir dir;
  LmdbOptions opts;
  opts.map_size_bytes = 1 << 20;
  auto engine_or = OpenLmdbEngine(dir.Sub("db"), opts);
  ASSERT_TRUE(engine_or.ok()) << engine_or.status().ToString();
  auto engine = std::move(engine_or).value();
  const std::string value(64 << 10, 'v');
  int written = 0;
  Status st;
  for (; written < 64; ++written) {  // 4 MiB in all: more than the map
    st = engine->Put(WriteOptions{.sync = true}, Cf::kData, fmt::format("k{:03}", written), value);
    if (!st.ok()) break;
  }
  ASSERT_TRUE(st.Is(Status::Code::kIOError)) << st.ToString();
  ASSERT_GT(written, 0);
  for (int i = 0; i < written; ++i) {
    auto v = engine->Get(Cf::kData, fmt::format("k{:03}", i));
    ASSERT_TRUE(v.ok()) << i;
    EXPECT_EQ(v->size(), value.size());
  }
  EXPECT_TRUE(
      engine->Get(Cf::kData, fmt::format("k{:03}", written)).status().Is(Status::Code::kNotFound));
  // The engine stays usable: freeing space makes room again. LMDB reuses the pages freed by a
  // commit only once no snapshot can see them: from the second commit after it on.
  ASSERT_OK(engine->DeleteRange(WriteOptions{.sync = true}, Cf::kData, "", ""));
  ASSERT_OK(engine->Put(WriteOptions{.sync = true}, Cf::kData, "small", "1"));
  ASSERT_OK(engine->Put(WriteOptions{.sync = true}, Cf::kData, "after", value));
}

TEST(EngineErrorsDeathTest, ClosingAnEngineUnderALiveSnapshotAborts) {
  EXPECT_DEATH(
      {
        auto engine = std::move(OpenMemoryEngine()).value();
        auto snap = std::move(engine->GetSnapshot()).value();
        engine.reset();
      },
      "Snapshot or Iterator");
}

}  // namespace
}  // namespace tessera::storage

// The memory engine's simulated machine crash (MemoryEngineOptions::track_durable_state,
// CrashLoseUnsynced): what survives is exactly the state as of the last durable write.
#include <gtest/gtest.h>

#include "storage/memory_engine.h"
#include "storage/write_batch.h"

namespace tessera::storage {
namespace {

constexpr WriteOptions kSync{.sync = true};
constexpr WriteOptions kNoSync{.sync = false};

std::unique_ptr<Engine> OpenTracking() {
  auto e = OpenMemoryEngine(MemoryEngineOptions{.track_durable_state = true});
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return std::move(e).value();
}

std::string GetOr(Engine& e, Cf cf, std::string_view key, std::string absent = "<absent>") {
  auto v = e.Get(cf, key);
  return v.ok() ? *v : absent;
}

TEST(MemoryEngineCrashTest, UnsyncedWritesAreLostSyncedOnesKept) {
  auto e = OpenTracking();
  ASSERT_TRUE(e->Put(kNoSync, Cf::kData, "a", "1").ok());
  ASSERT_TRUE(e->Put(kSync, Cf::kData, "b", "2").ok());  // makes "a" durable too (WAL order)
  ASSERT_TRUE(e->Put(kNoSync, Cf::kData, "c", "3").ok());
  ASSERT_TRUE(e->Put(kNoSync, Cf::kMeta, "m", "x").ok());
  ASSERT_TRUE(e->Delete(kNoSync, Cf::kData, "a").ok());
  ASSERT_TRUE(CrashLoseUnsynced(e.get()).ok());
  EXPECT_EQ(GetOr(*e, Cf::kData, "a"), "1");
  EXPECT_EQ(GetOr(*e, Cf::kData, "b"), "2");
  EXPECT_EQ(GetOr(*e, Cf::kData, "c"), "<absent>");
  EXPECT_EQ(GetOr(*e, Cf::kMeta, "m"), "<absent>");
  // The format version written at open is durable.
  EXPECT_TRUE(e->Get(Cf::kMeta, kFormatVersionKey).ok());
  // The engine keeps working after the crash, and a second crash reverts to the same point.
  ASSERT_TRUE(e->Put(kNoSync, Cf::kData, "d", "4").ok());
  ASSERT_TRUE(CrashLoseUnsynced(e.get()).ok());
  EXPECT_EQ(GetOr(*e, Cf::kData, "d"), "<absent>");
  EXPECT_EQ(GetOr(*e, Cf::kData, "b"), "2");
}

TEST(MemoryEngineCrashTest, BatchesSurviveWholeOrNotAtAll) {
  auto e = OpenTracking();
  WriteBatch synced;
  ASSERT_TRUE(synced.Put(Cf::kData, "x", "1").ok());
  ASSERT_TRUE(synced.Put(Cf::kRaft, "y", "2").ok());
  ASSERT_TRUE(e->Write(kSync, synced).ok());
  WriteBatch lost;
  ASSERT_TRUE(lost.Put(Cf::kData, "x", "changed").ok());
  ASSERT_TRUE(lost.DeleteRange(Cf::kRaft, "a", "z").ok());
  ASSERT_TRUE(e->Write(kNoSync, lost).ok());
  EXPECT_EQ(GetOr(*e, Cf::kRaft, "y"), "<absent>");
  ASSERT_TRUE(CrashLoseUnsynced(e.get()).ok());
  EXPECT_EQ(GetOr(*e, Cf::kData, "x"), "1");
  EXPECT_EQ(GetOr(*e, Cf::kRaft, "y"), "2");
}

TEST(MemoryEngineCrashTest, NothingSyncedLosesEverythingSinceOpen) {
  auto e = OpenTracking();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(e->Put(kNoSync, Cf::kData, "k" + std::to_string(i), "v").ok());
  }
  ASSERT_TRUE(CrashLoseUnsynced(e.get()).ok());
  auto it = e->NewIterator(Cf::kData, {});
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
}

TEST(MemoryEngineCrashTest, RefusedWithoutTracking) {
  auto e = std::move(OpenMemoryEngine()).value();
  ASSERT_TRUE(e->Put(kNoSync, Cf::kData, "a", "1").ok());
  EXPECT_TRUE(CrashLoseUnsynced(e.get()).Is(Status::Code::kInvalidArgument));
  EXPECT_EQ(GetOr(*e, Cf::kData, "a"), "1");
}

}  // namespace
}  // namespace tessera::storage

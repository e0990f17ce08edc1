// The engine conformance suite: the same tests against every Engine implementation (memory,
// RocksDB, LMDB). A behaviour that differs between engines is a bug in one of them; an
// engine-specific property belongs in that engine's own comments, not here. The suite covers
// point reads and writes, atomic batches, delete-range, iterators (direction, seeks, bounds),
// snapshot isolation, readers during writes, the size limits, export/ingest, checkpoints, range
// statistics and split keys; PersistentEngineTest adds what only disk engines promise (reopen).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <latch>
#include <thread>

#include "common/coding.h"
#include "storage/engine_factory.h"
#include "storage/lmdb_engine.h"
#include "storage/memory_engine.h"
#include "storage/rocksdb_engine.h"
#include "storage/test_util.h"
#include "storage/write_batch.h"

namespace tessera::storage {
namespace {

using testing::KVs;
using testing::ScanAll;
using testing::TempDir;

// ---- Engine traits: how each engine is opened by the suite. ----

struct MemoryTraits {
  static constexpr const char* kName = "Memory";
  static Result<std::unique_ptr<Engine>> Open(const std::string& /*dir*/) {
    return OpenMemoryEngine();
  }
  static Result<std::unique_ptr<Engine>> OpenCheckpoint(const std::string& dir) {
    return OpenMemoryEngineCheckpoint(dir);
  }
};

struct RocksDbTraits {
  static constexpr const char* kName = "RocksDb";
  static RocksDbOptions Options() {
    RocksDbOptions o;
    o.block_cache_bytes = 8 << 20;
    o.write_buffer_bytes = 4 << 20;
    o.max_background_jobs = 2;
    return o;
  }
  static Result<std::unique_ptr<Engine>> Open(const std::string& dir) {
    return OpenRocksDbEngine(dir, Options());
  }
  static Result<std::unique_ptr<Engine>> OpenCheckpoint(const std::string& dir) {
    RocksDbOptions o = Options();
    o.create_if_missing = false;
    return OpenRocksDbEngine(dir, o);
  }
};

struct LmdbTraits {
  static constexpr const char* kName = "Lmdb";
  static LmdbOptions Options() {
    LmdbOptions o;
    o.map_size_bytes = uint64_t{1} << 30;
    return o;
  }
  static Result<std::unique_ptr<Engine>> Open(const std::string& dir) {
    return OpenLmdbEngine(dir, Options());
  }
  static Result<std::unique_ptr<Engine>> OpenCheckpoint(const std::string& dir) {
    LmdbOptions o = Options();
    o.create_if_missing = false;
    return OpenLmdbEngine(dir, o);
  }
};

struct TraitsName {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

std::string Key(int i) { return fmt::format("k{:05}", i); }
std::string Value(int i, size_t size = 16) {
  std::string v = fmt::format("v{}-", i);
  // Deterministic, poorly compressible filler.
  uint64_t x = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(i + 1);
  while (v.size() < size) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v.push_back(static_cast<char>('!' + x % 90));
  }
  return v;
}

template <typename Traits>
class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { engine_ = OpenAt(dir_.Sub("db")); }

  std::unique_ptr<Engine> OpenAt(const std::string& path) {
    auto r = Traits::Open(path);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  void Put(Cf cf, std::string_view k, std::string_view v, Engine* e = nullptr) {
    ASSERT_OK((e ? e : engine_.get())->Put(WriteOptions{}, cf, k, v));
  }
  // Keys Key(from) .. Key(to - 1) with Value(i, value_size) in `cf`, in one batch.
  void Fill(Cf cf, int from, int to, size_t value_size = 16, Engine* e = nullptr) {
    WriteBatch b;
    for (int i = from; i < to; ++i) ASSERT_OK(b.Put(cf, Key(i), Value(i, value_size)));
    ASSERT_OK((e ? e : engine_.get())->Write(WriteOptions{}, b));
  }
  std::string GetOr(Cf cf, std::string_view k, const std::string& absent = "<absent>") {
    auto r = engine_->Get(cf, k);
    if (r.status().Is(Status::Code::kNotFound)) return absent;
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : "<error>";
  }
  KVs Scan(Cf cf, IterOptions opts = {}, bool reverse = false) {
    auto it = engine_->NewIterator(cf, opts);
    return ScanAll(*it, reverse);
  }
  static KVs Expected(int from, int to, size_t value_size = 16) {
    KVs out;
    for (int i = from; i < to; ++i) out.emplace_back(Key(i), Value(i, value_size));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

using AllEngines = ::testing::Types<MemoryTraits, RocksDbTraits, LmdbTraits>;
TYPED_TEST_SUITE(EngineTest, AllEngines, TraitsName);

// ---- Point operations and batches ----

TYPED_TEST(EngineTest, GetPutDelete) {
  EXPECT_TRUE(this->engine_->Get(Cf::kData, "a").status().Is(Status::Code::kNotFound));
  this->Put(Cf::kData, "a", "1");
  EXPECT_EQ(this->GetOr(Cf::kData, "a"), "1");
  this->Put(Cf::kData, "a", "2");
  EXPECT_EQ(this->GetOr(Cf::kData, "a"), "2");
  this->Put(Cf::kData, "empty", "");
  EXPECT_EQ(this->GetOr(Cf::kData, "empty"), "");
  ASSERT_OK(this->engine_->Delete(WriteOptions{.sync = true}, Cf::kData, "a"));
  EXPECT_EQ(this->GetOr(Cf::kData, "a"), "<absent>");
  ASSERT_OK(this->engine_->Delete(WriteOptions{}, Cf::kData, "never-written"));
  // Binary keys and values, including NUL and 0xff bytes.
  const std::string bk("\x00\xff\x01", 3), bv("\xff\x00", 2);
  this->Put(Cf::kData, bk, bv);
  EXPECT_EQ(this->GetOr(Cf::kData, bk), bv);
}

TYPED_TEST(EngineTest, ColumnFamiliesAreSeparateKeySpaces) {
  this->Put(Cf::kData, "k", "data");
  this->Put(Cf::kRaft, "k", "raft");
  this->Put(Cf::kMeta, "k", "meta");
  EXPECT_EQ(this->GetOr(Cf::kData, "k"), "data");
  EXPECT_EQ(this->GetOr(Cf::kRaft, "k"), "raft");
  EXPECT_EQ(this->GetOr(Cf::kMeta, "k"), "meta");
  ASSERT_OK(this->engine_->DeleteRange(WriteOptions{}, Cf::kRaft, "", ""));
  EXPECT_EQ(this->GetOr(Cf::kRaft, "k"), "<absent>");
  EXPECT_EQ(this->GetOr(Cf::kData, "k"), "data");
  EXPECT_EQ(this->Scan(Cf::kData), (KVs{{"k", "data"}}));
}

TYPED_TEST(EngineTest, FormatVersionIsRecorded) {
  auto v = this->engine_->Get(Cf::kMeta, kFormatVersionKey);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  std::string_view in(*v);
  uint32_t version = 0;
  ASSERT_TRUE(GetFixed32(&in, &version));
  EXPECT_EQ(version, kFormatVersion);
}

TYPED_TEST(EngineTest, BatchAppliesInOrderAcrossCfs) {
  this->Fill(Cf::kData, 0, 10);
  WriteBatch b;
  ASSERT_OK(b.Put(Cf::kData, "x", "1"));
  ASSERT_OK(b.Delete(Cf::kData, "x"));                  // put then delete: absent
  ASSERT_OK(b.DeleteRange(Cf::kData, Key(2), Key(5)));  // range delete then put: present
  ASSERT_OK(b.Put(Cf::kData, Key(3), "again"));
  ASSERT_OK(b.Put(Cf::kData, Key(7), "gone"));  // put then range delete: absent
  ASSERT_OK(b.DeleteRange(Cf::kData, Key(7), Key(8)));
  ASSERT_OK(b.Put(Cf::kRaft, "log", "entry"));
  ASSERT_OK(b.Put(Cf::kMeta, "apply", "state"));
  EXPECT_EQ(b.Count(), 8u);
  ASSERT_OK(this->engine_->Write(WriteOptions{.sync = true}, b));
  EXPECT_EQ(this->GetOr(Cf::kData, "x"), "<absent>");
  EXPECT_EQ(this->GetOr(Cf::kData, Key(2)), "<absent>");
  EXPECT_EQ(this->GetOr(Cf::kData, Key(3)), "again");
  EXPECT_EQ(this->GetOr(Cf::kData, Key(4)), "<absent>");
  EXPECT_EQ(this->GetOr(Cf::kData, Key(5)), Value(5));
  EXPECT_EQ(this->GetOr(Cf::kData, Key(7)), "<absent>");
  EXPECT_EQ(this->GetOr(Cf::kRaft, "log"), "entry");
  EXPECT_EQ(this->GetOr(Cf::kMeta, "apply"), "state");
  EXPECT_EQ(this->Scan(Cf::kData).size(), 7u);  // 0 1 3 5 6 8 9
}

TYPED_TEST(EngineTest, EmptyBatchIsOk) {
  WriteBatch b;
  ASSERT_OK(this->engine_->Write(WriteOptions{.sync = true}, b));
}

// ---- Limits ----

TYPED_TEST(EngineTest, KeysAndValuesAtTheLimitsAreAccepted) {
  const std::string max_key(kMaxKeyBytes, 'k');
  const std::string max_value(kMaxValueBytes, 'v');
  this->Put(Cf::kData, max_key, max_value);
  EXPECT_EQ(this->GetOr(Cf::kData, max_key).size(), kMaxValueBytes);
  // A bound longer than any key works as a seek target.
  auto it = this->engine_->NewIterator(Cf::kData, {});
  it->Seek(max_key + "z");
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev(max_key + "z");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), max_key);
}

TYPED_TEST(EngineTest, OversizedOrEmptyKeysAndValuesAreRejected) {
  WriteBatch b;
  EXPECT_TRUE(
      b.Put(Cf::kData, std::string(kMaxKeyBytes + 1, 'k'), "v").Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(b.Put(Cf::kData, "", "v").Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(b.Delete(Cf::kData, "").Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(b.Put(Cf::kData, "k", std::string(kMaxValueBytes + 1, 'v'))
                  .Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(b.DeleteRange(Cf::kData, "b", "a").Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(b.DeleteRange(Cf::kData, "a", "a").Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(this->engine_->Put(WriteOptions{}, Cf::kData, std::string(kMaxKeyBytes + 1, 'k'), "v")
                  .Is(Status::Code::kInvalidArgument));
}

TYPED_TEST(EngineTest, BatchWithARejectedOperationAppliesNothing) {
  WriteBatch b;
  ASSERT_OK(b.Put(Cf::kData, "good", "1"));
  EXPECT_FALSE(b.Put(Cf::kData, std::string(kMaxKeyBytes + 1, 'k'), "v").ok());
  ASSERT_OK(b.Put(Cf::kRaft, "also-good", "2"));
  EXPECT_TRUE(this->engine_->Write(WriteOptions{}, b).Is(Status::Code::kInvalidArgument));
  EXPECT_EQ(this->GetOr(Cf::kData, "good"), "<absent>");
  EXPECT_EQ(this->GetOr(Cf::kRaft, "also-good"), "<absent>");
  b.Clear();
  ASSERT_OK(b.Put(Cf::kData, "good", "1"));
  ASSERT_OK(this->engine_->Write(WriteOptions{}, b));
  EXPECT_EQ(this->GetOr(Cf::kData, "good"), "1");
}

// ---- Delete range ----

TYPED_TEST(EngineTest, DeleteRange) {
  this->Fill(Cf::kData, 0, 100);
  ASSERT_OK(this->engine_->DeleteRange(WriteOptions{}, Cf::kData, Key(20), Key(50)));
  EXPECT_EQ(this->GetOr(Cf::kData, Key(19)), Value(19));
  EXPECT_EQ(this->GetOr(Cf::kData, Key(20)), "<absent>");
  EXPECT_EQ(this->GetOr(Cf::kData, Key(49)), "<absent>");
  EXPECT_EQ(this->GetOr(Cf::kData, Key(50)), Value(50));
  EXPECT_EQ(this->Scan(Cf::kData).size(), 70u);
  // Open start and open end.
  ASSERT_OK(this->engine_->DeleteRange(WriteOptions{}, Cf::kData, "", Key(10)));
  ASSERT_OK(this->engine_->DeleteRange(WriteOptions{}, Cf::kData, Key(90), ""));
  KVs expected = TestFixture::Expected(10, 20);
  for (auto& kv : TestFixture::Expected(50, 90)) expected.push_back(kv);
  EXPECT_EQ(this->Scan(Cf::kData), expected);
  // A range with nothing in it.
  ASSERT_OK(this->engine_->DeleteRange(WriteOptions{}, Cf::kData, "a", "b"));
  EXPECT_EQ(this->Scan(Cf::kData), expected);
}

TYPED_TEST(EngineTest, DeleteRangeOverManyKeys) {
  // Enough keys to span many B-tree pages / SST blocks.
  this->Fill(Cf::kData, 0, 3000, 64);
  ASSERT_OK(this->engine_->DeleteRange(WriteOptions{}, Cf::kData, Key(500), Key(2500)));
  KVs expected = TestFixture::Expected(0, 500, 64);
  for (auto& kv : TestFixture::Expected(2500, 3000, 64)) expected.push_back(kv);
  EXPECT_EQ(this->Scan(Cf::kData), expected);
  EXPECT_EQ(this->Scan(Cf::kData, {}, /*reverse=*/true).size(), 1000u);
}

// ---- Iterators ----

TYPED_TEST(EngineTest, IteratorForwardAndReverse) {
  auto empty = this->engine_->NewIterator(Cf::kData, {});
  empty->SeekToFirst();
  EXPECT_FALSE(empty->Valid());
  empty->SeekToLast();
  EXPECT_FALSE(empty->Valid());
  EXPECT_OK(empty->status());
  empty.reset();

  this->Fill(Cf::kData, 0, 50);
  EXPECT_EQ(this->Scan(Cf::kData), TestFixture::Expected(0, 50));
  KVs reversed = TestFixture::Expected(0, 50);
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(this->Scan(Cf::kData, {}, /*reverse=*/true), reversed);
}

TYPED_TEST(EngineTest, IteratorSeeks) {
  for (int i = 10; i < 50; i += 10) this->Put(Cf::kData, Key(i), Value(i));  // 10 20 30 40
  auto it = this->engine_->NewIterator(Cf::kData, {});
  it->Seek(Key(20));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(20));
  EXPECT_EQ(it->value(), Value(20));
  it->Seek(Key(21));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(30));
  it->Seek("");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(10));
  it->Seek(Key(41));
  EXPECT_FALSE(it->Valid());

  it->SeekForPrev(Key(30));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(30));
  it->SeekForPrev(Key(29));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(20));
  it->SeekForPrev(Key(99));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(40));
  it->SeekForPrev(Key(9));
  EXPECT_FALSE(it->Valid());

  // Changing direction.
  it->Seek(Key(25));
  ASSERT_TRUE(it->Valid());
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(20));
  it->Next();
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(40));
  it->Next();
  EXPECT_FALSE(it->Valid());
  it->SeekToFirst();
  it->Prev();
  EXPECT_FALSE(it->Valid());
  EXPECT_OK(it->status());
}

TYPED_TEST(EngineTest, IteratorBounds) {
  this->Fill(Cf::kData, 0, 20);
  IterOptions opts{Key(5), Key(15)};
  EXPECT_EQ(this->Scan(Cf::kData, opts), TestFixture::Expected(5, 15));
  KVs reversed = TestFixture::Expected(5, 15);
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(this->Scan(Cf::kData, opts, /*reverse=*/true), reversed);

  auto it = this->engine_->NewIterator(Cf::kData, opts);
  it->Seek(Key(1));  // below the lower bound: clamped
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(5));
  it->Prev();
  EXPECT_FALSE(it->Valid());
  it->Seek(Key(15));  // at the exclusive upper bound
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev(Key(17));  // above the upper bound: clamped
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(14));
  it->Next();
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev(Key(4));  // below the lower bound
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev(Key(9) + "x");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(9));

  // Bounds between keys, and one-sided bounds.
  EXPECT_EQ(this->Scan(Cf::kData, IterOptions{Key(17) + "a", ""}), TestFixture::Expected(18, 20));
  EXPECT_EQ(this->Scan(Cf::kData, IterOptions{"", Key(2) + "a"}), TestFixture::Expected(0, 3));
  EXPECT_TRUE(this->Scan(Cf::kData, IterOptions{Key(30), ""}).empty());
}

// ---- Snapshots ----

TYPED_TEST(EngineTest, SnapshotIsolatesReadsAndIterators) {
  this->Fill(Cf::kData, 0, 10);
  this->Put(Cf::kRaft, "r", "old");
  auto snap_or = this->engine_->GetSnapshot();
  ASSERT_TRUE(snap_or.ok());
  std::unique_ptr<Snapshot> snap = std::move(snap_or).value();
  auto early_it = this->engine_->NewIterator(Cf::kData, {});  // implicit snapshot: now

  WriteBatch b;
  ASSERT_OK(b.Put(Cf::kData, Key(3), "new"));
  ASSERT_OK(b.Delete(Cf::kData, Key(4)));
  ASSERT_OK(b.DeleteRange(Cf::kData, Key(6), Key(9)));
  ASSERT_OK(b.Put(Cf::kData, Key(20), "added"));
  ASSERT_OK(b.Put(Cf::kRaft, "r", "new"));
  ASSERT_OK(this->engine_->Write(WriteOptions{}, b));

  // The snapshot and the earlier iterator see the old state...
  EXPECT_EQ(*snap->Get(Cf::kData, Key(3)), Value(3));
  EXPECT_EQ(*snap->Get(Cf::kData, Key(4)), Value(4));
  EXPECT_TRUE(snap->Get(Cf::kData, Key(20)).status().Is(Status::Code::kNotFound));
  EXPECT_EQ(*snap->Get(Cf::kRaft, "r"), "old");
  auto it = snap->NewIterator(Cf::kData, {});
  EXPECT_EQ(ScanAll(*it), TestFixture::Expected(0, 10));
  EXPECT_EQ(ScanAll(*early_it), TestFixture::Expected(0, 10));
  // ...an iterator may outlive its Snapshot object...
  snap.reset();
  EXPECT_EQ(ScanAll(*it, /*reverse=*/true).size(), 10u);
  // ...and the latest state has every write.
  EXPECT_EQ(this->GetOr(Cf::kData, Key(3)), "new");
  EXPECT_EQ(this->Scan(Cf::kData).size(), 10u - 1 - 3 + 1);
  EXPECT_EQ(this->GetOr(Cf::kRaft, "r"), "new");
}

TYPED_TEST(EngineTest, SnapshotSharedByThreads) {
  this->Fill(Cf::kData, 0, 200);
  auto snap = std::move(this->engine_->GetSnapshot()).value();
  this->Fill(Cf::kData, 200, 400);
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        auto it = snap->NewIterator(Cf::kData, {});
        KVs kvs = ScanAll(*it);
        if (kvs != TestFixture::Expected(0, 200)) failures.fetch_add(1);
        auto v = snap->Get(Cf::kData, Key(t * 10 + round));
        if (!v.ok() || *v != Value(t * 10 + round)) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// Readers take snapshots while a writer commits batches; every snapshot must show whole batches
// only (batch i adds "a/i" to kData, "b/i" to kRaft and sets the count in kMeta), and counts
// must never go back.
TYPED_TEST(EngineTest, ReadersSeeWholeBatchesWhileWriterRuns) {
  constexpr int kBatches = 200;
  constexpr int kReaders = 3;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<int64_t> reads{0};
  std::latch started(kReaders);
  Engine* engine = this->engine_.get();

  auto check_once = [&](int* last) {
    auto snap_or = engine->GetSnapshot();
    if (!snap_or.ok()) return failures.fetch_add(1), void();
    const auto& snap = *snap_or;
    int count = 0;
    if (auto c = snap->Get(Cf::kMeta, "count"); c.ok()) count = std::stoi(*c);
    auto a = snap->NewIterator(Cf::kData, IterOptions{"a/", "a0"});
    auto b = snap->NewIterator(Cf::kRaft, IterOptions{"b/", "b0"});
    const KVs as = ScanAll(*a), bs = ScanAll(*b);
    if (static_cast<int>(as.size()) != count || static_cast<int>(bs.size()) != count ||
        count < *last) {
      failures.fetch_add(1);
    }
    *last = count;
    reads.fetch_add(1);
  };

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      int last = 0;
      started.count_down();
      while (!done.load()) check_once(&last);
      check_once(&last);  // once more after the last batch
      if (last != kBatches) failures.fetch_add(1);
    });
  }
  started.wait();  // every reader runs before the first write
  for (int i = 0; i < kBatches; ++i) {
    WriteBatch b;
    ASSERT_OK(b.Put(Cf::kData, fmt::format("a/{:04}", i), Value(i)));
    ASSERT_OK(b.Put(Cf::kRaft, fmt::format("b/{:04}", i), Value(i)));
    ASSERT_OK(b.Put(Cf::kMeta, "count", std::to_string(i + 1)));
    ASSERT_OK(engine->Write(WriteOptions{.sync = (i % 50 == 0)}, b));
  }
  done.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(reads.load(), 2 * kReaders);
}

// ---- Export and ingest ----

TYPED_TEST(EngineTest, ExportIngestRoundTrip) {
  this->Fill(Cf::kData, 0, 600, 100);
  auto snap = std::move(this->engine_->GetSnapshot()).value();
  // Written after the snapshot: must not be exported.
  this->Put(Cf::kData, Key(150), "after-snapshot");
  this->Put(Cf::kData, Key(150) + "x", "after-snapshot");
  auto files = this->engine_->Export(*snap, Cf::kData, Key(100), Key(400), this->dir_.Sub("export"),
                                     ExportOptions{.target_file_bytes = 8 << 10});
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_GT(files->size(), 1u);  // rolled over several files
  uint64_t keys = 0;
  std::vector<std::string> paths;
  for (const ExportedFile& f : *files) {
    keys += f.keys;
    paths.push_back(f.path);
    EXPECT_LE(f.smallest, f.largest);
  }
  EXPECT_EQ(keys, 300u);
  EXPECT_EQ(files->front().smallest, Key(100));
  EXPECT_EQ(files->back().largest, Key(399));
  snap.reset();

  // Ingest into a second engine of the same kind, which already holds other data.
  auto other = this->OpenAt(this->dir_.Sub("other"));
  ASSERT_NE(other, nullptr);
  this->Fill(Cf::kData, 1000, 1010, 100, other.get());
  ASSERT_OK(other->Ingest(Cf::kData, paths));
  auto it = other->NewIterator(Cf::kData, {});
  KVs expected = TestFixture::Expected(100, 400, 100);
  for (auto& kv : TestFixture::Expected(1000, 1010, 100)) expected.push_back(kv);
  EXPECT_EQ(ScanAll(*it), expected);
  it.reset();
  EXPECT_TRUE(other->Get(Cf::kRaft, Key(100)).status().Is(Status::Code::kNotFound));
  // Writes after an ingest land on top of it.
  ASSERT_OK(other->Put(WriteOptions{}, Cf::kData, Key(100), "overwritten"));
  EXPECT_EQ(*other->Get(Cf::kData, Key(100)), "overwritten");
}

TYPED_TEST(EngineTest, ExportOfEmptyRangeWritesNoFile) {
  this->Fill(Cf::kData, 0, 10);
  auto snap = std::move(this->engine_->GetSnapshot()).value();
  auto files = this->engine_->Export(*snap, Cf::kData, "x", "y", this->dir_.Sub("export"), {});
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_TRUE(files->empty());
}

// Flips one byte in the middle of the `index`-th exported file.
void CorruptFile(const std::string& path) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(0, std::ios::end);
  const auto size = static_cast<std::streamoff>(f.tellg());
  f.seekg(size / 3);
  char c = 0;
  f.get(c);
  f.seekp(size / 3);
  f.put(static_cast<char>(c ^ 0x5a));
}

void TruncateFile(const std::string& path) {
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
}

TYPED_TEST(EngineTest, IngestRejectsCorruptOrTruncatedFilesAndIngestsNothing) {
  this->Fill(Cf::kData, 0, 400, 100);
  auto snap = std::move(this->engine_->GetSnapshot()).value();
  for (int variant = 0; variant < 2; ++variant) {
    const std::string dir = this->dir_.Sub(fmt::format("export{}", variant));
    auto files = this->engine_->Export(*snap, Cf::kData, "", "", dir,
                                       ExportOptions{.target_file_bytes = 16 << 10});
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    ASSERT_GE(files->size(), 2u);
    std::vector<std::string> paths;
    for (const auto& f : *files) paths.push_back(f.path);
    if (variant == 0) {
      CorruptFile(paths.back());
    } else {
      TruncateFile(paths.back());
    }
    auto other = this->OpenAt(this->dir_.Sub(fmt::format("other{}", variant)));
    ASSERT_NE(other, nullptr);
    const Status st = other->Ingest(Cf::kData, paths);
    EXPECT_TRUE(st.Is(Status::Code::kCorruption)) << "variant " << variant << ": " << st.ToString();
    auto it = other->NewIterator(Cf::kData, {});
    EXPECT_TRUE(ScanAll(*it).empty()) << "variant " << variant;
  }
}

// ---- Checkpoint ----

TYPED_TEST(EngineTest, CheckpointOpensWithTheData) {
  this->Fill(Cf::kData, 0, 300, 50);
  this->Put(Cf::kRaft, "raft-key", "raft-value");
  this->Put(Cf::kMeta, "meta-key", "meta-value");
  const std::string cp = this->dir_.Sub("checkpoint");
  ASSERT_OK(this->engine_->Checkpoint(cp));
  this->Put(Cf::kData, "after", "checkpoint");
  EXPECT_FALSE(this->engine_->Checkpoint(cp).ok());  // the directory exists now

  auto copy_or = TypeParam::OpenCheckpoint(cp);
  ASSERT_TRUE(copy_or.ok()) << copy_or.status().ToString();
  std::unique_ptr<Engine> copy = std::move(copy_or).value();
  auto it = copy->NewIterator(Cf::kData, {});
  EXPECT_EQ(ScanAll(*it), TestFixture::Expected(0, 300, 50));
  it.reset();
  EXPECT_EQ(*copy->Get(Cf::kRaft, "raft-key"), "raft-value");
  EXPECT_EQ(*copy->Get(Cf::kMeta, "meta-key"), "meta-value");
  EXPECT_TRUE(copy->Get(Cf::kData, "after").status().Is(Status::Code::kNotFound));
  // The copy is a working engine of its own.
  ASSERT_OK(copy->Put(WriteOptions{.sync = true}, Cf::kData, "in-copy", "1"));
  EXPECT_TRUE(this->engine_->Get(Cf::kData, "in-copy").status().Is(Status::Code::kNotFound));
}

// ---- Range statistics and split keys ----

TYPED_TEST(EngineTest, SplitKeyLiesInsideTheRangeNearTheMiddle) {
  this->Fill(Cf::kData, 0, 1000, 100);
  auto k = this->engine_->SplitKey(Cf::kData, Key(100), Key(900));
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_GT(*k, Key(100));
  EXPECT_LT(*k, Key(900));
  EXPECT_GE(*k, Key(450));
  EXPECT_LE(*k, Key(550));
  auto whole = this->engine_->SplitKey(Cf::kData, "", "");
  ASSERT_TRUE(whole.ok());
  EXPECT_GE(*whole, Key(450));
  EXPECT_LE(*whole, Key(550));
  // Two keys: the split is the second; fewer: NotFound.
  auto two = this->engine_->SplitKey(Cf::kData, Key(10), Key(12));
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, Key(11));
  EXPECT_TRUE(
      this->engine_->SplitKey(Cf::kData, Key(10), Key(11)).status().Is(Status::Code::kNotFound));
  EXPECT_TRUE(this->engine_->SplitKey(Cf::kRaft, "", "").status().Is(Status::Code::kNotFound));
}

TYPED_TEST(EngineTest, SplitKeyFollowsBytesNotKeys) {
  // The first 100 keys are large, the next 900 small: the byte middle is among the large ones.
  this->Fill(Cf::kData, 0, 100, 2000);
  this->Fill(Cf::kData, 100, 1000, 10);
  auto k = this->engine_->SplitKey(Cf::kData, "", "");
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_GT(*k, Key(30));
  EXPECT_LT(*k, Key(100));
}

TYPED_TEST(EngineTest, ApproximateRangeIsInTheRightBallpark) {
  constexpr int kKeys = 2000;
  constexpr size_t kValueBytes = 200;
  this->Fill(Cf::kData, 0, kKeys, kValueBytes);
  const double raw = kKeys * (kValueBytes + Key(0).size());
  auto all = this->engine_->ApproximateRange(Cf::kData, "", "");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_GE(all->approximate_bytes, raw * 0.5);
  EXPECT_LE(all->approximate_bytes, raw * 2.0);
  EXPECT_GE(all->approximate_keys, kKeys * 0.5);
  EXPECT_LE(all->approximate_keys, kKeys * 2.0);
  auto half = this->engine_->ApproximateRange(Cf::kData, Key(0), Key(kKeys / 2));
  ASSERT_TRUE(half.ok());
  EXPECT_GE(half->approximate_bytes, raw * 0.25);
  EXPECT_LE(half->approximate_bytes, raw * 0.75);
  EXPECT_GE(half->approximate_keys, kKeys * 0.25);
  EXPECT_LE(half->approximate_keys, kKeys * 0.75);
  auto small = this->engine_->ApproximateRange(Cf::kData, Key(10), Key(20));
  ASSERT_TRUE(small.ok());
  EXPECT_GE(small->approximate_keys, 5u);
  EXPECT_LE(small->approximate_keys, 20u);
  auto none = this->engine_->ApproximateRange(Cf::kData, "x", "y");
  ASSERT_TRUE(none.ok());
  EXPECT_LT(none->approximate_bytes, raw * 0.05);
  EXPECT_LT(none->approximate_keys, kKeys * 0.05);
}

// ---- Disk engines only: persistence across reopen ----

template <typename Traits>
class PersistentEngineTest : public EngineTest<Traits> {};
using DiskEngines = ::testing::Types<RocksDbTraits, LmdbTraits>;
TYPED_TEST_SUITE(PersistentEngineTest, DiskEngines, TraitsName);

TYPED_TEST(PersistentEngineTest, ReopenKeepsSyncedAndUnsyncedWrites) {
  this->Fill(Cf::kData, 0, 100);
  ASSERT_OK(this->engine_->Put(WriteOptions{.sync = true}, Cf::kRaft, "synced", "1"));
  ASSERT_OK(this->engine_->Put(WriteOptions{.sync = false}, Cf::kMeta, "unsynced", "2"));
  ASSERT_OK(this->engine_->DeleteRange(WriteOptions{.sync = true}, Cf::kData, Key(10), Key(20)));
  this->engine_.reset();
  this->engine_ = this->OpenAt(this->dir_.Sub("db"));
  ASSERT_NE(this->engine_, nullptr);
  KVs expected = TestFixture::Expected(0, 10);
  for (auto& kv : TestFixture::Expected(20, 100)) expected.push_back(kv);
  EXPECT_EQ(this->Scan(Cf::kData), expected);
  EXPECT_EQ(this->GetOr(Cf::kRaft, "synced"), "1");
  EXPECT_EQ(this->GetOr(Cf::kMeta, "unsynced"), "2");
}

TYPED_TEST(PersistentEngineTest, SecondOpenOfTheSameDirectoryFails) {
  auto second = TypeParam::Open(this->dir_.Sub("db"));
  EXPECT_FALSE(second.ok());
}

TYPED_TEST(PersistentEngineTest, NewerFormatVersionIsRefused) {
  std::string v;
  PutFixed32(&v, kFormatVersion + 1);
  ASSERT_OK(this->engine_->Put(WriteOptions{.sync = true}, Cf::kMeta, kFormatVersionKey, v));
  this->engine_.reset();
  auto reopened = TypeParam::Open(this->dir_.Sub("db"));
  EXPECT_TRUE(reopened.status().Is(Status::Code::kNotSupported)) << reopened.status().ToString();
}

TYPED_TEST(PersistentEngineTest, DataWithoutFormatVersionIsRefused) {
  this->Put(Cf::kData, "k", "v");
  ASSERT_OK(this->engine_->Delete(WriteOptions{.sync = true}, Cf::kMeta, kFormatVersionKey));
  this->engine_.reset();
  auto reopened = TypeParam::Open(this->dir_.Sub("db"));
  EXPECT_TRUE(reopened.status().Is(Status::Code::kCorruption)) << reopened.status().ToString();
}

// ---- Opening by configuration ----

TEST(EngineFactoryTest, OpensTheNamedKind) {
  TempDir dir;
  for (std::string_view name : {"rocksdb", "memory", "lmdb"}) {
    EngineOptions opts;
    ASSERT_TRUE(ParseEngineKind(name, &opts.kind));
    opts.lmdb.map_size_bytes = 64 << 20;
    auto engine = OpenEngine(dir.Sub(std::string(name)), opts);
    ASSERT_TRUE(engine.ok()) << name << ": " << engine.status().ToString();
    EXPECT_EQ(EngineKindName((*engine)->kind()), name);
  }
  EngineKind kind;
  EXPECT_FALSE(ParseEngineKind("leveldb", &kind));
}

}  // namespace
}  // namespace tessera::storage

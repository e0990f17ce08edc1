// Shard snapshots on disk (snapshot.h, snapshot_manifest.h, snapshot_dirs.h), on every engine:
// the manifest round-trips and every malformed manifest is Corruption; a cut of a shard's range
// (multi-file, empty, unbounded) verifies and ingests into another engine replacing exactly that
// range; ingestion is idempotent and leaves the snapshot files intact; corrupt, truncated and
// missing files are caught before the range is touched; pending markers drive the recovery of a
// crashed installation, and a marker whose directory is gone is reported unrecoverable;
// SnapshotDirs hands out unique names and cleans up everything but marked directories.
#include "multiraft/snapshot.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "multiraft/snapshot_dirs.h"
#include "storage/engine_factory.h"
#include "storage/fs_util.h"
#include "storage/test_util.h"
#include "storage/write_batch.h"

namespace tessera::multiraft {
namespace {

using storage::Cf;
using storage::EngineKind;
using storage::testing::KVs;
using storage::testing::TempDir;

ShardDescriptor Desc(std::string start, std::string end) {
  return ShardDescriptor{.id = ShardId(7),
                         .start_key = std::move(start),
                         .end_key = std::move(end),
                         .epoch = {.conf_version = 2, .version = 3},
                         .voters = {NodeId(1), NodeId(2), NodeId(3)}};
}

ApplyState Apply(uint64_t index, uint64_t term) {
  return ApplyState{.applied_index = LogIndex(index),
                    .applied_term = Term(term),
                    .conf_state = {.voters = {NodeId(1), NodeId(2), NodeId(3)}}};
}

std::string Key(char prefix, int i) { return std::string(1, prefix) + std::to_string(1000 + i); }

KVs Scan(storage::Engine& e, std::string start = "", std::string end = "") {
  auto it = e.NewIterator(Cf::kData, storage::IterOptions{std::move(start), std::move(end)});
  return storage::testing::ScanAll(*it);
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c ^= 0x40;
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

SnapshotManifest SampleManifest() {
  SnapshotManifest m{.desc = Desc("b", "d"), .apply = Apply(42, 5)};
  m.files.push_back({"data-000001.sst", 100, 3, 0x1234, "b1", "b9"});
  m.files.push_back({"data-000002.sst", 200, 4, 0x5678, "c1", "c9"});
  return m;
}

TEST(SnapshotManifestTest, RoundTripsAndRejectsEveryDamage) {
  const SnapshotManifest m = SampleManifest();
  const std::string enc = EncodeSnapshotManifest(m);
  auto dec = DecodeSnapshotManifest(enc);
  ASSERT_TRUE(dec.ok()) << dec.status().ToString();
  EXPECT_EQ(*dec, m);
  EXPECT_EQ(dec->TotalBytes(), 300u);
  EXPECT_EQ(dec->TotalKeys(), 7u);
  EXPECT_EQ(dec->RaftMetadata().index, LogIndex(42));
  for (size_t n = 0; n < enc.size(); ++n) {
    EXPECT_TRUE(DecodeSnapshotManifest(enc.substr(0, n)).status().Is(Status::Code::kCorruption))
        << "truncated at " << n;
  }
  for (size_t i = 0; i < enc.size(); ++i) {
    std::string bad = enc;
    bad[i] ^= 0x01;
    EXPECT_TRUE(DecodeSnapshotManifest(bad).status().Is(Status::Code::kCorruption))
        << "flipped byte " << i;
  }
  EXPECT_TRUE(DecodeSnapshotManifest(enc + "x").status().Is(Status::Code::kCorruption));
}

TEST(SnapshotManifestTest, RejectsWellChecksummedButInvalidContent) {
  auto rejects = [](SnapshotManifest m) {
    return DecodeSnapshotManifest(EncodeSnapshotManifest(m)).status().Is(Status::Code::kCorruption);
  };
  for (const char* name : {"", ".", "..", "../x", "a/b", "MANIFEST"}) {
    SnapshotManifest m = SampleManifest();
    m.files[0].name = name;
    EXPECT_TRUE(rejects(m)) << "name '" << name << "'";
  }
  SnapshotManifest dup = SampleManifest();
  dup.files[1].name = dup.files[0].name;
  EXPECT_TRUE(rejects(dup));
  SnapshotManifest overlap = SampleManifest();
  overlap.files[1].smallest = "b5";
  EXPECT_TRUE(rejects(overlap));
  SnapshotManifest outside = SampleManifest();
  outside.files[1].largest = "d1";  // the shard ends at "d"
  EXPECT_TRUE(rejects(outside));
  SnapshotManifest zero = SampleManifest();
  zero.apply.applied_index = LogIndex(0);
  EXPECT_TRUE(rejects(zero));
  SnapshotManifest empty_file = SampleManifest();
  empty_file.files[0].keys = 0;
  EXPECT_TRUE(rejects(empty_file));
}

TEST(SnapshotPendingTest, MarkerRoundTripsAndRejectsDamage) {
  const std::string enc = EncodeSnapshotPending("/data/snap/recv/7-5-42-1");
  EXPECT_EQ(DecodeSnapshotPending(enc).value(), "/data/snap/recv/7-5-42-1");
  for (size_t i = 0; i < enc.size(); ++i) {
    std::string bad = enc;
    bad[i] ^= 0x02;
    EXPECT_FALSE(DecodeSnapshotPending(bad).ok());
  }
  EXPECT_FALSE(DecodeSnapshotPending(enc.substr(0, 4)).ok());
  EXPECT_LT(SnapshotPendingKey(ShardId(1)), SnapshotPendingKey(ShardId(256)));
}

// Two engines of one kind: `src` holds three shards' worth of keys, `dst` older values of the
// middle shard plus keys of its neighbours.
class SnapshotTest : public ::testing::TestWithParam<EngineKind> {
 protected:
  void SetUp() override {
    src_ = Open("src");
    dst_ = Open("dst");
    storage::WriteBatch a, b;
    for (int i = 0; i < 300; ++i) {
      for (char p : {'a', 'b', 'c'}) {
        ASSERT_TRUE(a.Put(Cf::kData, Key(p, i), std::string(100, p) + std::to_string(i)).ok());
      }
      if (i % 3 == 0) {
        ASSERT_TRUE(b.Put(Cf::kData, Key('b', i + 1000), "stale").ok());
      }
    }
    ASSERT_TRUE(b.Put(Cf::kData, "a", "left neighbour").ok());
    ASSERT_TRUE(b.Put(Cf::kData, "c", "right neighbour").ok());
    ASSERT_TRUE(src_->Write({.sync = false}, a).ok());
    ASSERT_TRUE(dst_->Write({.sync = false}, b).ok());
  }
  void TearDown() override {
    src_.reset();
    dst_.reset();
  }

  std::unique_ptr<storage::Engine> Open(const std::string& name) {
    auto e = storage::OpenEngine(tmp_.Sub(name), storage::EngineOptions{.kind = GetParam()});
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return std::move(e).value();
  }

  SnapshotManifest Cut(const ShardDescriptor& d, const std::string& dir, uint64_t target = 4096) {
    auto snap = src_->GetSnapshot();
    EXPECT_TRUE(snap.ok());
    auto m = CutSnapshot(src_.get(), **snap, d, Apply(42, 5), dir,
                         storage::ExportOptions{.target_file_bytes = target});
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : SnapshotManifest{};
  }

  TempDir tmp_;
  std::unique_ptr<storage::Engine> src_, dst_;
};

TEST_P(SnapshotTest, MultiFileCutVerifiesAndReplacesExactlyTheRange) {
  const ShardDescriptor d = Desc("b", "c");
  const std::string dir = tmp_.Sub("snap1");
  const SnapshotManifest m = Cut(d, dir);
  EXPECT_GT(m.files.size(), 3u);
  EXPECT_EQ(m.TotalKeys(), 300u);
  EXPECT_EQ(m.format, FileFormatOf(GetParam()));
  SnapshotManifest read;
  ASSERT_TRUE(VerifySnapshotDir(dir, &read).ok());
  EXPECT_EQ(read, m);

  ASSERT_TRUE(IngestSnapshot(dst_.get(), m, dir).ok());
  EXPECT_EQ(Scan(*dst_, "b", "c"), Scan(*src_, "b", "c"));
  EXPECT_EQ(dst_->Get(Cf::kData, "a").value(), "left neighbour");
  EXPECT_EQ(dst_->Get(Cf::kData, "c").value(), "right neighbour");
  // The snapshot's files are untouched (the engine ingested copies), so a second run, as after
  // a crash before the marker was cleared, gives the same result.
  ASSERT_TRUE(VerifySnapshotDir(dir, nullptr).ok());
  ASSERT_TRUE(IngestSnapshot(dst_.get(), m, dir).ok());
  EXPECT_EQ(Scan(*dst_, "b", "c"), Scan(*src_, "b", "c"));
  EXPECT_EQ(Scan(*dst_).size(), 302u);
  EXPECT_FALSE(std::filesystem::exists(dir + "/ingest.tmp"));
}

TEST_P(SnapshotTest, EmptyAndUnboundedRanges) {
  // Nothing in ["b5", "b6"): no file; ingesting it clears the range on the receiver.
  ASSERT_TRUE(dst_->Put({}, Cf::kData, "b55", "x").ok());
  const SnapshotManifest empty = Cut(Desc("b5", "b6"), tmp_.Sub("empty"));
  EXPECT_TRUE(empty.files.empty());
  ASSERT_TRUE(VerifySnapshotDir(tmp_.Sub("empty"), nullptr).ok());
  ASSERT_TRUE(IngestSnapshot(dst_.get(), empty, tmp_.Sub("empty")).ok());
  EXPECT_TRUE(dst_->Get(Cf::kData, "b55").status().Is(Status::Code::kNotFound));

  // The whole key space: an empty start and end key.
  const SnapshotManifest all = Cut(Desc("", ""), tmp_.Sub("all"), 64 << 10);
  EXPECT_EQ(all.TotalKeys(), 900u);
  ASSERT_TRUE(IngestSnapshot(dst_.get(), all, tmp_.Sub("all")).ok());
  EXPECT_EQ(Scan(*dst_), Scan(*src_));

  // From "c" to the end.
  ASSERT_TRUE(src_->Put({}, Cf::kData, "zzz", "last").ok());
  const SnapshotManifest tail = Cut(Desc("c", ""), tmp_.Sub("tail"));
  EXPECT_EQ(tail.TotalKeys(), 301u);
}

TEST_P(SnapshotTest, CutRefusesAnExistingDirectory) {
  ASSERT_TRUE(storage::CreateDirs(tmp_.Sub("exists")).ok());
  auto snap = src_->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  auto m = CutSnapshot(src_.get(), **snap, Desc("b", "c"), Apply(1, 1), tmp_.Sub("exists"));
  EXPECT_TRUE(m.status().Is(Status::Code::kAlreadyExists)) << m.status().ToString();
}

TEST_P(SnapshotTest, DamagedFilesAreCaughtBeforeTheRangeIsTouched) {
  const KVs before = Scan(*dst_);
  struct Damage {
    const char* what;
    void (*apply)(const std::string& path, uint64_t size);
  };
  const Damage damages[] = {
      {"flipped byte", [](const std::string& p, uint64_t size) { FlipByte(p, size / 2); }},
      {"truncated",
       [](const std::string& p, uint64_t size) { std::filesystem::resize_file(p, size - 1); }},
      {"missing", [](const std::string& p, uint64_t) { std::filesystem::remove(p); }},
  };
  int n = 0;
  for (const Damage& dmg : damages) {
    const std::string dir = tmp_.Sub("damaged" + std::to_string(n++));
    const SnapshotManifest m = Cut(Desc("b", "c"), dir);
    ASSERT_GE(m.files.size(), 2u);
    dmg.apply(dir + "/" + m.files[1].name, m.files[1].size);
    EXPECT_TRUE(VerifySnapshotDir(dir, nullptr).Is(Status::Code::kCorruption)) << dmg.what;
    EXPECT_TRUE(IngestSnapshot(dst_.get(), m, dir).Is(Status::Code::kCorruption)) << dmg.what;
    EXPECT_EQ(Scan(*dst_), before) << dmg.what;
  }
  std::filesystem::create_directories(tmp_.Sub("no-manifest"));
  EXPECT_TRUE(VerifySnapshotDir(tmp_.Sub("no-manifest"), nullptr).Is(Status::Code::kNotFound));
  const std::string dir = tmp_.Sub("bad-manifest");
  Cut(Desc("b", "c"), dir);
  FlipByte(dir + "/MANIFEST", 10);
  EXPECT_TRUE(VerifySnapshotDir(dir, nullptr).Is(Status::Code::kCorruption));
}

TEST_P(SnapshotTest, RecoveryReingestsPendingSnapshotsAndReportsLostOnes) {
  const std::string dir = tmp_.Sub("pending");
  const SnapshotManifest m = Cut(Desc("b", "c"), dir);
  // The installation crashed after the marker and half way: the range was deleted, not ingested.
  storage::WriteBatch mark;
  ASSERT_TRUE(PutSnapshotPending(&mark, ShardId(7), dir).ok());
  ASSERT_TRUE(PutSnapshotPending(&mark, ShardId(9), tmp_.Sub("gone")).ok());
  ASSERT_TRUE(dst_->Write({.sync = true}, mark).ok());
  ASSERT_TRUE(dst_->DeleteRange({.sync = true}, Cf::kData, "b", "c").ok());

  auto pending = ListPendingSnapshots(dst_.get());
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].shard, ShardId(7));
  EXPECT_EQ((*pending)[0].dir, dir);

  auto rec = RecoverPendingSnapshots(dst_.get());
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  ASSERT_EQ(rec->size(), 2u);
  EXPECT_TRUE((*rec)[0].status.ok()) << (*rec)[0].status.ToString();
  EXPECT_EQ((*rec)[0].manifest, m);
  EXPECT_EQ(Scan(*dst_, "b", "c"), Scan(*src_, "b", "c"));
  EXPECT_EQ((*rec)[1].shard, ShardId(9));
  EXPECT_TRUE((*rec)[1].status.Is(Status::Code::kCorruption));
  EXPECT_NE((*rec)[1].status.message().find("cannot be recovered"), std::string_view::npos);

  // The caller completes step 4: the marker goes with the new apply state.
  storage::WriteBatch done;
  ASSERT_TRUE(ClearSnapshotPending(&done, ShardId(7)).ok());
  ASSERT_TRUE(dst_->Write({.sync = true}, done).ok());
  auto left = ListPendingSnapshots(dst_.get());
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].shard, ShardId(9));
}

TEST_P(SnapshotTest, OtherEnginesFormatIsNotSupported) {
  const SnapshotManifest m = Cut(Desc("b", "c"), tmp_.Sub("fmt"));
  const EngineKind other =
      GetParam() == EngineKind::kRocksDb ? EngineKind::kMemory : EngineKind::kRocksDb;
  auto e = storage::OpenEngine(tmp_.Sub("other"), storage::EngineOptions{.kind = other});
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(IngestSnapshot(e->get(), m, tmp_.Sub("fmt")).Is(Status::Code::kNotSupported));
}

INSTANTIATE_TEST_SUITE_P(Engines, SnapshotTest,
                         ::testing::Values(EngineKind::kRocksDb, EngineKind::kMemory,
                                           EngineKind::kLmdb),
                         [](const auto& info) { return std::string(EngineKindName(info.param)); });

TEST(SnapshotDirsTest, UniqueNamesSurviveRestartAndCleanupKeepsMarkedDirs) {
  TempDir tmp;
  std::string kept, dropped;
  {
    SnapshotDirs dirs(tmp.path());
    ASSERT_TRUE(dirs.Open().ok());
    EXPECT_TRUE(std::filesystem::is_directory(dirs.send_root()));
    EXPECT_TRUE(std::filesystem::is_directory(dirs.recv_root()));
    std::set<std::string> names;
    for (int i = 0; i < 10; ++i) {
      names.insert(dirs.NewRecvDir(ShardId(7), Term(5), LogIndex(42)));
      names.insert(dirs.NewSendDir(ShardId(7), Term(5), LogIndex(42)));
    }
    EXPECT_EQ(names.size(), 20u);
    kept = dirs.NewRecvDir(ShardId(7), Term(5), LogIndex(42));
    dropped = dirs.NewSendDir(ShardId(8), Term(1), LogIndex(9));
    ASSERT_TRUE(storage::CreateDirs(kept).ok());
    ASSERT_TRUE(storage::CreateDirs(dropped + "/sub").ok());
    std::ofstream(dirs.recv_root() + "/stray-file") << "x";
  }
  SnapshotDirs dirs(tmp.path());
  ASSERT_TRUE(dirs.Open().ok());
  // A name handed out after the restart never equals one that is still on disk.
  const std::string next = dirs.NewRecvDir(ShardId(7), Term(5), LogIndex(42));
  EXPECT_NE(next, kept);
  auto counter = [](const std::string& p) { return std::stoull(p.substr(p.rfind('-') + 1)); };
  EXPECT_GT(counter(next), counter(kept));
  auto removed = dirs.CleanupAbandoned({kept + "/"});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2u);
  EXPECT_TRUE(std::filesystem::exists(kept));
  EXPECT_FALSE(std::filesystem::exists(dropped));
  ASSERT_TRUE(SnapshotDirs::Remove(kept).ok());
  ASSERT_TRUE(SnapshotDirs::Remove(kept).ok());  // already gone: OK
}

}  // namespace
}  // namespace tessera::multiraft

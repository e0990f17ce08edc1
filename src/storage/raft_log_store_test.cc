// LogStore against the memory engine and RocksDB: conformance with raft::MemoryStorage (the
// reference semantics of raft::LogStorage) under random appends, overwrites, compactions and
// snapshots across many shards, with reopens in between (recovery rebuilds first/last index and
// term); group commit (one engine write, one fsync per Write whatever the number of shards);
// rejection of bad input, which leaves the store unchanged; and a RawNode driven through a
// ShardLogStorage.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>

#include "common/random.h"
#include "raft/memory_storage.h"
#include "raft/raw_node.h"
#include "storage/raft_log_test_util.h"
#include "storage/write_batch.h"

namespace tessera::storage {
namespace {

using raft::Entry;
using raft::HardState;
using testing::LogStoreFixture;
using testing::MakeEntries;

class LogStoreTest : public ::testing::TestWithParam<EngineKind> {
 protected:
  explicit LogStoreTest(uint64_t cache_bytes = 1 << 20)
      : fx_(GetParam(), LogStoreOptions{.cache_bytes_per_shard = cache_bytes}) {}
  void SetUp() override { ASSERT_OK(fx_.Open()); }
  LogStore& store() { return fx_.store(); }

  LogStoreFixture fx_;
};

std::string KindName(const ::testing::TestParamInfo<EngineKind>& info) {
  return std::string(EngineKindName(info.param));
}

TEST_P(LogStoreTest, EmptyShard) {
  auto st = store().ShardStorage(ShardId(1));
  EXPECT_EQ(st->FirstIndex(), LogIndex(1));
  EXPECT_EQ(st->LastIndex(), LogIndex(0));
  EXPECT_EQ(*st->TermAt(LogIndex(0)), Term(0));
  EXPECT_TRUE(st->TermAt(LogIndex(1)).status().Is(Status::Code::kUnavailable));
  EXPECT_TRUE(st->Entries(LogIndex(1), LogIndex(2), 100).status().Is(Status::Code::kUnavailable));
  auto init = st->GetInitialState();
  ASSERT_TRUE(init.ok());
  EXPECT_TRUE(init->hard_state.IsEmpty());
  EXPECT_TRUE(st->GetSnapshot()->IsEmpty());
  EXPECT_TRUE(store().Shards().empty());
}

TEST_P(LogStoreTest, ExtraWritesGoInTheSameEngineWrite) {
  const ShardId s(3);
  LogWriteBatch b;
  b.Append(s, MakeEntries(1, 2, 1));
  WriteBatch extra;
  ASSERT_OK(extra.Put(Cf::kMeta, "apply/x", "state"));
  const uint64_t writes = store().writes();
  ASSERT_OK(store().Write(b, LogWriteOptions{.sync = true, .extra = &extra}));
  EXPECT_EQ(store().writes(), writes + 1);
  EXPECT_EQ(*store().engine()->Get(Cf::kMeta, "apply/x"), "state");
  EXPECT_EQ(store().LastIndex(s), LogIndex(2));
  // An invalid log batch writes nothing of the extra either.
  b.Clear();
  b.Append(s, MakeEntries(9, 9, 1));  // a gap
  WriteBatch extra2;
  ASSERT_OK(extra2.Put(Cf::kMeta, "apply/y", "state"));
  EXPECT_FALSE(store().Write(b, LogWriteOptions{.sync = true, .extra = &extra2}).ok());
  EXPECT_TRUE(store().engine()->Get(Cf::kMeta, "apply/y").status().Is(Status::Code::kNotFound));
  // Extra writes alone are written too.
  ASSERT_OK(store().Write(LogWriteBatch(), LogWriteOptions{.sync = false, .extra = &extra2}));
  EXPECT_EQ(*store().engine()->Get(Cf::kMeta, "apply/y"), "state");
}

TEST_P(LogStoreTest, AppendOverwriteCompactAndReopen) {
  const ShardId s(7);
  LogWriteBatch b;
  b.Append(s, MakeEntries(1, 10, 1));
  b.SetHardState(s, HardState{Term(1), NodeId(1), LogIndex(5)});
  ASSERT_OK(store().Write(b));
  // Overwrite a suffix with a shorter one at a higher term: entries 9 and 10 disappear.
  b.Clear();
  b.Append(s, MakeEntries(6, 8, 2, "x"));
  ASSERT_OK(store().Write(b));
  b.Clear();
  b.Compact(s, LogIndex(3));
  ASSERT_OK(store().Write(b));

  for (int round = 0; round < 2; ++round) {
    auto st = store().ShardStorage(s);
    EXPECT_EQ(st->FirstIndex(), LogIndex(4));
    EXPECT_EQ(st->LastIndex(), LogIndex(8));
    EXPECT_EQ(*st->TermAt(LogIndex(3)), Term(1));
    EXPECT_TRUE(st->TermAt(LogIndex(2)).status().Is(Status::Code::kCompacted));
    EXPECT_EQ(*st->TermAt(LogIndex(8)), Term(2));
    EXPECT_TRUE(st->TermAt(LogIndex(9)).status().Is(Status::Code::kUnavailable));
    auto ents = st->Entries(LogIndex(4), LogIndex(9), UINT64_MAX);
    ASSERT_TRUE(ents.ok()) << ents.status().ToString();
    ASSERT_EQ(ents->size(), 5u);
    EXPECT_EQ((*ents)[1].data.view(), "e5");
    EXPECT_EQ((*ents)[2].data.view(), "x6");
    EXPECT_EQ((*ents)[4], (Entry{Term(2), LogIndex(8), raft::EntryType::kNormal, "x8"}));
    EXPECT_TRUE(st->Entries(LogIndex(3), LogIndex(5), 100).status().Is(Status::Code::kCompacted));
    EXPECT_TRUE(
        st->Entries(LogIndex(4), LogIndex(10), 100).status().Is(Status::Code::kUnavailable));
    // max_bytes: at least one entry, then as many as fit.
    EXPECT_EQ(st->Entries(LogIndex(4), LogIndex(9), 0)->size(), 1u);
    EXPECT_EQ(st->Entries(LogIndex(4), LogIndex(9), 2 * raft::EntryBytes((*ents)[0]))->size(), 2u);
    EXPECT_EQ(st->GetInitialState()->hard_state, (HardState{Term(1), NodeId(1), LogIndex(5)}));
    ASSERT_OK(fx_.Reopen());
  }
  EXPECT_EQ(store().Shards(), std::vector<ShardId>{s});
}

TEST_P(LogStoreTest, SnapshotsAndConfState) {
  const ShardId s(3);
  raft::ConfState cs{.voters = {NodeId(1), NodeId(2), NodeId(3)}};
  LogWriteBatch b;
  b.SetConfState(s, cs);
  b.Append(s, MakeEntries(1, 20, 1));
  ASSERT_OK(store().Write(b));
  b.Clear();
  raft::ConfState cs2{.voters = {NodeId(1), NodeId(2)}, .learners = {NodeId(4)}};
  b.CreateSnapshot(s, LogIndex(15), &cs2);
  ASSERT_OK(store().Write(b));
  EXPECT_EQ(store().ShardStorage(s)->FirstIndex(), LogIndex(1));  // no compaction
  auto snap = store().GetSnapshot(s);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->metadata, (raft::SnapshotMetadata{cs2, LogIndex(15), Term(1)}));
  // Not newer: OutOfRange, nothing written.
  b.Clear();
  b.CreateSnapshot(s, LogIndex(15));
  EXPECT_TRUE(store().Write(b).Is(Status::Code::kOutOfRange));
  b.Clear();
  b.ApplySnapshot(s, raft::SnapshotMetadata{cs, LogIndex(10), Term(1)});
  EXPECT_TRUE(store().Write(b).Is(Status::Code::kOutOfRange));
  // A newer snapshot from the leader replaces the whole log.
  b.Clear();
  b.ApplySnapshot(s, raft::SnapshotMetadata{cs, LogIndex(100), Term(5)});
  ASSERT_OK(store().Write(b));
  for (int round = 0; round < 2; ++round) {
    auto st = store().ShardStorage(s);
    EXPECT_EQ(st->FirstIndex(), LogIndex(101));
    EXPECT_EQ(st->LastIndex(), LogIndex(100));
    EXPECT_EQ(*st->TermAt(LogIndex(100)), Term(5));
    EXPECT_TRUE(st->TermAt(LogIndex(50)).status().Is(Status::Code::kCompacted));
    EXPECT_EQ(st->GetInitialState()->conf_state, cs);
    EXPECT_EQ(st->GetSnapshot()->metadata.index, LogIndex(100));
    ASSERT_OK(fx_.Reopen());
  }
  // Appending continues after the snapshot.
  b.Clear();
  b.Append(s, MakeEntries(101, 102, 5));
  ASSERT_OK(store().Write(b));
  EXPECT_EQ(store().ShardStorage(s)->LastIndex(), LogIndex(102));
}

TEST_P(LogStoreTest, SnapshotDataHook) {
  LogStoreFixture fx(
      GetParam(),
      LogStoreOptions{
          .snapshot_data = [](ShardId shard, const raft::SnapshotMetadata&) -> Result<std::string> {
            if (shard == ShardId(2)) return Status::Busy("preparing");
            return std::string("image");
          }});
  ASSERT_OK(fx.Open());
  LogWriteBatch b;
  for (uint64_t s : {1, 2}) {
    b.ApplySnapshot(ShardId(s), raft::SnapshotMetadata{{}, LogIndex(9), Term(2)});
  }
  ASSERT_OK(fx.store().Write(b));
  EXPECT_EQ(fx.store().ShardStorage(ShardId(1))->GetSnapshot()->data, std::string("image"));
  EXPECT_TRUE(fx.store().ShardStorage(ShardId(2))->GetSnapshot().status().Is(Status::Code::kBusy));
}

TEST_P(LogStoreTest, GroupCommitIsOneSyncedEngineWrite) {
  const uint64_t writes = store().writes();
  const uint64_t syncs = store().sync_writes();
  LogWriteBatch b;
  for (uint64_t s = 1; s <= 64; ++s) {
    b.Append(ShardId(s), MakeEntries(1, 3, 1));
    b.SetHardState(ShardId(s), HardState{Term(1), NodeId(1), LogIndex(2)});
  }
  ASSERT_OK(store().Write(b));
  EXPECT_EQ(store().writes(), writes + 1);
  EXPECT_EQ(store().sync_writes(), syncs + 1);
  ASSERT_OK(store().Write(b, LogWriteOptions{.sync = false}));  // overwrite, same content
  EXPECT_EQ(store().writes(), writes + 2);
  EXPECT_EQ(store().sync_writes(), syncs + 1);
  ASSERT_OK(store().Write(LogWriteBatch()));  // empty: no write at all
  EXPECT_EQ(store().writes(), writes + 2);
  EXPECT_EQ(store().Shards().size(), 64u);
}

TEST_P(LogStoreTest, BadInputIsRejectedAndWritesNothing) {
  const ShardId a(1), s(2);
  LogWriteBatch b;
  b.Append(s, MakeEntries(1, 5, 2));
  b.SetHardState(s, HardState{Term(2), NodeId(1), LogIndex(3)});
  ASSERT_OK(store().Write(b));
  b.Clear();
  b.Compact(s, LogIndex(2));
  ASSERT_OK(store().Write(b));

  auto expect_rejected = [&](LogWriteBatch bad, Status::Code code, const char* what) {
    // Every bad batch also carries a valid write to another shard: it must not land either.
    bad.Append(a, MakeEntries(1, 1, 1));
    const uint64_t writes = store().writes();
    Status st = store().Write(bad);
    EXPECT_TRUE(st.Is(code)) << what << ": " << st.ToString();
    EXPECT_EQ(store().writes(), writes) << what;
    EXPECT_EQ(store().LastIndex(a), LogIndex(0)) << what;
    EXPECT_EQ(store().LastIndex(s), LogIndex(5)) << what;
    EXPECT_EQ(store().FirstIndex(s), LogIndex(3)) << what;
  };
  const auto kInvalid = Status::Code::kInvalidArgument;
  LogWriteBatch x;
  x.Append(s, MakeEntries(7, 8, 2));
  expect_rejected(x, kInvalid, "gap after the last index");
  x.Clear();
  x.Append(s, MakeEntries(2, 4, 2));
  expect_rejected(x, kInvalid, "below the first index");
  x.Clear();
  auto ents = MakeEntries(6, 8, 2);
  ents[2].index = LogIndex(9);
  x.Append(s, ents);
  expect_rejected(x, kInvalid, "not consecutive");
  x.Clear();
  x.Append(s, MakeEntries(6, 6, 1));
  expect_rejected(x, kInvalid, "term below the previous entry's");
  x.Clear();
  x.Append(s, MakeEntries(6, 6, 0));
  expect_rejected(x, kInvalid, "term zero");
  x.Clear();
  x.SetHardState(s, HardState{Term(1), NodeId(1), LogIndex(3)});
  expect_rejected(x, kInvalid, "term backwards");
  x.Clear();
  x.SetHardState(s, HardState{Term(2), NodeId(1), LogIndex(2)});
  expect_rejected(x, kInvalid, "commit backwards");
  x.Clear();
  x.SetHardState(s, HardState{Term(2), NodeId(3), LogIndex(3)});
  expect_rejected(x, kInvalid, "vote changed within a term");
  x.Clear();
  x.Compact(s, LogIndex(6));
  expect_rejected(x, kInvalid, "compact beyond the last index");
  x.Clear();
  x.CreateSnapshot(s, LogIndex(6));
  expect_rejected(x, kInvalid, "snapshot beyond the last index");
  x.Clear();
  x.Append(ShardId(0), MakeEntries(1, 1, 1));
  expect_rejected(x, kInvalid, "shard zero");
  x.Clear();
  x.Append(s, {Entry{Term(2), LogIndex(6), raft::EntryType::kNormal,
                     std::string(kMaxValueBytes + 1, 'v')}});
  expect_rejected(x, kInvalid, "entry over the value limit");
  // Compacting below the first index is a no-op, not an error.
  x.Clear();
  x.Compact(s, LogIndex(1));
  ASSERT_OK(store().Write(x));
  EXPECT_EQ(store().FirstIndex(s), LogIndex(3));
}

TEST_P(LogStoreTest, DestroyShard) {
  LogWriteBatch b;
  for (uint64_t s : {1, 2, 3}) b.Append(ShardId(s), MakeEntries(1, 4, 1));
  ASSERT_OK(store().Write(b));
  b.Clear();
  b.DestroyShard(ShardId(2));
  ASSERT_OK(store().Write(b));
  EXPECT_EQ(store().Shards(), (std::vector<ShardId>{ShardId(1), ShardId(3)}));
  ASSERT_OK(fx_.Reopen());
  EXPECT_EQ(store().Shards(), (std::vector<ShardId>{ShardId(1), ShardId(3)}));
  EXPECT_EQ(store().LastIndex(ShardId(2)), LogIndex(0));
  EXPECT_EQ(store().LastIndex(ShardId(3)), LogIndex(4));
  // Destroy and recreate in one batch.
  b.Clear();
  b.DestroyShard(ShardId(3));
  b.Append(ShardId(3), MakeEntries(1, 2, 7));
  ASSERT_OK(store().Write(b));
  ASSERT_OK(fx_.Reopen());
  EXPECT_EQ(*store().TermAt(ShardId(3), LogIndex(2)), Term(7));
  EXPECT_EQ(store().LastIndex(ShardId(3)), LogIndex(2));
}

// ---- Randomized conformance with raft::MemoryStorage ----

class LogStoreConformanceTest : public LogStoreTest {
 protected:
  // A tiny cache so that most reads go to the engine.
  LogStoreConformanceTest() : LogStoreTest(/*cache_bytes=*/300) {}
};

struct Model {
  raft::MemoryStorage mem;
  uint64_t term = 1;
};

void ExpectSameLog(const raft::MemoryStorage& want, const raft::LogStorage& got, Random& rnd,
                   const std::string& where) {
  SCOPED_TRACE(where);
  ASSERT_EQ(got.FirstIndex(), want.FirstIndex());
  ASSERT_EQ(got.LastIndex(), want.LastIndex());
  const uint64_t first = want.FirstIndex().value();
  const uint64_t last = want.LastIndex().value();
  for (uint64_t i = first - 1; i <= last + 1; ++i) {
    auto w = want.TermAt(LogIndex(i));
    auto g = got.TermAt(LogIndex(i));
    ASSERT_EQ(w.ok(), g.ok()) << "TermAt " << i << ": " << g.status().ToString();
    if (w.ok()) {
      ASSERT_EQ(*w, *g) << "TermAt " << i;
    } else {
      ASSERT_EQ(w.status().code(), g.status().code()) << "TermAt " << i;
    }
  }
  if (first > 1) {
    ASSERT_EQ(got.TermAt(LogIndex(first - 2)).status().code(), Status::Code::kCompacted);
  }
  for (int k = 0; k < 8; ++k) {
    const uint64_t lo = rnd.Range(first > 1 ? first - 1 : 1, last + 1);
    const uint64_t hi = rnd.Range(lo + 1, last + 2);
    const uint64_t max_bytes = rnd.Chance(0.5) ? UINT64_MAX : rnd.Uniform(200);
    auto w = want.Entries(LogIndex(lo), LogIndex(hi), max_bytes);
    auto g = got.Entries(LogIndex(lo), LogIndex(hi), max_bytes);
    ASSERT_EQ(w.ok(), g.ok()) << "Entries " << lo << ".." << hi << ": " << g.status().ToString();
    if (w.ok()) {
      ASSERT_EQ(*w, *g) << "Entries " << lo << ".." << hi << " max " << max_bytes;
    } else {
      ASSERT_EQ(w.status().code(), g.status().code()) << "Entries " << lo << ".." << hi;
    }
  }
  ASSERT_EQ(want.GetSnapshot()->metadata, got.GetSnapshot()->metadata);
  ASSERT_EQ(want.GetInitialState()->hard_state, got.GetInitialState()->hard_state);
  ASSERT_EQ(want.GetInitialState()->conf_state, got.GetInitialState()->conf_state);
}

// Adds one random operation for `shard` to both the model and the batch.
void RandomOp(ShardId shard, Model& m, Random& rnd, LogWriteBatch& b) {
  raft::MemoryStorage& mem = m.mem;
  const uint64_t first = mem.FirstIndex().value();
  const uint64_t last = mem.LastIndex().value();
  const uint64_t dice = rnd.Uniform(100);
  if (dice < 60) {  // append, often overwriting a suffix at a new term
    // Never overwrite at or below the snapshot (Raft snapshots only committed entries).
    const uint64_t lo = std::max(first, mem.GetSnapshot()->metadata.index.value() + 1);
    uint64_t start = last + 1;
    if (rnd.Chance(0.3) && last >= lo) {
      start = rnd.Range(lo, last);
      m.term += 1;
    }
    std::vector<Entry> ents;
    const uint64_t n = rnd.Range(1, 12);
    for (uint64_t i = start; i < start + n; ++i) {
      ents.push_back(
          Entry{Term(m.term), LogIndex(i),
                rnd.Chance(0.1) ? raft::EntryType::kConfChange : raft::EntryType::kNormal,
                std::string(rnd.Uniform(60), static_cast<char>('a' + i % 26))});
    }
    mem.Append(ents);
    b.Append(shard, std::move(ents));
  } else if (dice < 75) {
    HardState hs = mem.hard_state();
    hs.term = Term(m.term);
    hs.commit = LogIndex(std::max(hs.commit.value(), rnd.Uniform(last + 1)));
    mem.SetHardState(hs);
    b.SetHardState(shard, hs);
  } else if (dice < 87) {
    if (last < first) return;
    const LogIndex ci(rnd.Range(first, last));
    ASSERT_OK(mem.Compact(ci));
    b.Compact(shard, ci);
  } else if (dice < 95) {
    const uint64_t snap = mem.GetSnapshot()->metadata.index.value();
    const uint64_t lo = std::max(snap + 1, first);
    if (lo > last) return;
    const LogIndex i(rnd.Range(lo, last));
    raft::ConfState cs{.voters = {NodeId(rnd.Range(1, 5))}};
    ASSERT_OK(mem.CreateSnapshot(i, rnd.Chance(0.5) ? &cs : nullptr, ""));
    b.CreateSnapshot(shard, i, &mem.GetSnapshot()->metadata.conf_state);
  } else {
    m.term += 1;
    raft::Snapshot snap;
    snap.metadata = {.conf_state = {.voters = {NodeId(1), NodeId(2)}},
                     .index = LogIndex(last + rnd.Range(1, 30)),
                     .term = Term(m.term)};
    ASSERT_OK(mem.ApplySnapshot(snap));
    b.ApplySnapshot(shard, snap.metadata);
  }
}

TEST_P(LogStoreConformanceTest, RandomOperationsMatchMemoryStorage) {
  SeededRandom rnd(20261122);
  constexpr uint64_t kShards = 6;
  std::map<ShardId, Model> models;
  for (int round = 0; round < 150; ++round) {
    LogWriteBatch b;
    const int ops = static_cast<int>(rnd.Range(1, 8));
    for (int k = 0; k < ops; ++k) {
      const ShardId shard(rnd.Range(1, kShards));
      RandomOp(shard, models[shard], rnd, b);
      if (HasFatalFailure()) return;
    }
    ASSERT_OK(store().Write(b, LogWriteOptions{.sync = rnd.Chance(0.2)}));
    if (rnd.Chance(0.1)) ASSERT_OK(fx_.Reopen());
    for (auto& [shard, m] : models) {
      auto view = store().ShardStorage(shard);
      ExpectSameLog(m.mem, *view, rnd, fmt::format("round {} shard {}", round, shard.value()));
      if (HasFatalFailure()) return;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, LogStoreTest,
                         ::testing::Values(EngineKind::kMemory, EngineKind::kRocksDb), KindName);
INSTANTIATE_TEST_SUITE_P(Engines, LogStoreConformanceTest,
                         ::testing::Values(EngineKind::kMemory, EngineKind::kRocksDb), KindName);

// ---- A RawNode over a ShardLogStorage ----

TEST(LogStoreRaftTest, SingleNodeGroupCommitsAndRestarts) {
  LogStoreFixture fx(EngineKind::kRocksDb, {});
  ASSERT_OK(fx.Open());
  const ShardId s(11);
  {
    LogWriteBatch b;
    b.SetConfState(s, raft::ConfState{.voters = {NodeId(1)}});
    ASSERT_OK(fx.store().Write(b));
  }
  SeededRandom rnd(1);
  auto run = [&](int proposals) -> LogIndex {
    auto storage = fx.store().ShardStorage(s);
    raft::Config cfg;
    cfg.id = NodeId(1);
    cfg.storage = storage.get();
    cfg.random = &rnd;
    auto node = raft::RawNode::Create(cfg);
    EXPECT_TRUE(node.ok()) << node.status().ToString();
    if (!node.ok()) return LogIndex(0);
    (*node)->Campaign();
    int proposed = 0;
    for (int step = 0; step < 1000; ++step) {
      if (proposed < proposals && (*node)->soft_state().role == raft::StateRole::kLeader) {
        EXPECT_OK((*node)->Propose("p" + std::to_string(proposed++)));
      }
      if (!(*node)->HasReady()) {
        if (proposed == proposals) break;
        continue;
      }
      raft::Ready rd = (*node)->GetReady();
      LogWriteBatch b;
      if (rd.hard_state) b.SetHardState(s, *rd.hard_state);
      b.Append(s, rd.entries);
      EXPECT_OK(fx.store().Write(b, LogWriteOptions{.sync = rd.must_sync}));
      (*node)->Advance();
    }
    return fx.store().ShardStorage(s)->GetInitialState()->hard_state.commit;
  };
  const LogIndex commit1 = run(10);
  EXPECT_GE(commit1, LogIndex(11));  // the leader's empty entry and ten proposals
  ASSERT_OK(fx.Reopen());
  const LogIndex commit2 = run(5);
  EXPECT_GE(commit2, commit1 + 6);  // a new term's empty entry and five more
}

}  // namespace
}  // namespace tessera::storage

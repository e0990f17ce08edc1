// Corrupt records are reported, never served: a flipped byte in an entry, a record moved under
// another key, a missing entry in the middle of the log, and corrupt meta records all surface as
// Corruption naming the shard and the index (or the record). The records are damaged by writing
// raw bytes into the engine, bypassing the store, and the store is reopened so that its cache
// cannot hide the damage.
#include <gtest/gtest.h>

#include "storage/raft_log_format.h"
#include "storage/raft_log_test_util.h"
#include "storage/write_batch.h"

namespace tessera::storage {
namespace {

using testing::LogStoreFixture;
using testing::MakeEntries;

class LogStoreCorruptionTest : public ::testing::TestWithParam<EngineKind> {
 protected:
  LogStoreCorruptionTest() : fx_(GetParam(), {}) {}

  void SetUp() override {
    ASSERT_OK(fx_.Open());
    LogWriteBatch b;
    for (uint64_t s : {6, 7, 8}) {
      b.Append(ShardId(s), MakeEntries(1, 10, 3));
      b.SetHardState(ShardId(s), raft::HardState{Term(3), NodeId(1), LogIndex(4)});
    }
    ASSERT_OK(fx_.store().Write(b));
  }

  // Replaces the stored record under `key` with `mutate(record)`, then reopens the store.
  template <typename F>
  void Damage(const std::string& key, F mutate) {
    auto rec = fx_.engine().Get(Cf::kRaft, key);
    ASSERT_TRUE(rec.ok()) << rec.status().ToString();
    std::string v = *rec;
    mutate(v);
    ASSERT_OK(fx_.engine().Put(WriteOptions{}, Cf::kRaft, key, v));
  }

  static void ExpectCorruption(const Status& s, const std::string& needle) {
    EXPECT_TRUE(s.Is(Status::Code::kCorruption)) << s.ToString();
    EXPECT_NE(s.ToString().find(needle), std::string::npos) << s.ToString();
  }

  LogStoreFixture fx_;
};

std::string KindName(const ::testing::TestParamInfo<EngineKind>& info) {
  return std::string(EngineKindName(info.param));
}

TEST_P(LogStoreCorruptionTest, FlippedByteInEntry) {
  const std::string key = raftlog::EntryKey(ShardId(7), LogIndex(5));
  // Every byte position: checksum, tag, term, type, payload.
  auto rec = fx_.engine().Get(Cf::kRaft, key);
  ASSERT_TRUE(rec.ok());
  for (size_t pos = 0; pos < rec->size(); ++pos) {
    SCOPED_TRACE(pos);
    Damage(key, [&](std::string& v) {
      v = *rec;
      v[pos] ^= 0x20;
    });
    ASSERT_OK(fx_.Reopen());
    auto view = fx_.store().ShardStorage(ShardId(7));
    ExpectCorruption(view->Entries(LogIndex(3), LogIndex(8), UINT64_MAX).status(),
                     "shard 7 entry 5");
    ExpectCorruption(view->TermAt(LogIndex(5)).status(), "shard 7 entry 5");
    // The neighbours and the other shards still read.
    EXPECT_TRUE(view->Entries(LogIndex(1), LogIndex(5), UINT64_MAX).ok());
    EXPECT_TRUE(view->Entries(LogIndex(6), LogIndex(11), UINT64_MAX).ok());
    EXPECT_TRUE(fx_.store().Entries(ShardId(6), LogIndex(1), LogIndex(11), UINT64_MAX).ok());
  }
}

TEST_P(LogStoreCorruptionTest, RecordUnderAnotherKey) {
  // A valid record of shard 6 entry 5 copied over shard 7 entry 5: the checksum covers the key.
  auto other = fx_.engine().Get(Cf::kRaft, raftlog::EntryKey(ShardId(6), LogIndex(5)));
  ASSERT_TRUE(other.ok());
  Damage(raftlog::EntryKey(ShardId(7), LogIndex(5)), [&](std::string& v) { v = *other; });
  ASSERT_OK(fx_.Reopen());
  ExpectCorruption(fx_.store().TermAt(ShardId(7), LogIndex(5)).status(), "shard 7 entry 5");
}

TEST_P(LogStoreCorruptionTest, TruncatedRecord) {
  Damage(raftlog::EntryKey(ShardId(7), LogIndex(2)), [](std::string& v) { v.resize(3); });
  ASSERT_OK(fx_.Reopen());
  ExpectCorruption(fx_.store().Entries(ShardId(7), LogIndex(1), LogIndex(4), 1000).status(),
                   "shard 7 entry 2");
}

TEST_P(LogStoreCorruptionTest, MissingEntryInTheMiddle) {
  ASSERT_OK(
      fx_.engine().Delete(WriteOptions{}, Cf::kRaft, raftlog::EntryKey(ShardId(8), LogIndex(6))));
  ASSERT_OK(fx_.Reopen());
  ExpectCorruption(fx_.store().Entries(ShardId(8), LogIndex(2), LogIndex(9), UINT64_MAX).status(),
                   "shard 8 entry 6");
  ExpectCorruption(fx_.store().TermAt(ShardId(8), LogIndex(6)).status(), "shard 8 entry 6");
}

TEST_P(LogStoreCorruptionTest, CorruptLastEntryFailsOpen) {
  Damage(raftlog::EntryKey(ShardId(8), LogIndex(10)), [](std::string& v) { v.back() ^= 1; });
  ExpectCorruption(fx_.Reopen(), "shard 8 entry 10");
}

TEST_P(LogStoreCorruptionTest, CorruptHardStateFailsOpen) {
  Damage(raftlog::MetaKey(ShardId(6), raftlog::KeyKind::kHardState),
         [](std::string& v) { v[v.size() - 1] ^= 4; });
  ExpectCorruption(fx_.Reopen(), "shard 6 hard state");
}

TEST_P(LogStoreCorruptionTest, HoleAtTheStartFailsOpen) {
  ASSERT_OK(
      fx_.engine().Delete(WriteOptions{}, Cf::kRaft, raftlog::EntryKey(ShardId(6), LogIndex(1))));
  ExpectCorruption(fx_.Reopen(), "shard 6");
}

TEST_P(LogStoreCorruptionTest, ForeignKeyFailsOpen) {
  ASSERT_OK(fx_.engine().Put(WriteOptions{}, Cf::kRaft, "\x01garbage", "x"));
  EXPECT_TRUE(fx_.Reopen().Is(Status::Code::kCorruption));
}

INSTANTIATE_TEST_SUITE_P(Engines, LogStoreCorruptionTest,
                         ::testing::Values(EngineKind::kMemory, EngineKind::kRocksDb), KindName);

// ---- The format itself ----

TEST(RaftLogFormatTest, KeysSortByShardThenKindThenIndex) {
  using raftlog::EntryKey;
  using raftlog::KeyKind;
  using raftlog::MetaKey;
  EXPECT_LT(MetaKey(ShardId(1), KeyKind::kHardState), MetaKey(ShardId(1), KeyKind::kTruncated));
  EXPECT_LT(MetaKey(ShardId(1), KeyKind::kSnapshot), EntryKey(ShardId(1), LogIndex(0)));
  EXPECT_LT(EntryKey(ShardId(1), LogIndex(255)), EntryKey(ShardId(1), LogIndex(256)));
  EXPECT_LT(EntryKey(ShardId(1), LogIndex(UINT64_MAX)), raftlog::EntriesEnd(ShardId(1)));
  EXPECT_LT(raftlog::EntriesEnd(ShardId(1)), raftlog::ShardEnd(ShardId(1)));
  EXPECT_LT(EntryKey(ShardId(1), LogIndex(UINT64_MAX)), MetaKey(ShardId(2), KeyKind::kHardState));
  EXPECT_EQ(EntryKey(ShardId(1), LogIndex(1)).size(), raftlog::kEntryKeyBytes);
  auto p = raftlog::ParseKey(EntryKey(ShardId(300), LogIndex(70000)));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->shard, ShardId(300));
  EXPECT_EQ(p->index, LogIndex(70000));
  EXPECT_TRUE(
      raftlog::ParseKey(std::string("\x02") + "abcdefghij").status().Is(Status::Code::kCorruption));
}

TEST(RaftLogFormatTest, RecordsRoundTrip) {
  const std::string key = raftlog::MetaKey(ShardId(5), raftlog::KeyKind::kSnapshot);
  raft::SnapshotMetadata m{.conf_state = {.voters = {NodeId(1), NodeId(2)},
                                          .learners = {NodeId(9)},
                                          .voters_outgoing = {NodeId(1), NodeId(3)},
                                          .learners_next = {NodeId(3)},
                                          .auto_leave = true},
                           .index = LogIndex(77),
                           .term = Term(4)};
  std::string rec;
  raftlog::EncodeSnapshotMeta(key, m, &rec);
  auto got = raftlog::DecodeSnapshotMeta(key, rec, "snap");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, m);
  // A record decoded as another type is refused by its tag (the checksum holds).
  EXPECT_TRUE(raftlog::DecodeHardState(key, rec, "hs").status().Is(Status::Code::kCorruption));
  // Entries round-trip with their type; the index comes from the key.
  raft::Entry e{Term(2), LogIndex(3), raft::EntryType::kConfChange, "cc"};
  const std::string ekey = raftlog::EntryKey(ShardId(5), LogIndex(3));
  raftlog::EncodeEntry(ekey, e, &rec);
  auto ge = raftlog::DecodeEntry(ekey, rec, LogIndex(3), "e");
  ASSERT_TRUE(ge.ok());
  EXPECT_EQ(*ge, e);
}

}  // namespace
}  // namespace tessera::storage

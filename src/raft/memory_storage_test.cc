// Unit tests for memory_storage.cc: the in-memory LogStorage (reads, compaction, snapshots,
// appends with truncation) and LimitSize.
#include "raft/memory_storage.h"

#include <gtest/gtest.h>

#include <limits>
#include <utility>
#include <vector>

#include "raft/test_util.h"

namespace tessera::raft {
namespace {

using namespace testutil;  // NOLINT(google-build-using-namespace)

Snapshot Snap(uint64_t index, uint64_t term, std::vector<NodeId> voters = {NodeId(1)}) {
  Snapshot s;
  s.metadata.index = LogIndex(index);
  s.metadata.term = Term(term);
  s.metadata.conf_state.voters = std::move(voters);
  s.data = "image@" + std::to_string(index);
  return s;
}

// A storage whose snapshot is at (3, 3) and which holds entries 4 (term 4) and 5 (term 5), as in
// etcd raft's storage tests.
MemoryStorage Standard() {
  MemoryStorage s;
  EXPECT_TRUE(s.ApplySnapshot(Snap(3, 3)).ok());
  s.Append({E(4, 4, "d"), E(5, 5, "e")});
  return s;
}

IT StoredEntries(const MemoryStorage& s) {
  if (s.LastIndex() < s.FirstIndex()) return {};
  auto r = s.Entries(s.FirstIndex(), s.LastIndex().next(), kNoLimit);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? Pairs(*r) : IT{};
}

TEST(MemoryStorageTest, Empty) {
  MemoryStorage s;
  EXPECT_EQ(s.FirstIndex(), I(1));
  EXPECT_EQ(s.LastIndex(), I(0));
  ASSERT_TRUE(s.TermAt(I(0)).ok());
  EXPECT_EQ(*s.TermAt(I(0)), T(0));
  EXPECT_TRUE(s.TermAt(I(1)).status().Is(Status::Code::kUnavailable));
  EXPECT_TRUE(s.Entries(I(1), I(1), kNoLimit).status().Is(Status::Code::kUnavailable));
  auto st = s.GetInitialState();
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->hard_state.IsEmpty());
  EXPECT_EQ(st->conf_state, ConfState{});
  auto snap = s.GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(snap->IsEmpty());
}

TEST(MemoryStorageTest, TermAt) {
  const MemoryStorage s = Standard();
  EXPECT_TRUE(s.TermAt(I(2)).status().Is(Status::Code::kCompacted));
  EXPECT_EQ(*s.TermAt(I(3)), T(3));  // the snapshot's term
  EXPECT_EQ(*s.TermAt(I(4)), T(4));
  EXPECT_EQ(*s.TermAt(I(5)), T(5));
  EXPECT_TRUE(s.TermAt(I(6)).status().Is(Status::Code::kUnavailable));
}

TEST(MemoryStorageTest, FirstAndLastIndex) {
  const MemoryStorage s = Standard();
  EXPECT_EQ(s.FirstIndex(), I(4));
  EXPECT_EQ(s.LastIndex(), I(5));
}

TEST(MemoryStorageTest, Entries) {
  MemoryStorage s = Standard();
  s.Append({E(6, 6, "f")});
  struct Case {
    uint64_t lo, hi, max_bytes;
    Status::Code code;
    IT want;
  };
  const Case cases[] = {
      {2, 6, kNoLimit, Status::Code::kCompacted, {}},
      {3, 4, kNoLimit, Status::Code::kCompacted, {}},  // the snapshot's entry is not readable
      {4, 5, kNoLimit, Status::Code::kOk, {{4, 4}}},
      {4, 7, kNoLimit, Status::Code::kOk, {{4, 4}, {5, 5}, {6, 6}}},
      {4, 8, kNoLimit, Status::Code::kUnavailable, {}},
      {4, 7, 0, Status::Code::kOk, {{4, 4}}},  // at least one entry
      {4, 7, 49, Status::Code::kOk, {{4, 4}}},
      {4, 7, 50, Status::Code::kOk, {{4, 4}, {5, 5}}},
      {4, 7, 74, Status::Code::kOk, {{4, 4}, {5, 5}}},
      {4, 7, 75, Status::Code::kOk, {{4, 4}, {5, 5}, {6, 6}}},
  };
  for (const Case& c : cases) {
    auto r = s.Entries(I(c.lo), I(c.hi), c.max_bytes);
    EXPECT_EQ(r.status().code(), c.code) << c.lo << ".." << c.hi << ": " << r.status().ToString();
    if (r.ok()) {
      EXPECT_EQ(Pairs(*r), c.want) << c.lo << ".." << c.hi << " max " << c.max_bytes;
    }
  }
  auto r = s.Entries(I(5), I(6), kNoLimit);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].data.ToString(), "e");
}

TEST(MemoryStorageTest, Compact) {
  struct Case {
    uint64_t compact;
    Status::Code code;
    uint64_t first, last, dummy_term;
  };
  const Case cases[] = {
      {2, Status::Code::kCompacted, 4, 5, 3},
      {3, Status::Code::kCompacted, 4, 5, 3},
      {4, Status::Code::kOk, 5, 5, 4},
      {5, Status::Code::kOk, 6, 5, 5},
  };
  for (const Case& c : cases) {
    MemoryStorage s = Standard();
    const Status st = s.Compact(I(c.compact));
    EXPECT_EQ(st.code(), c.code) << c.compact << ": " << st.ToString();
    EXPECT_EQ(s.FirstIndex(), I(c.first)) << c.compact;
    EXPECT_EQ(s.LastIndex(), I(c.last)) << c.compact;
    auto t = s.TermAt(I(c.first - 1));
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t, T(c.dummy_term)) << c.compact;
    EXPECT_TRUE(s.TermAt(I(c.first - 2)).status().Is(Status::Code::kCompacted));
  }
  // Compacting does not change the snapshot.
  MemoryStorage s = Standard();
  ASSERT_TRUE(s.Compact(I(5)).ok());
  EXPECT_EQ(s.GetSnapshot()->metadata.index, I(3));
  EXPECT_TRUE(s.Entries(I(5), I(6), kNoLimit).status().Is(Status::Code::kCompacted));
}

TEST(MemoryStorageDeathTest, CompactBeyondLastIndexAsserts) {
  MemoryStorage s = Standard();
  EXPECT_DEATH((void)s.Compact(I(6)), "compacting beyond the last index");
}

TEST(MemoryStorageTest, CreateSnapshot) {
  MemoryStorage s = Standard();
  const ConfState cs{.voters = {NodeId(1), NodeId(2)}};
  ASSERT_TRUE(s.CreateSnapshot(I(4), &cs, "four").ok());
  auto snap = s.GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->metadata.index, I(4));
  EXPECT_EQ(snap->metadata.term, T(4));
  EXPECT_EQ(snap->metadata.conf_state, cs);
  EXPECT_EQ(snap->data, "four");
  // Entries stay until compacted.
  EXPECT_EQ(s.FirstIndex(), I(4));
  EXPECT_EQ(StoredEntries(s), (IT{{4, 4}, {5, 5}}));
  // Not newer: refused and unchanged.
  EXPECT_TRUE(s.CreateSnapshot(I(4), nullptr, "x").Is(Status::Code::kOutOfRange));
  EXPECT_TRUE(s.CreateSnapshot(I(3), nullptr, "x").Is(Status::Code::kOutOfRange));
  EXPECT_EQ(s.GetSnapshot()->data, "four");
  // Without a ConfState the membership is kept.
  ASSERT_TRUE(s.CreateSnapshot(I(5), nullptr, "five").ok());
  EXPECT_EQ(s.GetSnapshot()->metadata.conf_state, cs);
  EXPECT_EQ(s.GetSnapshot()->metadata.term, T(5));
  EXPECT_EQ(s.GetInitialState()->conf_state, cs);
}

TEST(MemoryStorageDeathTest, CreateSnapshotBeyondLastIndexAsserts) {
  MemoryStorage s = Standard();
  EXPECT_DEATH((void)s.CreateSnapshot(I(6), nullptr, ""), "snapshot beyond the last index");
}

TEST(MemoryStorageTest, ApplySnapshot) {
  MemoryStorage s = Standard();
  // Stale or equal snapshots are refused and change nothing.
  EXPECT_TRUE(s.ApplySnapshot(Snap(3, 3)).Is(Status::Code::kOutOfRange));
  EXPECT_TRUE(s.ApplySnapshot(Snap(2, 2)).Is(Status::Code::kOutOfRange));
  EXPECT_EQ(s.FirstIndex(), I(4));
  EXPECT_EQ(s.LastIndex(), I(5));
  // A newer one replaces the whole log, even entries beyond it.
  ASSERT_TRUE(s.ApplySnapshot(Snap(4, 4, {NodeId(1), NodeId(3)})).ok());
  EXPECT_EQ(s.FirstIndex(), I(5));
  EXPECT_EQ(s.LastIndex(), I(4));
  EXPECT_EQ(*s.TermAt(I(4)), T(4));
  EXPECT_TRUE(s.TermAt(I(5)).status().Is(Status::Code::kUnavailable));
  EXPECT_EQ(s.GetSnapshot()->data, "image@4");
  EXPECT_EQ(s.GetInitialState()->conf_state.voters, (std::vector<NodeId>{NodeId(1), NodeId(3)}));
  ASSERT_TRUE(s.ApplySnapshot(Snap(10, 6)).ok());
  EXPECT_EQ(s.FirstIndex(), I(11));
  EXPECT_EQ(s.LastIndex(), I(10));
  EXPECT_EQ(*s.TermAt(I(10)), T(6));
  s.Append({E(11, 6)});
  EXPECT_EQ(StoredEntries(s), (IT{{11, 6}}));
}

TEST(MemoryStorageTest, Append) {
  struct Case {
    std::vector<Entry> ents;
    IT want;
  };
  const std::vector<Case> cases = {
      {{E(4, 4), E(5, 5)}, {{4, 4}, {5, 5}}},           // identical
      {{E(3, 3), E(4, 4), E(5, 5)}, {{4, 4}, {5, 5}}},  // compacted prefix ignored
      {{E(3, 3), E(4, 6), E(5, 6)}, {{4, 6}, {5, 6}}},  // conflict replaces
      {{E(3, 3), E(4, 4), E(5, 5), E(6, 5)}, {{4, 4}, {5, 5}, {6, 5}}},
      {{E(2, 3), E(3, 3), E(4, 5)}, {{4, 5}}},  // truncates the suffix after the new entry
      {{E(4, 5)}, {{4, 5}}},
      {{E(5, 5)}, {{4, 4}, {5, 5}}},
      {{E(5, 6)}, {{4, 4}, {5, 6}}},
      {{E(6, 5)}, {{4, 4}, {5, 5}, {6, 5}}},            // appends at the end
      {{E(1, 1), E(2, 2), E(3, 3)}, {{4, 4}, {5, 5}}},  // entirely compacted: ignored
      {{}, {{4, 4}, {5, 5}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    MemoryStorage s = Standard();
    s.Append(cases[i].ents);
    EXPECT_EQ(StoredEntries(s), cases[i].want) << "case " << i;
    EXPECT_EQ(*s.TermAt(I(3)), T(3)) << "case " << i;  // the snapshot entry is untouched
  }
}

TEST(MemoryStorageDeathTest, AppendWithGapAsserts) {
  MemoryStorage s = Standard();
  EXPECT_DEATH(s.Append({E(7, 5)}), "gap in appended entries");
}

TEST(MemoryStorageTest, HardStateRoundTrip) {
  MemoryStorage s;
  const HardState hs{Term(3), NodeId(2), LogIndex(0)};
  s.SetHardState(hs);
  s.SetConfState({.voters = {NodeId(1), NodeId(2)}});
  auto st = s.GetInitialState();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->hard_state, hs);
  EXPECT_EQ(st->conf_state.voters, (std::vector<NodeId>{NodeId(1), NodeId(2)}));
}

TEST(LimitSizeTest, KeepsAtLeastOneEntry) {
  std::vector<Entry> none;
  LimitSize(&none, 0);
  EXPECT_TRUE(none.empty());

  const std::string big(1000, 'x');
  std::vector<Entry> ents = {E(1, 1, big), E(2, 1), E(3, 1)};
  LimitSize(&ents, 10);
  EXPECT_EQ(Pairs(ents), (IT{{1, 1}}));

  ents = {E(1, 1), E(2, 1), E(3, 1)};  // 24 bytes each
  LimitSize(&ents, 47);
  EXPECT_EQ(ents.size(), 1u);
  ents = {E(1, 1), E(2, 1), E(3, 1)};
  LimitSize(&ents, 48);
  EXPECT_EQ(ents.size(), 2u);
  ents = {E(1, 1), E(2, 1), E(3, 1)};
  LimitSize(&ents, 72);
  EXPECT_EQ(ents.size(), 3u);
  ents = {E(1, 1), E(2, 1), E(3, 1)};
  LimitSize(&ents, kNoLimit);
  EXPECT_EQ(ents.size(), 3u);
}

TEST(LimitSizeTest, PayloadAndEntryBytes) {
  EXPECT_EQ(PayloadBytes(E(1, 1)), 0u);
  EXPECT_EQ(PayloadBytes(E(1, 1, "abc")), 3u);
  EXPECT_EQ(EntryBytes(E(1, 1, "abc")), 27u);
  EXPECT_EQ(PayloadBytes(std::vector<Entry>{E(1, 1, "ab"), E(2, 1), E(3, 1, "cde")}), 5u);
}

}  // namespace
}  // namespace tessera::raft

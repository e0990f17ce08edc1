// Unit tests for unstable.cc and raft_log.cc: the in-memory tail of the log and the whole log as
// Raft sees it (append with conflicts, commit rules, slices across the storage boundary).
#include "raft/raft_log.h"

#include <gtest/gtest.h>

#include <limits>
#include <utility>
#include <vector>

#include "raft/memory_storage.h"
#include "raft/test_util.h"
#include "raft/unstable.h"

namespace tessera::raft {
namespace {

using namespace testutil;  // NOLINT(google-build-using-namespace)

Snapshot Snap(uint64_t index, uint64_t term) {
  Snapshot s;
  s.metadata.index = LogIndex(index);
  s.metadata.term = Term(term);
  s.metadata.conf_state.voters = {NodeId(1)};
  return s;
}

// ---------------------------------------------------------------------------------------------
// Unstable

TEST(UnstableTest, TruncateAndAppendAppends) {
  Unstable u(I(5));
  u.TruncateAndAppend({E(5, 1), E(6, 1)});
  EXPECT_EQ(Pairs(u.entries()), (IT{{5, 1}, {6, 1}}));
  u.TruncateAndAppend({E(7, 2)});
  EXPECT_EQ(u.offset(), I(5));
  EXPECT_EQ(Pairs(u.entries()), (IT{{5, 1}, {6, 1}, {7, 2}}));
}

TEST(UnstableTest, TruncateAndAppendReplacesBeforeOffset) {
  Unstable u(I(5));
  u.TruncateAndAppend({E(5, 1), E(6, 1)});
  u.TruncateAndAppend({E(4, 2), E(5, 2)});
  EXPECT_EQ(u.offset(), I(4));
  EXPECT_EQ(Pairs(u.entries()), (IT{{4, 2}, {5, 2}}));
  u.TruncateAndAppend({E(4, 3)});  // exactly at the offset
  EXPECT_EQ(u.offset(), I(4));
  EXPECT_EQ(Pairs(u.entries()), (IT{{4, 3}}));
}

TEST(UnstableTest, TruncateAndAppendTruncatesInTheMiddle) {
  Unstable u(I(5));
  u.TruncateAndAppend({E(5, 1), E(6, 1), E(7, 1), E(8, 1)});
  u.TruncateAndAppend({E(6, 3), E(7, 3)});
  EXPECT_EQ(u.offset(), I(5));
  EXPECT_EQ(Pairs(u.entries()), (IT{{5, 1}, {6, 3}, {7, 3}}));
  EXPECT_EQ(u.MaybeLastIndex(), I(7));
}

TEST(UnstableTest, MaybeTermAndIndexes) {
  Unstable u(I(5));
  EXPECT_EQ(u.MaybeFirstIndex(), std::nullopt);
  EXPECT_EQ(u.MaybeLastIndex(), std::nullopt);
  EXPECT_EQ(u.MaybeTerm(I(5)), std::nullopt);
  u.TruncateAndAppend({E(5, 1), E(6, 2)});
  EXPECT_EQ(u.MaybeFirstIndex(), std::nullopt);  // only a snapshot defines a first index
  EXPECT_EQ(u.MaybeLastIndex(), I(6));
  EXPECT_EQ(u.MaybeTerm(I(4)), std::nullopt);
  EXPECT_EQ(u.MaybeTerm(I(5)), T(1));
  EXPECT_EQ(u.MaybeTerm(I(6)), T(2));
  EXPECT_EQ(u.MaybeTerm(I(7)), std::nullopt);
}

TEST(UnstableTest, StableToDropsPersistedPrefix) {
  Unstable u(I(5));
  u.TruncateAndAppend({E(5, 1), E(6, 1), E(7, 1)});
  u.StableTo(I(6), T(1));
  EXPECT_EQ(u.offset(), I(7));
  EXPECT_EQ(Pairs(u.entries()), (IT{{7, 1}}));
  u.StableTo(I(7), T(1));
  EXPECT_EQ(u.offset(), I(8));
  EXPECT_TRUE(u.entries().empty());
}

TEST(UnstableTest, StableToWithMismatchedTermIsIgnored) {
  Unstable u(I(5));
  u.TruncateAndAppend({E(5, 1), E(6, 1)});
  // The entry at 6 was persisted with term 1, then replaced by a term-2 entry before Advance.
  u.TruncateAndAppend({E(6, 2)});
  u.StableTo(I(6), T(1));
  EXPECT_EQ(u.offset(), I(5));
  EXPECT_EQ(Pairs(u.entries()), (IT{{5, 1}, {6, 2}}));
  // Out of range: ignored.
  u.StableTo(I(4), T(1));
  u.StableTo(I(9), T(1));
  EXPECT_EQ(u.offset(), I(5));
  EXPECT_EQ(u.entries().size(), 2u);
}

TEST(UnstableTest, RestoreSnapshot) {
  Unstable u(I(5));
  u.TruncateAndAppend({E(5, 1), E(6, 1)});
  u.Restore(Snap(10, 3));
  EXPECT_EQ(u.offset(), I(11));
  EXPECT_TRUE(u.entries().empty());
  EXPECT_EQ(u.MaybeFirstIndex(), I(11));
  EXPECT_EQ(u.MaybeLastIndex(), I(10));
  EXPECT_EQ(u.MaybeTerm(I(10)), T(3));
  EXPECT_EQ(u.MaybeTerm(I(9)), std::nullopt);
  // The snapshot index is below the offset: StableTo there does not touch entries.
  u.StableTo(I(10), T(3));
  EXPECT_EQ(u.offset(), I(11));
  u.TruncateAndAppend({E(11, 3)});
  EXPECT_EQ(u.MaybeLastIndex(), I(11));
  u.StableSnapTo(I(9));  // not the pending snapshot
  EXPECT_TRUE(u.snapshot().has_value());
  u.StableSnapTo(I(10));
  EXPECT_FALSE(u.snapshot().has_value());
  EXPECT_EQ(u.MaybeFirstIndex(), std::nullopt);
  EXPECT_EQ(u.MaybeLastIndex(), I(11));
}

TEST(UnstableTest, Slice) {
  Unstable u(I(5));
  u.TruncateAndAppend({E(5, 1), E(6, 1), E(7, 2)});
  EXPECT_EQ(Pairs(u.Slice(I(5), I(8))), (IT{{5, 1}, {6, 1}, {7, 2}}));
  EXPECT_EQ(Pairs(u.Slice(I(6), I(7))), (IT{{6, 1}}));
  EXPECT_TRUE(u.Slice(I(6), I(6)).empty());
}

TEST(UnstableDeathTest, SliceOutOfBoundsAsserts) {
  Unstable u(I(5));
  u.TruncateAndAppend({E(5, 1), E(6, 1)});
  EXPECT_DEATH((void)u.Slice(I(4), I(6)), "out of bounds");
  EXPECT_DEATH((void)u.Slice(I(5), I(8)), "out of bounds");
  EXPECT_DEATH((void)u.Slice(I(6), I(5)), "lo > hi");
  EXPECT_DEATH(u.TruncateAndAppend({}), "of nothing");
}

// ---------------------------------------------------------------------------------------------
// RaftLog

// A log whose storage holds `stored` and whose unstable tail holds `unstable`.
struct LogFixture {
  explicit LogFixture(const std::vector<Entry>& stored, uint64_t max_committed_bytes = kNoLimit)
      : log(InitStorage(storage, stored), max_committed_bytes) {}
  static MemoryStorage* InitStorage(MemoryStorage& s, const std::vector<Entry>& stored) {
    s.Append(stored);
    return &s;
  }
  MemoryStorage storage;
  RaftLog log;
};

TEST(RaftLogTest, InitialStateFollowsStorage) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.ApplySnapshot(Snap(5, 2)).ok());
  storage.Append({E(6, 2), E(7, 3)});
  RaftLog log(&storage, kNoLimit);
  EXPECT_EQ(log.FirstIndex(), I(6));
  EXPECT_EQ(log.LastIndex(), I(7));
  EXPECT_EQ(log.LastTerm(), T(3));
  EXPECT_EQ(log.committed(), I(5));  // the snapshot is committed and applied
  EXPECT_EQ(log.applied(), I(5));
  EXPECT_EQ(log.unstable().offset(), I(8));
}

TEST(RaftLogTest, TermAtBounds) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.ApplySnapshot(Snap(3, 2)).ok());
  storage.Append({E(4, 2), E(5, 3)});
  RaftLog log(&storage, kNoLimit);
  log.Append({E(6, 4)});
  EXPECT_TRUE(log.TermAt(I(1)).status().Is(Status::Code::kCompacted));
  EXPECT_TRUE(log.TermAt(I(2)).status().Is(Status::Code::kCompacted));
  ASSERT_TRUE(log.TermAt(I(3)).ok());  // the snapshot's entry
  EXPECT_EQ(*log.TermAt(I(3)), T(2));
  EXPECT_EQ(*log.TermAt(I(5)), T(3));
  EXPECT_EQ(*log.TermAt(I(6)), T(4));  // unstable
  EXPECT_TRUE(log.TermAt(I(7)).status().Is(Status::Code::kUnavailable));
  EXPECT_EQ(log.TermOrZero(I(2)), T(0));
  EXPECT_EQ(log.TermOrZero(I(7)), T(0));
  EXPECT_TRUE(log.MatchTerm(I(3), T(2)));
  EXPECT_FALSE(log.MatchTerm(I(3), T(3)));
  EXPECT_FALSE(log.MatchTerm(I(7), T(0)));
}

TEST(RaftLogTest, IsUpToDate) {
  LogFixture f({E(1, 1), E(2, 2), E(3, 3)});
  EXPECT_TRUE(f.log.IsUpToDate(I(1), T(4)));   // higher last term wins
  EXPECT_FALSE(f.log.IsUpToDate(I(9), T(2)));  // lower last term loses
  EXPECT_TRUE(f.log.IsUpToDate(I(3), T(3)));   // same term: longer or equal
  EXPECT_TRUE(f.log.IsUpToDate(I(4), T(3)));
  EXPECT_FALSE(f.log.IsUpToDate(I(2), T(3)));
}

TEST(RaftLogTest, FindConflict) {
  LogFixture f({E(1, 1), E(2, 2), E(3, 3)});
  EXPECT_EQ(f.log.FindConflict({}), I(0));
  EXPECT_EQ(f.log.FindConflict({E(1, 1), E(2, 2), E(3, 3)}), I(0));
  EXPECT_EQ(f.log.FindConflict({E(2, 2), E(3, 3)}), I(0));
  EXPECT_EQ(f.log.FindConflict({E(3, 3)}), I(0));
  EXPECT_EQ(f.log.FindConflict({E(2, 2), E(3, 3), E(4, 4), E(5, 4)}), I(4));  // new
  EXPECT_EQ(f.log.FindConflict({E(4, 4)}), I(4));
  EXPECT_EQ(f.log.FindConflict({E(1, 4), E(2, 4)}), I(1));  // conflicting term
  EXPECT_EQ(f.log.FindConflict({E(2, 1), E(3, 4), E(4, 4)}), I(2));
  EXPECT_EQ(f.log.FindConflict({E(3, 4), E(4, 4)}), I(3));
}

TEST(RaftLogTest, FindConflictByTerm) {
  LogFixture f({E(1, 1), E(2, 2), E(3, 2), E(4, 3), E(5, 5)});
  using P = std::pair<LogIndex, Term>;
  EXPECT_EQ(f.log.FindConflictByTerm(I(5), T(5)), P(I(5), T(5)));
  EXPECT_EQ(f.log.FindConflictByTerm(I(5), T(9)), P(I(5), T(5)));
  EXPECT_EQ(f.log.FindConflictByTerm(I(5), T(4)), P(I(4), T(3)));  // skips the whole term 5
  EXPECT_EQ(f.log.FindConflictByTerm(I(5), T(2)), P(I(3), T(2)));
  EXPECT_EQ(f.log.FindConflictByTerm(I(3), T(1)), P(I(1), T(1)));
  EXPECT_EQ(f.log.FindConflictByTerm(I(5), T(0)), P(I(0), T(0)));
  EXPECT_EQ(f.log.FindConflictByTerm(I(0), T(3)), P(I(0), T(0)));
  // Beyond the log: the index is returned unchanged with an unknown term.
  EXPECT_EQ(f.log.FindConflictByTerm(I(8), T(3)), P(I(8), T(0)));
}

TEST(RaftLogTest, FindConflictByTermStopsAtCompaction) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.ApplySnapshot(Snap(2, 2)).ok());
  storage.Append({E(3, 2), E(4, 3)});
  RaftLog log(&storage, kNoLimit);
  using P = std::pair<LogIndex, Term>;
  EXPECT_EQ(log.FindConflictByTerm(I(4), T(2)), P(I(3), T(2)));
  EXPECT_EQ(log.FindConflictByTerm(I(4), T(1)), P(I(1), T(0)));  // term 1 is compacted away
}

TEST(RaftLogTest, MaybeAppend) {
  struct Case {
    uint64_t index, log_term, commit;
    std::vector<Entry> ents;
    std::optional<uint64_t> want_last_new;
    uint64_t want_commit;
    IT want_log;
  };
  const IT base = {{1, 1}, {2, 2}, {3, 3}};
  const std::vector<Case> cases = {
      // Mismatch at the previous entry, or beyond the log: refused, nothing changes.
      {2, 3, 3, {E(3, 4)}, std::nullopt, 1, base},
      {4, 4, 3, {E(5, 4)}, std::nullopt, 1, base},
      // Match at the last entry.
      {3, 3, 3, {}, 3, 3, base},
      {3, 3, 4, {E(4, 4)}, 4, 4, {{1, 1}, {2, 2}, {3, 3}, {4, 4}}},
      // The commit is min(leader commit, last new index).
      {3, 3, 5, {E(4, 4)}, 4, 4, {{1, 1}, {2, 2}, {3, 3}, {4, 4}}},
      {3, 3, 2, {E(4, 4)}, 4, 2, {{1, 1}, {2, 2}, {3, 3}, {4, 4}}},
      {3, 3, 0, {E(4, 4)}, 4, 1, {{1, 1}, {2, 2}, {3, 3}, {4, 4}}},  // never backwards
      // Entries already present: no truncation, commit limited to the last new index.
      {1, 1, 3, {E(2, 2)}, 2, 2, base},
      {0, 0, 3, {E(1, 1)}, 1, 1, base},
      // A conflict truncates the suffix.
      {1, 1, 3, {E(2, 4)}, 2, 2, {{1, 1}, {2, 4}}},
      {2, 2, 3, {E(3, 4), E(4, 4)}, 4, 3, {{1, 1}, {2, 2}, {3, 4}, {4, 4}}},
      {1, 1, 1, {E(2, 2), E(3, 4), E(4, 4)}, 4, 1, {{1, 1}, {2, 2}, {3, 4}, {4, 4}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    LogFixture f({E(1, 1), E(2, 2), E(3, 3)});
    f.log.CommitTo(I(1));
    auto got = f.log.MaybeAppend(I(c.index), T(c.log_term), I(c.commit), c.ents);
    if (c.want_last_new) {
      ASSERT_TRUE(got.has_value()) << "case " << i;
      EXPECT_EQ(*got, I(*c.want_last_new)) << "case " << i;
    } else {
      EXPECT_FALSE(got.has_value()) << "case " << i;
    }
    EXPECT_EQ(f.log.committed(), I(c.want_commit)) << "case " << i;
    EXPECT_EQ(Pairs(f.log.AllEntries()), c.want_log) << "case " << i;
  }
}

TEST(RaftLogDeathTest, MaybeAppendConflictWithCommittedAsserts) {
  LogFixture f({E(1, 1), E(2, 2), E(3, 3)});
  f.log.CommitTo(I(2));
  EXPECT_DEATH((void)f.log.MaybeAppend(I(1), T(1), I(3), {E(2, 4)}), "conflicts with a committed");
}

TEST(RaftLogTest, AppendTruncatesUnstableAndStorageView) {
  LogFixture f({E(1, 1), E(2, 1), E(3, 1)});
  EXPECT_EQ(f.log.Append({E(4, 2), E(5, 2)}), I(5));
  EXPECT_EQ(f.log.Append({E(5, 3)}), I(5));
  EXPECT_EQ(Pairs(f.log.AllEntries()), (IT{{1, 1}, {2, 1}, {3, 1}, {4, 2}, {5, 3}}));
  // Truncating into the stored part: the unstable tail replaces it.
  EXPECT_EQ(f.log.Append({E(3, 4)}), I(3));
  EXPECT_EQ(Pairs(f.log.AllEntries()), (IT{{1, 1}, {2, 1}, {3, 4}}));
  EXPECT_EQ(f.log.unstable().offset(), I(3));
  EXPECT_EQ(f.log.PersistedLastIndex(), I(2));
  EXPECT_EQ(f.log.Append({}), I(3));
}

TEST(RaftLogTest, MaybeCommitOnlyForCurrentTerm) {
  LogFixture f({E(1, 1), E(2, 2), E(3, 2), E(4, 3)});
  EXPECT_FALSE(f.log.MaybeCommit(I(3), T(3)));  // entry 3 is of an older term (figure 8)
  EXPECT_EQ(f.log.committed(), I(0));
  EXPECT_FALSE(f.log.MaybeCommit(I(5), T(3)));  // beyond the log: term unknown
  EXPECT_TRUE(f.log.MaybeCommit(I(3), T(2)));
  EXPECT_EQ(f.log.committed(), I(3));
  EXPECT_FALSE(f.log.MaybeCommit(I(2), T(2)));  // not beyond the commit index
  EXPECT_FALSE(f.log.MaybeCommit(I(3), T(2)));
  EXPECT_EQ(f.log.committed(), I(3));
  EXPECT_TRUE(f.log.MaybeCommit(I(4), T(3)));
  EXPECT_EQ(f.log.committed(), I(4));
}

TEST(RaftLogTest, CommitAndAppliedNeverMoveBackwards) {
  LogFixture f({E(1, 1), E(2, 1), E(3, 1)});
  f.log.CommitTo(I(3));
  f.log.CommitTo(I(1));
  EXPECT_EQ(f.log.committed(), I(3));
  f.log.AppliedTo(I(2));
  f.log.AppliedTo(I(0));  // ignored
  EXPECT_EQ(f.log.applied(), I(2));
}

TEST(RaftLogDeathTest, CommitAndApplyOutOfRangeAssert) {
  LogFixture f({E(1, 1), E(2, 1)});
  EXPECT_DEATH(f.log.CommitTo(I(3)), "commit beyond the last index");
  f.log.CommitTo(I(1));
  EXPECT_DEATH(f.log.AppliedTo(I(2)), "applied index out of range");
  f.log.AppliedTo(I(1));
  f.log.CommitTo(I(2));
  f.log.AppliedTo(I(2));
  EXPECT_DEATH(f.log.AppliedTo(I(1)), "applied index out of range");
  EXPECT_DEATH(f.log.Append({E(2, 5)}), "appending before the commit index");
}

// Entries of 25 bytes each (EntryBytes = payload + 24): stored 1..3, unstable 4..6.
struct SplitLog : LogFixture {
  SplitLog() : LogFixture({E(1, 1, "a"), E(2, 1, "b"), E(3, 1, "c")}) {
    log.Append({E(4, 2, "d"), E(5, 2, "e"), E(6, 2, "f")});
  }
};

TEST(RaftLogTest, SliceAcrossStorageAndUnstable) {
  SplitLog f;
  ASSERT_EQ(f.log.unstable().offset(), I(4));
  auto r = f.log.Slice(I(2), I(6), kNoLimit);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Pairs(*r), (IT{{2, 1}, {3, 1}, {4, 2}, {5, 2}}));
  EXPECT_EQ((*r)[2].data.ToString(), "d");
  r = f.log.Slice(I(1), I(4), kNoLimit);  // storage only
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Pairs(*r), (IT{{1, 1}, {2, 1}, {3, 1}}));
  r = f.log.Slice(I(4), I(7), kNoLimit);  // unstable only
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Pairs(*r), (IT{{4, 2}, {5, 2}, {6, 2}}));
  r = f.log.Slice(I(3), I(3), kNoLimit);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(RaftLogTest, SliceSizeLimits) {
  SplitLog f;
  struct Case {
    uint64_t lo, hi, max_bytes;
    IT want;
  };
  const Case cases[] = {
      {2, 6, 0, {{2, 1}}},                   // always at least one entry
      {2, 6, 49, {{2, 1}}},                  // 50 > 49
      {2, 6, 50, {{2, 1}, {3, 1}}},          // exactly two
      {2, 6, 75, {{2, 1}, {3, 1}, {4, 2}}},  // crosses into unstable
      {1, 7, 60, {{1, 1}, {2, 1}}},          // stops inside storage: no unstable after a gap
      {3, 7, 50, {{3, 1}, {4, 2}}},          // one stored, one unstable
      {4, 7, 0, {{4, 2}}},                   // unstable only, at least one
      {5, 7, 50, {{5, 2}, {6, 2}}},          // unstable only, exact fit
      {1, 7, kNoLimit, {{1, 1}, {2, 1}, {3, 1}, {4, 2}, {5, 2}, {6, 2}}},
  };
  for (const Case& c : cases) {
    auto r = f.log.Slice(I(c.lo), I(c.hi), c.max_bytes);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(Pairs(*r), c.want) << c.lo << ".." << c.hi << " max " << c.max_bytes;
  }
}

// A storage that sizes entries differently from the core and returns at most one per read.
class OneEntryStorage final : public LogStorage {
 public:
  explicit OneEntryStorage(const MemoryStorage* inner) : inner_(inner) {}
  Result<InitialState> GetInitialState() const override { return inner_->GetInitialState(); }
  Result<std::vector<Entry>> Entries(LogIndex lo, LogIndex hi, uint64_t max_bytes) const override {
    auto r = inner_->Entries(lo, hi, max_bytes);
    if (r.ok() && r->size() > 1) r->resize(1);
    return r;
  }
  Result<Term> TermAt(LogIndex i) const override { return inner_->TermAt(i); }
  LogIndex FirstIndex() const override { return inner_->FirstIndex(); }
  LogIndex LastIndex() const override { return inner_->LastIndex(); }
  Result<Snapshot> GetSnapshot() const override { return inner_->GetSnapshot(); }

 private:
  const MemoryStorage* inner_;
};

TEST(RaftLogTest, SliceNeverLeavesAGapWhenStorageStopsEarly) {
  MemoryStorage mem;
  mem.Append({E(1, 1), E(2, 1), E(3, 1)});
  OneEntryStorage storage(&mem);
  RaftLog log(&storage, kNoLimit);
  log.Append({E(4, 2), E(5, 2)});
  auto r = log.Slice(I(1), I(6), kNoLimit);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Pairs(*r), (IT{{1, 1}}));
  r = log.Slice(I(3), I(6), kNoLimit);  // the stored part is complete: unstable follows
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Pairs(*r), (IT{{3, 1}, {4, 2}, {5, 2}}));
}

TEST(RaftLogTest, SliceBounds) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.ApplySnapshot(Snap(2, 1)).ok());
  storage.Append({E(3, 1), E(4, 1)});
  RaftLog log(&storage, kNoLimit);
  log.Append({E(5, 2)});
  EXPECT_TRUE(log.Slice(I(2), I(4), kNoLimit).status().Is(Status::Code::kCompacted));
  EXPECT_TRUE(log.Slice(I(1), I(4), kNoLimit).status().Is(Status::Code::kCompacted));
  EXPECT_TRUE(log.Slice(I(3), I(7), kNoLimit).status().Is(Status::Code::kUnavailable));
  EXPECT_TRUE(log.Slice(I(4), I(3), kNoLimit).status().Is(Status::Code::kInvalidArgument));
  auto r = log.Slice(I(3), I(6), kNoLimit);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Pairs(*r), (IT{{3, 1}, {4, 1}, {5, 2}}));
  // EntriesFrom past the end is empty, below the first index is Compacted.
  auto from = log.EntriesFrom(I(6), kNoLimit);
  ASSERT_TRUE(from.ok());
  EXPECT_TRUE(from->empty());
  EXPECT_TRUE(log.EntriesFrom(I(2), kNoLimit).status().Is(Status::Code::kCompacted));
  from = log.EntriesFrom(I(4), kNoLimit);
  ASSERT_TRUE(from.ok());
  EXPECT_EQ(Pairs(*from), (IT{{4, 1}, {5, 2}}));
}

TEST(RaftLogTest, NextCommittedEntriesLimitedBySize) {
  MemoryStorage storage;
  storage.Append({E(1, 1, "a"), E(2, 1, "b"), E(3, 1, "c"), E(4, 1, "d"), E(5, 1, "e")});
  RaftLog log(&storage, 50);  // two 25-byte entries per batch
  EXPECT_FALSE(log.HasNextCommittedEntries());
  EXPECT_TRUE(log.NextCommittedEntries().empty());
  log.CommitTo(I(5));
  ASSERT_TRUE(log.HasNextCommittedEntries());
  EXPECT_EQ(Pairs(log.NextCommittedEntries()), (IT{{1, 1}, {2, 1}}));
  log.AppliedTo(I(2));
  EXPECT_EQ(Pairs(log.NextCommittedEntries()), (IT{{3, 1}, {4, 1}}));
  log.AppliedTo(I(4));
  EXPECT_EQ(Pairs(log.NextCommittedEntries()), (IT{{5, 1}}));
  log.AppliedTo(I(5));
  EXPECT_FALSE(log.HasNextCommittedEntries());
}

TEST(RaftLogTest, NextCommittedEntriesIncludeUnstableAndWaitForSnapshot) {
  LogFixture f({E(1, 1), E(2, 1)});
  f.log.Append({E(3, 2)});
  f.log.CommitTo(I(3));  // a follower may learn entries are committed before persisting them
  EXPECT_EQ(Pairs(f.log.NextCommittedEntries()), (IT{{1, 1}, {2, 1}, {3, 2}}));
  f.log.Restore(Snap(10, 3));
  EXPECT_EQ(f.log.committed(), I(10));
  EXPECT_TRUE(f.log.HasPendingSnapshot());
  EXPECT_FALSE(f.log.HasNextCommittedEntries());  // the snapshot is applied first
  EXPECT_EQ(f.log.FirstIndex(), I(11));
  EXPECT_EQ(f.log.LastIndex(), I(10));
  EXPECT_EQ(f.log.LastTerm(), T(3));
  auto snap = f.log.GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->metadata.index, I(10));
}

TEST(RaftLogTest, PersistedLastIndex) {
  MemoryStorage storage;
  storage.Append({E(1, 1), E(2, 1), E(3, 1)});
  RaftLog log(&storage, kNoLimit);
  EXPECT_EQ(log.PersistedLastIndex(), I(3));
  log.Append({E(4, 2), E(5, 2)});
  EXPECT_EQ(log.PersistedLastIndex(), I(3));
  // The application persists 4..5, then Raft learns it.
  storage.Append({E(4, 2), E(5, 2)});
  log.StableTo(I(4), T(2));
  EXPECT_EQ(log.PersistedLastIndex(), I(4));
  log.StableTo(I(5), T(2));
  EXPECT_EQ(log.PersistedLastIndex(), I(5));
  // A pending snapshot is not persisted.
  log.Restore(Snap(9, 3));
  EXPECT_EQ(log.PersistedLastIndex(), I(0));
  ASSERT_TRUE(storage.ApplySnapshot(Snap(9, 3)).ok());
  log.StableSnapTo(I(9));
  EXPECT_EQ(log.PersistedLastIndex(), I(9));
}

TEST(RaftLogTest, StableToAfterTruncationKeepsNewEntries) {
  LogFixture f({E(1, 1)});
  f.log.Append({E(2, 1), E(3, 1)});
  // A new leader replaces 3 before the Ready with (3, term 1) is acknowledged.
  f.log.Append({E(3, 2)});
  f.log.StableTo(I(3), T(1));
  EXPECT_EQ(f.log.unstable().offset(), I(2));
  EXPECT_EQ(f.log.PersistedLastIndex(), I(1));
  EXPECT_EQ(f.log.LastTerm(), T(2));
}

}  // namespace
}  // namespace tessera::raft

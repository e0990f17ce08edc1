// Unit tests for progress.cc: the inflight window and the leader's per-peer flow control.
#include "raft/progress.h"

#include <gtest/gtest.h>

namespace tessera::raft {
namespace {

LogIndex I(uint64_t i) { return LogIndex(i); }

TEST(InflightsTest, FullByCount) {
  Inflights in(3, 0);
  EXPECT_FALSE(in.Full());
  in.Add(I(1), 100);
  in.Add(I(2), 100);
  EXPECT_FALSE(in.Full());
  in.Add(I(5), 100);
  EXPECT_TRUE(in.Full());
  EXPECT_EQ(in.count(), 3u);

  in.FreeLE(I(0));  // nothing at or below 0
  EXPECT_EQ(in.count(), 3u);
  in.FreeLE(I(1));
  EXPECT_EQ(in.count(), 2u);
  EXPECT_FALSE(in.Full());
  in.FreeLE(I(4));  // frees 2, keeps 5
  EXPECT_EQ(in.count(), 1u);
  in.Add(I(6), 1);
  in.Add(I(7), 1);
  EXPECT_TRUE(in.Full());
  in.FreeLE(I(100));
  EXPECT_EQ(in.count(), 0u);
  EXPECT_FALSE(in.Full());
}

TEST(InflightsTest, FullByBytes) {
  Inflights in(100, 10);
  in.Add(I(1), 4);
  EXPECT_FALSE(in.Full());
  in.Add(I(2), 5);
  EXPECT_FALSE(in.Full());  // 9 < 10
  in.Add(I(3), 1);
  EXPECT_TRUE(in.Full());  // 10 >= 10
  in.FreeLE(I(1));         // 6 left
  EXPECT_FALSE(in.Full());
  in.Add(I(4), 3);  // 9
  EXPECT_FALSE(in.Full());
  in.Add(I(5), 50);  // one large message may overshoot; then the window is full
  EXPECT_TRUE(in.Full());
  in.FreeLE(I(4));  // only the 50-byte message is left
  EXPECT_EQ(in.count(), 1u);
  EXPECT_TRUE(in.Full());
  in.FreeLE(I(5));
  EXPECT_FALSE(in.Full());
}

TEST(InflightsTest, ResetEmptiesCountAndBytes) {
  Inflights in(2, 10);
  in.Add(I(1), 10);
  EXPECT_TRUE(in.Full());
  in.Reset();
  EXPECT_EQ(in.count(), 0u);
  EXPECT_FALSE(in.Full());
  in.Add(I(1), 9);  // bytes were reset too
  EXPECT_FALSE(in.Full());
}

TEST(InflightsDeathTest, AddToFullOrOutOfOrderAsserts) {
  Inflights full(1, 0);
  full.Add(I(1), 1);
  EXPECT_DEATH(full.Add(I(2), 1), "full inflight window");
  Inflights in(5, 0);
  in.Add(I(3), 1);
  EXPECT_DEATH(in.Add(I(3), 1), "out of order");
}

TEST(ProgressTest, StartsProbing) {
  Progress p(I(5), 4, 0);
  EXPECT_EQ(p.state(), ProgressState::kProbe);
  EXPECT_EQ(p.match(), I(0));
  EXPECT_EQ(p.next(), I(5));
  EXPECT_FALSE(p.IsPaused());
  EXPECT_STREQ(ProgressStateName(p.state()), "probe");
}

TEST(ProgressTest, MaybeUpdate) {
  Progress p(I(5), 4, 0);
  EXPECT_TRUE(p.MaybeUpdate(I(3)));
  EXPECT_EQ(p.match(), I(3));
  EXPECT_EQ(p.next(), I(5));  // next never moves back
  EXPECT_FALSE(p.MaybeUpdate(I(3)));
  EXPECT_FALSE(p.MaybeUpdate(I(2)));
  EXPECT_EQ(p.match(), I(3));
  EXPECT_TRUE(p.MaybeUpdate(I(8)));
  EXPECT_EQ(p.match(), I(8));
  EXPECT_EQ(p.next(), I(9));
}

TEST(ProgressTest, MaybeUpdateUnpausesProbe) {
  Progress p(I(5), 4, 0);
  p.SentEntries(1, 10);
  EXPECT_TRUE(p.IsPaused());  // one probe at a time
  EXPECT_FALSE(p.MaybeUpdate(I(0)));
  EXPECT_TRUE(p.IsPaused());  // a stale ack does not unpause
  EXPECT_TRUE(p.MaybeUpdate(I(5)));
  EXPECT_FALSE(p.IsPaused());
}

TEST(ProgressTest, ProbeSendingNothingDoesNotPause) {
  Progress p(I(5), 4, 0);
  p.SentEntries(0, 0);
  EXPECT_FALSE(p.IsPaused());
}

TEST(ProgressTest, StateTransitions) {
  Progress p(I(10), 4, 0);
  ASSERT_TRUE(p.MaybeUpdate(I(6)));
  // probe -> replicate: next restarts right after match.
  p.BecomeReplicate();
  EXPECT_EQ(p.state(), ProgressState::kReplicate);
  EXPECT_EQ(p.next(), I(7));
  p.SentEntries(3, 30);
  EXPECT_EQ(p.next(), I(10));
  EXPECT_EQ(p.inflights().count(), 1u);
  // replicate -> snapshot: everything else stops; the inflight window is dropped.
  p.BecomeSnapshot(I(20));
  EXPECT_EQ(p.state(), ProgressState::kSnapshot);
  EXPECT_EQ(p.pending_snapshot(), I(20));
  EXPECT_EQ(p.next(), I(21));
  EXPECT_EQ(p.inflights().count(), 0u);
  EXPECT_TRUE(p.IsPaused());
  p.set_flow_paused(false);
  EXPECT_TRUE(p.IsPaused());  // always paused while a snapshot is in flight
  // snapshot -> probe: probe from after the snapshot, which may have been applied.
  p.BecomeProbe();
  EXPECT_EQ(p.state(), ProgressState::kProbe);
  EXPECT_EQ(p.pending_snapshot(), I(0));
  EXPECT_EQ(p.next(), I(21));
  EXPECT_FALSE(p.IsPaused());
}

TEST(ProgressTest, SnapshotToProbeUsesMatchWhenBeyondSnapshot) {
  Progress p(I(10), 4, 0);
  p.BecomeSnapshot(I(5));
  ASSERT_TRUE(p.MaybeUpdate(I(30)));
  p.BecomeProbe();
  EXPECT_EQ(p.next(), I(31));
}

TEST(ProgressTest, ReplicateToProbeRestartsAfterMatch) {
  Progress p(I(1), 4, 0);
  ASSERT_TRUE(p.MaybeUpdate(I(4)));
  p.BecomeReplicate();
  p.SentEntries(2, 2);
  p.SentEntries(2, 2);
  EXPECT_EQ(p.next(), I(9));
  p.BecomeProbe();
  EXPECT_EQ(p.next(), I(5));
  EXPECT_EQ(p.inflights().count(), 0u);
}

TEST(ProgressTest, ReplicatePausesWhenWindowFull) {
  Progress p(I(1), 2, 0);
  p.BecomeReplicate();
  p.SentEntries(1, 1);
  EXPECT_FALSE(p.IsPaused());
  p.SentEntries(1, 1);
  EXPECT_TRUE(p.IsPaused());
  ASSERT_TRUE(p.MaybeUpdate(I(1)));
  p.inflights().FreeLE(I(1));
  EXPECT_FALSE(p.IsPaused());
  // An empty send re-evaluates the window.
  p.SentEntries(0, 0);
  EXPECT_FALSE(p.IsPaused());
}

TEST(ProgressTest, ReplicatePausesWhenWindowFullByBytes) {
  Progress p(I(1), 100, 10);
  p.BecomeReplicate();
  p.SentEntries(1, 6);
  EXPECT_FALSE(p.IsPaused());
  p.SentEntries(1, 6);
  EXPECT_TRUE(p.IsPaused());
}

TEST(ProgressTest, MaybeDecrToInReplicateIgnoresStaleRejections) {
  Progress p(I(1), 8, 0);
  ASSERT_TRUE(p.MaybeUpdate(I(5)));
  p.BecomeReplicate();
  p.SentEntries(5, 5);  // next = 11
  ASSERT_EQ(p.next(), I(11));
  EXPECT_FALSE(p.MaybeDecrTo(I(5), I(0)));  // at the match index: stale
  EXPECT_FALSE(p.MaybeDecrTo(I(3), I(0)));  // below: stale
  EXPECT_EQ(p.next(), I(11));
  EXPECT_TRUE(p.MaybeDecrTo(I(9), I(2)));  // the hint is ignored while replicating
  EXPECT_EQ(p.next(), I(6));
  EXPECT_EQ(p.match(), I(5));
}

TEST(ProgressTest, MaybeDecrToInProbe) {
  struct Case {
    uint64_t match, next, rejected, hint;
    bool ok;
    uint64_t want_next;
  };
  const Case cases[] = {
      {0, 5, 3, 0, false, 5},   // not the probe in flight (next - 1 = 4)
      {0, 5, 5, 0, false, 5},   // not the probe in flight
      {0, 5, 4, 2, true, 3},    // back to hint + 1
      {0, 5, 4, 10, true, 4},   // a hint beyond the rejection: next = rejected
      {0, 5, 4, 3, true, 4},    // hint + 1 == rejected
      {2, 5, 4, 0, true, 3},    // never below match + 1
      {0, 1, 0, 0, true, 1},    // rejected at 0, stays at 1
      {0, 10, 9, 0, true, 1},   // hint 0: restart from the beginning
      {3, 10, 9, 1, true, 4},   // hint below match: match + 1
      {3, 10, 9, 6, true, 7},   // hint above match
      {5, 10, 4, 0, false, 10}  // not the probe in flight
  };
  for (const Case& c : cases) {
    Progress p(I(c.next), 4, 0);
    if (c.match > 0) {
      ASSERT_TRUE(p.MaybeUpdate(I(c.match)));
    }
    ASSERT_EQ(p.next(), I(c.next));
    p.SentEntries(1, 1);  // a probe in flight pauses the peer
    EXPECT_EQ(p.MaybeDecrTo(I(c.rejected), I(c.hint)), c.ok)
        << c.match << " " << c.next << " " << c.rejected << " " << c.hint;
    EXPECT_EQ(p.next(), I(c.want_next))
        << c.match << " " << c.next << " " << c.rejected << " " << c.hint;
    EXPECT_EQ(p.IsPaused(), !c.ok);  // a real answer unpauses
  }
}

TEST(ProgressTest, CanBumpCommit) {
  Progress p(I(6), 4, 0);
  EXPECT_TRUE(p.CanBumpCommit(I(3)));   // never sent a commit
  EXPECT_FALSE(p.CanBumpCommit(I(0)));  // nothing to tell
  p.SentCommit(I(3));
  EXPECT_TRUE(p.CanBumpCommit(I(4)));
  EXPECT_FALSE(p.CanBumpCommit(I(3)));  // already sent
  p.SentCommit(I(5));                   // == next - 1: the peer has nothing more to commit
  EXPECT_FALSE(p.CanBumpCommit(I(9)));
}

TEST(ProgressTest, RejectionClampsSentCommit) {
  // A rejection moves next back; the sent commit index is clamped below it so that the commit
  // index is sent again once the peer catches up.
  Progress p(I(1), 8, 0);
  ASSERT_TRUE(p.MaybeUpdate(I(3)));
  p.BecomeReplicate();
  p.SentEntries(6, 6);  // next = 10
  p.SentCommit(I(8));
  EXPECT_FALSE(p.CanBumpCommit(I(8)));
  ASSERT_TRUE(p.MaybeDecrTo(I(9), I(0)));  // next = 4, sent commit clamped to 3
  ASSERT_TRUE(p.MaybeUpdate(I(5)));        // next = 6
  EXPECT_TRUE(p.CanBumpCommit(I(8)));
}

TEST(ProgressTest, BecomeSnapshotRecordsCommitAsSent) {
  Progress p(I(1), 8, 0);
  p.BecomeSnapshot(I(10));
  EXPECT_FALSE(p.CanBumpCommit(I(10)));
  ASSERT_TRUE(p.MaybeUpdate(I(10)));
  p.BecomeProbe();
  p.BecomeReplicate();
  ASSERT_EQ(p.next(), I(11));
  p.SentEntries(2, 2);  // next = 13
  EXPECT_TRUE(p.CanBumpCommit(I(12)));
  EXPECT_FALSE(p.CanBumpCommit(I(10)));
}

TEST(ProgressTest, LeaseTickOnlyMovesForward) {
  Progress p(I(1), 1, 0);
  p.set_lease_tick(5);
  p.set_lease_tick(3);
  EXPECT_EQ(p.lease_tick(), 5u);
  p.set_lease_tick(9);
  EXPECT_EQ(p.lease_tick(), 9u);
}

}  // namespace
}  // namespace tessera::raft

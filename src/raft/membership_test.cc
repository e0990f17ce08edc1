// Unit tests for membership.cc: the Changer's single-step and joint changes and the invariants that
// FromConfState enforces.
#include "raft/membership.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/random.h"

namespace tessera::raft {
namespace {

std::vector<NodeId> Ids(std::initializer_list<uint64_t> ids) {
  std::vector<NodeId> v;
  for (uint64_t id : ids) v.push_back(NodeId(id));
  return v;
}

Membership Make(const ConfState& cs) {
  auto m = Membership::FromConfState(cs);
  EXPECT_TRUE(m.status().ok()) << m.status().ToString();
  return m.ok() ? std::move(m).value() : Membership{};
}

std::vector<ConfChangeSingle> Changes(std::string_view text) {
  auto c = ParseConfChanges(text);
  EXPECT_TRUE(c.ok()) << text;
  return c.ok() ? std::move(c).value() : std::vector<ConfChangeSingle>{};
}

void ExpectInvalid(const Result<Membership>& r, std::string_view what) {
  ASSERT_FALSE(r.ok()) << "expected an error containing: " << what;
  EXPECT_TRUE(r.status().Is(Status::Code::kInvalidArgument)) << r.status().ToString();
  EXPECT_NE(r.status().message().find(what), std::string_view::npos) << r.status().ToString();
}

TEST(ChangerTest, SimpleAddVoter) {
  const Membership cur = Make({.voters = Ids({1})});
  auto r = Changer(cur).Simple(Changes("v2"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToConfState(), (ConfState{.voters = Ids({1, 2})}));
  // The current membership is untouched.
  EXPECT_EQ(cur.ToConfState(), (ConfState{.voters = Ids({1})}));
}

TEST(ChangerTest, SimpleAddLearnerPromoteAndRemove) {
  Membership m = Make({.voters = Ids({1})});
  auto r = Changer(m).Simple(Changes("l2"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToConfState(), (ConfState{.voters = Ids({1}), .learners = Ids({2})}));
  m = *r;
  // Promote the learner.
  r = Changer(m).Simple(Changes("v2"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToConfState(), (ConfState{.voters = Ids({1, 2})}));
  m = *r;
  // Demote it again (one voter change).
  r = Changer(m).Simple(Changes("l2"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToConfState(), (ConfState{.voters = Ids({1}), .learners = Ids({2})}));
  m = *r;
  // Remove the learner.
  r = Changer(m).Simple(Changes("r2"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToConfState(), (ConfState{.voters = Ids({1})}));
  // Removing a node that is not a member is a no-op.
  r = Changer(*r).Simple(Changes("r9"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToConfState(), (ConfState{.voters = Ids({1})}));
}

TEST(ChangerTest, SimpleRemoveVoter) {
  const Membership cur = Make({.voters = Ids({1, 2, 3})});
  auto r = Changer(cur).Simple(Changes("r2"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToConfState(), (ConfState{.voters = Ids({1, 3})}));
}

TEST(ChangerTest, SimpleRefusesMoreThanOneVoterChange) {
  const Membership cur = Make({.voters = Ids({1, 2, 3})});
  ExpectInvalid(Changer(cur).Simple(Changes("v4 v5")), "more than one voter");
  ExpectInvalid(Changer(cur).Simple(Changes("r1 r2")), "more than one voter");
  ExpectInvalid(Changer(cur).Simple(Changes("v4 r1")), "more than one voter");
  ExpectInvalid(Changer(cur).Simple(Changes("l1 l2")), "more than one voter");
  // One voter change plus learner changes is fine.
  auto r = Changer(cur).Simple(Changes("v4 l5 l6"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToConfState(), (ConfState{.voters = Ids({1, 2, 3, 4}), .learners = Ids({5, 6})}));
  // Changes that cancel out change no voter.
  r = Changer(cur).Simple(Changes("v4 r4 r1 v1"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToConfState(), cur.ToConfState());
}

TEST(ChangerTest, SimpleRefusedInJointConfig) {
  const Membership joint = Make({.voters = Ids({1, 2}), .voters_outgoing = Ids({1})});
  ExpectInvalid(Changer(joint).Simple(Changes("l3")), "joint");
}

TEST(ChangerTest, RemovingAllVotersRefused) {
  const Membership cur = Make({.voters = Ids({1}), .learners = Ids({2})});
  ExpectInvalid(Changer(cur).Simple(Changes("r1")), "removed all voters");
  ExpectInvalid(Changer(cur).Simple(Changes("l1")), "removed all voters");
  ExpectInvalid(Changer(cur).EnterJoint(false, Changes("r1")), "removed all voters");
}

TEST(ChangerTest, NodeIdZeroRefused) {
  const Membership cur = Make({.voters = Ids({1})});
  ExpectInvalid(Changer(cur).Simple(Changes("v0")), "node 0");
  ExpectInvalid(Changer(cur).Simple(Changes("l0")), "node 0");
  ExpectInvalid(Changer(cur).EnterJoint(true, Changes("v2 v0")), "node 0");
}

TEST(ChangerTest, UnknownChangeTypeRefused) {
  const Membership cur = Make({.voters = Ids({1})});
  ConfChangeSingle bad{static_cast<ConfChangeType>(7), NodeId(2)};
  ExpectInvalid(Changer(cur).Simple({bad}), "unknown conf change type");
}

TEST(ChangerTest, EnterAndLeaveJoint) {
  const Membership cur = Make({.voters = Ids({1, 2, 3})});
  auto r = Changer(cur).EnterJoint(false, Changes("v4 v5 r1"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->IsJoint());
  EXPECT_EQ(r->ToConfState(),
            (ConfState{.voters = Ids({2, 3, 4, 5}), .voters_outgoing = Ids({1, 2, 3})}));
  // Node 1 still votes in the outgoing half.
  EXPECT_TRUE(r->IsVoter(NodeId(1)));
  const Membership joint = *r;
  ExpectInvalid(Changer(joint).EnterJoint(false, Changes("v6")), "already joint");
  r = Changer(joint).LeaveJoint();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->IsJoint());
  EXPECT_EQ(r->ToConfState(), (ConfState{.voters = Ids({2, 3, 4, 5})}));
  EXPECT_FALSE(r->IsMember(NodeId(1)));
  ExpectInvalid(Changer(*r).LeaveJoint(), "non-joint");
}

TEST(ChangerTest, EnterJointRecordsAutoLeave) {
  const Membership cur = Make({.voters = Ids({1})});
  auto r = Changer(cur).EnterJoint(true, Changes("v2"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->auto_leave);
  EXPECT_TRUE(r->ToConfState().auto_leave);
  auto left = Changer(*r).LeaveJoint();
  ASSERT_TRUE(left.ok());
  EXPECT_FALSE(left->auto_leave);
  r = Changer(cur).EnterJoint(false, Changes("v2"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->auto_leave);
}

TEST(ChangerTest, EnterJointFromZeroVotersRefused) {
  const Membership empty;
  ExpectInvalid(Changer(empty).EnterJoint(false, Changes("v1")), "zero-voter");
}

TEST(ChangerTest, DemotingAVoterWhileJointUsesLearnersNext) {
  const Membership cur = Make({.voters = Ids({1, 2, 3})});
  auto r = Changer(cur).EnterJoint(true, Changes("l3 l4"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // 3 keeps voting in the outgoing half and becomes a learner only when the joint config is
  // left; 4 was not a voter, so it is a learner at once.
  EXPECT_EQ(r->ToConfState(), (ConfState{.voters = Ids({1, 2}),
                                         .learners = Ids({4}),
                                         .voters_outgoing = Ids({1, 2, 3}),
                                         .learners_next = Ids({3}),
                                         .auto_leave = true}));
  EXPECT_TRUE(r->IsVoter(NodeId(3)));
  EXPECT_TRUE(r->IsMember(NodeId(3)));
  EXPECT_EQ(r->AllMembers().size(), 4u);
  auto left = Changer(*r).LeaveJoint();
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_EQ(left->ToConfState(), (ConfState{.voters = Ids({1, 2}), .learners = Ids({3, 4})}));
  EXPECT_FALSE(left->IsVoter(NodeId(3)));
  EXPECT_TRUE(left->IsMember(NodeId(3)));
}

TEST(ChangerTest, DemoteThenPromoteInOneJointChange) {
  const Membership cur = Make({.voters = Ids({1, 2, 3})});
  auto r = Changer(cur).EnterJoint(false, Changes("l3 v3"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToConfState(),
            (ConfState{.voters = Ids({1, 2, 3}), .voters_outgoing = Ids({1, 2, 3})}));
  // Demote then remove: 3 leaves learners_next and the group when the joint config is left.
  r = Changer(cur).EnterJoint(false, Changes("l3 r3"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToConfState(),
            (ConfState{.voters = Ids({1, 2}), .voters_outgoing = Ids({1, 2, 3})}));
  auto left = Changer(*r).LeaveJoint();
  ASSERT_TRUE(left.ok());
  EXPECT_FALSE(left->IsMember(NodeId(3)));
}

TEST(ChangerTest, PromoteLearnerWhileEnteringJoint) {
  const Membership cur = Make({.voters = Ids({1, 2}), .learners = Ids({3})});
  auto r = Changer(cur).EnterJoint(false, Changes("v3 r1"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToConfState(), (ConfState{.voters = Ids({2, 3}), .voters_outgoing = Ids({1, 2})}));
}

TEST(ChangerTest, ApplyDispatchesOnTheKindOfChange) {
  const Membership cur = Make({.voters = Ids({1})});
  ConfChange simple{.changes = Changes("v2")};
  auto r = Changer(cur).Apply(simple);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->IsJoint());
  ConfChange joint{.transition = ConfChangeTransition::kJointExplicit, .changes = Changes("v2")};
  r = Changer(cur).Apply(joint);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->IsJoint());
  EXPECT_FALSE(r->auto_leave);
  ConfChange two{.changes = Changes("v2 v3")};  // kAuto with two changes: joint, auto leave
  r = Changer(cur).Apply(two);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->IsJoint());
  EXPECT_TRUE(r->auto_leave);
  r = Changer(*r).Apply(ConfChange{});  // leave
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ToConfState(), (ConfState{.voters = Ids({1, 2, 3})}));
  ExpectInvalid(Changer(cur).Apply(ConfChange{}), "non-joint");
}

TEST(MembershipTest, FromConfStateValidation) {
  struct Case {
    ConfState cs;
    const char* error;  // nullptr: valid
  };
  const Case cases[] = {
      {{}, nullptr},
      {{.voters = Ids({1, 2}), .learners = Ids({3})}, nullptr},
      {{.voters = Ids({1}), .voters_outgoing = Ids({1, 2}), .learners_next = Ids({2})}, nullptr},
      {{.voters = Ids({0})}, "node id 0"},
      {{.voters = Ids({1}), .learners = Ids({0})}, "node id 0"},
      {{.voters = Ids({1}), .voters_outgoing = Ids({0})}, "node id 0"},
      {{.voters = Ids({1}), .learners = Ids({1})}, "a learner is also a voter"},
      {{.voters = Ids({1}), .learners = Ids({2}), .voters_outgoing = Ids({2})},
       "a learner is also a voter"},
      {{.voters = Ids({1}), .voters_outgoing = Ids({1}), .learners_next = Ids({2})},
       "learners_next holds a node outside the outgoing voters"},
      {{.voters = Ids({1}), .learners_next = Ids({1})},
       "learners_next holds a node outside the outgoing voters"},
      {{.voters = Ids({1}), .auto_leave = true}, "auto_leave outside a joint config"},
  };
  for (const Case& c : cases) {
    auto m = Membership::FromConfState(c.cs);
    if (c.error == nullptr) {
      EXPECT_TRUE(m.ok()) << m.status().ToString();
    } else {
      ExpectInvalid(m, c.error);
    }
  }
}

TEST(MembershipTest, FromConfStateSortsAndDeduplicates) {
  auto m = Membership::FromConfState({.voters = Ids({3, 1, 3}), .learners = Ids({5, 4})});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->ToConfState(), (ConfState{.voters = Ids({1, 3}), .learners = Ids({4, 5})}));
}

// Random walks through valid changes; every membership reached round-trips through ConfState and
// satisfies the invariants.
TEST(MembershipTest, RandomChangesRoundTripThroughConfState) {
  SeededRandom rnd(1234);
  const ConfChangeType types[] = {ConfChangeType::kAddNode, ConfChangeType::kRemoveNode,
                                  ConfChangeType::kAddLearnerNode};
  int applied = 0;
  for (int walk = 0; walk < 50; ++walk) {
    Membership m = Make({.voters = Ids({1})});
    for (int step = 0; step < 40; ++step) {
      ConfChange cc;  // empty: leave the joint config
      if (!m.IsJoint() || rnd.Chance(0.2)) {
        const size_t n = rnd.Range(1, 3);
        for (size_t i = 0; i < n; ++i) {
          cc.changes.push_back({types[rnd.Uniform(3)], NodeId(rnd.Range(1, 6))});
        }
        if (rnd.Chance(0.3)) cc.transition = ConfChangeTransition::kJointExplicit;
      }
      auto next = Changer(m).Apply(cc);
      if (!next.ok()) {
        EXPECT_TRUE(next.status().Is(Status::Code::kInvalidArgument));
        // Joint configs accept nothing but leaving.
        if (m.IsJoint()) {
          EXPECT_FALSE(cc.IsLeaveJoint());
        }
        continue;
      }
      ++applied;
      if (m.IsJoint()) {
        ASSERT_TRUE(cc.IsLeaveJoint()) << DescribeConfChange(cc);
      }
      ASSERT_TRUE(next->Validate().ok()) << next->Validate().ToString();
      ASSERT_FALSE(next->voters.incoming.empty());
      const ConfState cs = next->ToConfState();
      auto back = Membership::FromConfState(cs);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      ASSERT_EQ(back->ToConfState(), cs);
      ASSERT_EQ(back->AllMembers(), next->AllMembers());
      m = std::move(next).value();
    }
  }
  EXPECT_GT(applied, 500);  // the walk exercised the changer, not just its errors
}

}  // namespace
}  // namespace tessera::raft

// Unit tests for raw_node.cc: input validation, the Ready contract (what is persisted before what
// is sent, must_sync, commit only after Advance), proposal refusals, membership changes, ReadIndex
// and the validation of stored state at creation.
#include "raft/raw_node.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <vector>

#include "common/random.h"
#include "raft/memory_storage.h"
#include "raft/test_util.h"

namespace tessera::raft {
namespace {

using namespace testutil;  // NOLINT(google-build-using-namespace)

using Code = Status::Code;

std::vector<std::pair<MessageType, uint64_t>> Kinds(const std::vector<Message>& msgs) {
  std::vector<std::pair<MessageType, uint64_t>> out;
  for (const Message& m : msgs) out.emplace_back(m.type, m.to.value());
  return out;
}

ConfChange Simple(ConfChangeType type, uint64_t id) {
  return ConfChange{.changes = {{type, NodeId(id)}}};
}

class RawNodeTest : public ::testing::Test {
 protected:
  // A replica `id` of a group with `voters`, over storage_ (bootstrapped with that membership).
  std::unique_ptr<RawNode> NewNode(uint64_t id, std::vector<uint64_t> voters,
                                   const std::function<void(Config&)>& tweak = {}) {
    ConfState cs;
    for (uint64_t v : voters) cs.voters.push_back(NodeId(v));
    storage_.SetConfState(cs);
    Config c;
    c.id = NodeId(id);
    c.storage = &storage_;
    c.random = &random_;
    if (tweak) tweak(c);
    auto r = RawNode::Create(c);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  // Writes what a Ready asks to persist (the application's side of item 1 of the contract).
  void Persist(const Ready& rd) {
    if (rd.hard_state) storage_.SetHardState(*rd.hard_state);
    if (rd.snapshot) {
      ASSERT_TRUE(storage_.ApplySnapshot(*rd.snapshot).ok());
    }
    storage_.Append(rd.entries);
  }

  // Persists and applies every Ready until there is none; applies conf changes. Bounded.
  void Drain(RawNode& node) {
    for (int i = 0; i < 100 && node.HasReady(); ++i) {
      Ready rd = node.GetReady();
      Persist(rd);
      for (const Entry& e : rd.committed_entries) {
        if (e.type != EntryType::kConfChange) continue;
        auto cc = DecodeConfChange(e.data);
        ASSERT_TRUE(cc.ok());
        ASSERT_TRUE(node.ApplyConfChange(*cc).ok());
      }
      node.Advance();
    }
    ASSERT_FALSE(node.HasReady()) << "Ready loop did not settle";
  }

  // A single-node group whose leader has committed and applied its first entry.
  std::unique_ptr<RawNode> SingleNodeLeader(const std::function<void(Config&)>& tweak = {}) {
    auto node = NewNode(1, {1}, tweak);
    node->Campaign();
    Drain(*node);
    EXPECT_EQ(node->GetStatus().soft_state.role, StateRole::kLeader);
    EXPECT_EQ(node->GetStatus().applied, LogIndex(1));
    return node;
  }

  MemoryStorage storage_;
  SeededRandom random_{42};
};

// --- Step validation --------------------------------------------------------------------------

TEST_F(RawNodeTest, StepRefusesLocalMessages) {
  auto node = NewNode(1, {1, 2, 3});
  for (MessageType t : {MessageType::kHup, MessageType::kBeat, MessageType::kUnreachable,
                        MessageType::kSnapStatus, MessageType::kCheckQuorum}) {
    for (uint64_t term : {0, 1}) {
      const Status st =
          node->Step(Message{.type = t, .to = N(1), .from = N(2), .term = Term(term)});
      EXPECT_TRUE(st.Is(Code::kInvalidArgument)) << MessageTypeName(t) << ": " << st.ToString();
    }
  }
  // In particular a network kHup did not start an election.
  EXPECT_EQ(node->GetStatus().soft_state.role, StateRole::kFollower);
  EXPECT_EQ(node->GetStatus().hard_state.term, Term(0));
  EXPECT_FALSE(node->HasReady());
}

TEST_F(RawNodeTest, StepRefusesMessagesToAnotherNode) {
  auto node = NewNode(1, {1, 2, 3});
  const Status st = node->Step(
      Message{.type = MessageType::kHeartbeat, .to = N(2), .from = N(3), .term = Term(5)});
  EXPECT_TRUE(st.Is(Code::kInvalidArgument)) << st.ToString();
  EXPECT_EQ(node->GetStatus().hard_state.term, Term(0));  // the higher term was not adopted
  const Status none = node->Step(Message{.type = MessageType::kApp, .from = N(3), .term = Term(5)});
  EXPECT_TRUE(none.Is(Code::kInvalidArgument)) << none.ToString();
  EXPECT_FALSE(node->HasReady());
}

TEST_F(RawNodeTest, StepRefusesMessagesWithoutSender) {
  auto node = NewNode(1, {1, 2, 3});
  for (MessageType t : {MessageType::kHeartbeat, MessageType::kProp, MessageType::kVote}) {
    const Status st = node->Step(Message{.type = t, .to = N(1), .term = Term(5)});
    EXPECT_TRUE(st.Is(Code::kInvalidArgument)) << MessageTypeName(t) << ": " << st.ToString();
  }
  EXPECT_EQ(node->GetStatus().hard_state.term, Term(0));
  EXPECT_FALSE(node->HasReady());
}

TEST_F(RawNodeTest, StepRefusesTermlessNetworkMessages) {
  auto node = NewNode(1, {1, 2, 3});
  for (MessageType t :
       {MessageType::kApp, MessageType::kAppResp, MessageType::kVote, MessageType::kVoteResp,
        MessageType::kPreVote, MessageType::kPreVoteResp, MessageType::kSnap,
        MessageType::kHeartbeat, MessageType::kHeartbeatResp, MessageType::kTransferLeader,
        MessageType::kTimeoutNow, MessageType::kReadIndexResp}) {
    const Status st = node->Step(Message{.type = t, .to = N(1), .from = N(2)});
    EXPECT_TRUE(st.Is(Code::kInvalidArgument)) << MessageTypeName(t) << ": " << st.ToString();
  }
  EXPECT_FALSE(node->HasReady());
  // Forwarded proposals and read requests travel without a term. With no leader known the
  // proposal is dropped and the read is ignored, but neither is malformed.
  Message prop{.type = MessageType::kProp, .to = N(1), .from = N(2)};
  prop.entries.push_back(Entry{.data = "x"});
  const Status p = node->Step(prop);
  EXPECT_TRUE(p.Is(Code::kProposalDropped)) << p.ToString();
  const Status r = node->Step(
      Message{.type = MessageType::kReadIndex, .to = N(1), .from = N(2), .context = "c"});
  EXPECT_TRUE(r.ok()) << r.ToString();
  EXPECT_FALSE(node->HasReady());
}

// --- The Ready contract -----------------------------------------------------------------------

using RawNodeDeathTest = RawNodeTest;

TEST_F(RawNodeDeathTest, GetReadyTwiceWithoutAdvanceDies) {
  auto node = NewNode(1, {1});
  node->Campaign();
  ASSERT_TRUE(node->HasReady());
  EXPECT_DEATH(
      {
        (void)node->GetReady();
        (void)node->GetReady();
      },
      "GetReady before Advance");
}

TEST_F(RawNodeDeathTest, AdvanceWithoutReadyDies) {
  auto node = NewNode(1, {1});
  EXPECT_DEATH(node->Advance(), "Advance without a Ready");
}

TEST_F(RawNodeTest, SingleNodeCommitsOnlyAfterAdvance) {
  auto node = NewNode(1, {1});
  EXPECT_FALSE(node->HasReady());
  node->Campaign();
  EXPECT_EQ(node->GetStatus().soft_state.role, StateRole::kLeader);
  ASSERT_TRUE(node->HasReady());

  Ready rd = node->GetReady();
  ASSERT_TRUE(rd.soft_state.has_value());
  EXPECT_EQ(*rd.soft_state, (SoftState{N(1), StateRole::kLeader}));
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(*rd.hard_state, (HardState{Term(1), N(1), LogIndex(0)}));
  EXPECT_EQ(Pairs(rd.entries), (IT{{1, 1}}));  // the leader's empty entry
  EXPECT_TRUE(rd.committed_entries.empty());
  EXPECT_TRUE(rd.must_sync);
  EXPECT_TRUE(rd.messages.empty());
  EXPECT_TRUE(rd.persisted_messages.empty());
  // The leader does not count itself before its entry is durable.
  EXPECT_EQ(node->GetStatus().hard_state.commit, LogIndex(0));
  Persist(rd);
  node->Advance();
  EXPECT_EQ(node->GetStatus().hard_state.commit, LogIndex(1));

  rd = node->GetReady();
  EXPECT_FALSE(rd.soft_state.has_value());
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->commit, LogIndex(1));
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_EQ(Pairs(rd.committed_entries), (IT{{1, 1}}));
  EXPECT_FALSE(rd.must_sync);  // only the commit index changed
  Persist(rd);
  node->Advance();
  EXPECT_EQ(node->GetStatus().applied, LogIndex(1));
  EXPECT_FALSE(node->HasReady());

  ASSERT_TRUE(node->Propose("hello").ok());
  rd = node->GetReady();
  EXPECT_FALSE(rd.hard_state.has_value());
  ASSERT_EQ(Pairs(rd.entries), (IT{{2, 1}}));
  EXPECT_EQ(rd.entries[0].data.ToString(), "hello");
  EXPECT_TRUE(rd.committed_entries.empty());
  EXPECT_TRUE(rd.must_sync);
  // A proposal while the Ready is being persisted: it is not part of this Ready.
  ASSERT_TRUE(node->Propose("world").ok());
  EXPECT_EQ(node->GetStatus().hard_state.commit, LogIndex(1));
  Persist(rd);
  node->Advance();
  // Only what was persisted counts: 2, not 3.
  EXPECT_EQ(node->GetStatus().hard_state.commit, LogIndex(2));

  rd = node->GetReady();
  EXPECT_EQ(Pairs(rd.entries), (IT{{3, 1}}));
  ASSERT_EQ(Pairs(rd.committed_entries), (IT{{2, 1}}));
  EXPECT_EQ(rd.committed_entries[0].data.ToString(), "hello");
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->commit, LogIndex(2));
  EXPECT_TRUE(rd.must_sync);
  Persist(rd);
  node->Advance();
  EXPECT_EQ(node->GetStatus().hard_state.commit, LogIndex(3));
  rd = node->GetReady();
  EXPECT_EQ(Pairs(rd.committed_entries), (IT{{3, 1}}));
  EXPECT_FALSE(rd.must_sync);
  Persist(rd);
  node->Advance();
  EXPECT_FALSE(node->HasReady());
  EXPECT_EQ(node->GetStatus().applied, LogIndex(3));
}

TEST_F(RawNodeTest, TermOrVoteChangeHoldsBackEveryMessage) {
  auto node = NewNode(1, {1, 2, 3}, [](Config& c) { c.pre_vote = false; });
  node->Campaign();
  // Win the election before the first Ready: the Ready carries the votes and the first appends.
  ASSERT_TRUE(
      node->Step(Message{.type = MessageType::kVoteResp, .to = N(1), .from = N(2), .term = Term(1)})
          .ok());
  ASSERT_EQ(node->GetStatus().soft_state.role, StateRole::kLeader);
  Ready rd = node->GetReady();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->term, Term(1));
  EXPECT_EQ(rd.hard_state->vote, N(1));
  EXPECT_TRUE(rd.must_sync);
  // The appends would be sendable before persisting, but the new vote must be durable first.
  EXPECT_TRUE(rd.messages.empty());
  const std::vector<std::pair<MessageType, uint64_t>> want = {{MessageType::kVote, 2},
                                                              {MessageType::kVote, 3},
                                                              {MessageType::kApp, 2},
                                                              {MessageType::kApp, 3}};
  EXPECT_EQ(Kinds(rd.persisted_messages), want);
  Persist(rd);
  node->Advance();
  EXPECT_EQ(node->GetStatus().hard_state.commit, LogIndex(0));  // 1 of 3 voters

  // Node 2 acknowledges the leader's entry: committed; the commit index goes out at once.
  ASSERT_TRUE(node->Step(Message{.type = MessageType::kAppResp,
                                 .to = N(1),
                                 .from = N(2),
                                 .term = Term(1),
                                 .index = LogIndex(1)})
                  .ok());
  EXPECT_EQ(node->GetStatus().hard_state.commit, LogIndex(1));
  rd = node->GetReady();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->commit, LogIndex(1));
  EXPECT_FALSE(rd.must_sync);  // a commit-only change need not be synced
  EXPECT_TRUE(rd.persisted_messages.empty());
  ASSERT_EQ(Kinds(rd.messages),
            (std::vector<std::pair<MessageType, uint64_t>>{{MessageType::kApp, 2}}));
  EXPECT_EQ(rd.messages[0].commit, LogIndex(1));
  EXPECT_EQ(Pairs(rd.committed_entries), (IT{{1, 1}}));
  Persist(rd);
  node->Advance();

  // A proposal is replicated in parallel with the leader's own write.
  ASSERT_TRUE(node->Propose("x").ok());
  rd = node->GetReady();
  EXPECT_FALSE(rd.hard_state.has_value());
  EXPECT_TRUE(rd.must_sync);
  EXPECT_EQ(Pairs(rd.entries), (IT{{2, 1}}));
  ASSERT_EQ(Kinds(rd.messages),
            (std::vector<std::pair<MessageType, uint64_t>>{{MessageType::kApp, 2}}));
  EXPECT_EQ(Pairs(rd.messages[0].entries), (IT{{2, 1}}));
  EXPECT_TRUE(rd.persisted_messages.empty());
  Persist(rd);
  node->Advance();

  // Heartbeats only: nothing to persist or sync.
  node->Tick();
  rd = node->GetReady();
  EXPECT_FALSE(rd.hard_state.has_value());
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_FALSE(rd.must_sync);
  EXPECT_EQ(Kinds(rd.messages), (std::vector<std::pair<MessageType, uint64_t>>{
                                    {MessageType::kHeartbeat, 2}, {MessageType::kHeartbeat, 3}}));
  node->Advance();
}

TEST_F(RawNodeTest, VotesAreSyncedBeforeTheyAreSent) {
  // A candidate's own vote: no entries, but the term and vote must be synced.
  auto node = NewNode(1, {1, 2, 3}, [](Config& c) { c.pre_vote = false; });
  node->Campaign();
  Ready rd = node->GetReady();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(*rd.hard_state, (HardState{Term(1), N(1), LogIndex(0)}));
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_TRUE(rd.must_sync);
  EXPECT_TRUE(rd.messages.empty());
  EXPECT_EQ(Kinds(rd.persisted_messages), (std::vector<std::pair<MessageType, uint64_t>>{
                                              {MessageType::kVote, 2}, {MessageType::kVote, 3}}));
  node->Advance();

  // A vote granted to another candidate.
  MemoryStorage other;
  other.SetConfState({.voters = {N(1), N(2), N(3)}});
  Config c;
  c.id = N(3);
  c.storage = &other;
  c.random = &random_;
  auto voter = RawNode::Create(c);
  ASSERT_TRUE(voter.ok()) << voter.status().ToString();
  ASSERT_TRUE(
      (*voter)
          ->Step(Message{.type = MessageType::kVote, .to = N(3), .from = N(2), .term = Term(5)})
          .ok());
  rd = (*voter)->GetReady();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(*rd.hard_state, (HardState{Term(5), N(2), LogIndex(0)}));
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_TRUE(rd.must_sync);
  EXPECT_TRUE(rd.messages.empty());
  ASSERT_EQ(rd.persisted_messages.size(), 1u);
  EXPECT_EQ(rd.persisted_messages[0].type, MessageType::kVoteResp);
  EXPECT_EQ(rd.persisted_messages[0].to, N(2));
  EXPECT_FALSE(rd.persisted_messages[0].reject);
  (*voter)->Advance();
}

TEST_F(RawNodeTest, FollowerAcknowledgesOnlyAfterPersisting) {
  auto node = NewNode(2, {1, 2, 3});
  Message app{.type = MessageType::kApp, .to = N(2), .from = N(1), .term = Term(1)};
  app.entries = {E(1, 1)};
  ASSERT_TRUE(node->Step(app).ok());
  Ready rd = node->GetReady();
  ASSERT_TRUE(rd.soft_state.has_value());
  EXPECT_EQ(rd.soft_state->lead, N(1));
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(*rd.hard_state, (HardState{Term(1), NodeId(), LogIndex(0)}));
  EXPECT_EQ(Pairs(rd.entries), (IT{{1, 1}}));
  EXPECT_TRUE(rd.must_sync);
  EXPECT_TRUE(rd.messages.empty());
  ASSERT_EQ(rd.persisted_messages.size(), 1u);
  EXPECT_EQ(rd.persisted_messages[0].type, MessageType::kAppResp);
  EXPECT_EQ(rd.persisted_messages[0].index, LogIndex(1));
  EXPECT_FALSE(rd.persisted_messages[0].reject);
  Persist(rd);
  node->Advance();

  // Same term: the response still waits for the entries to be durable.
  app = Message{.type = MessageType::kApp,
                .to = N(2),
                .from = N(1),
                .term = Term(1),
                .log_term = Term(1),
                .index = LogIndex(1),
                .commit = LogIndex(1)};
  app.entries = {E(2, 1)};
  ASSERT_TRUE(node->Step(app).ok());
  rd = node->GetReady();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->commit, LogIndex(1));
  EXPECT_EQ(Pairs(rd.entries), (IT{{2, 1}}));
  EXPECT_EQ(Pairs(rd.committed_entries), (IT{{1, 1}}));
  EXPECT_TRUE(rd.must_sync);
  EXPECT_TRUE(rd.messages.empty());
  ASSERT_EQ(rd.persisted_messages.size(), 1u);
  EXPECT_EQ(rd.persisted_messages[0].type, MessageType::kAppResp);
  EXPECT_EQ(rd.persisted_messages[0].index, LogIndex(2));
  Persist(rd);
  node->Advance();

  // A follower with a leader forwards proposals; the forward may leave at once.
  ASSERT_TRUE(node->Propose("fwd").ok());
  rd = node->GetReady();
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_EQ(rd.messages[0].type, MessageType::kProp);
  EXPECT_EQ(rd.messages[0].to, N(1));
  EXPECT_EQ(rd.messages[0].from, N(2));
  EXPECT_FALSE(rd.must_sync);
  node->Advance();
}

// --- Proposals --------------------------------------------------------------------------------

TEST_F(RawNodeTest, PausedApplyHandsTheRestOutAgainAfterResume) {
  auto node = SingleNodeLeader();
  ASSERT_TRUE(node->Propose("a").ok());
  ASSERT_TRUE(node->Propose("b").ok());
  ASSERT_TRUE(node->Propose("c").ok());
  // Persist until all three are committed and handed out in one Ready.
  Ready rd = node->GetReady();
  Persist(rd);
  node->Advance();
  rd = node->GetReady();
  ASSERT_EQ(Pairs(rd.committed_entries), (IT{{2, 1}, {3, 1}, {4, 1}}));
  Persist(rd);
  // The application applies "a" only, and waits.
  node->PauseApplyAfter(LogIndex(2));
  node->Advance();
  EXPECT_EQ(node->GetStatus().applied, LogIndex(2));
  EXPECT_TRUE(node->apply_paused());
  EXPECT_FALSE(node->HasReady());  // nothing is handed out while paused
  EXPECT_FALSE(node->Quiescent());
  node->ResumeApply();
  ASSERT_TRUE(node->HasReady());
  rd = node->GetReady();
  EXPECT_EQ(Pairs(rd.committed_entries), (IT{{3, 1}, {4, 1}}));
  node->Advance();
  EXPECT_EQ(node->GetStatus().applied, LogIndex(4));
  EXPECT_FALSE(node->HasReady());
}

TEST_F(RawNodeTest, CommitKnownCommitsOnlyAnEntryThisLogHolds) {
  // A follower whose log holds entries it does not know are committed.
  auto node = NewNode(2, {1, 2, 3});
  Message app{.type = MessageType::kApp, .to = N(2), .from = N(1), .term = Term(1)};
  app.entries = {Entry{Term(1), LogIndex(1), EntryType::kNormal, {}},
                 Entry{Term(1), LogIndex(2), EntryType::kNormal, {}}};
  ASSERT_TRUE(node->Step(app).ok());
  Drain(*node);
  EXPECT_EQ(node->committed(), LogIndex(0));
  EXPECT_FALSE(node->CommitKnown(LogIndex(2), Term(2)));  // another term: not this entry
  EXPECT_FALSE(node->CommitKnown(LogIndex(3), Term(1)));  // beyond the log
  EXPECT_EQ(node->committed(), LogIndex(0));
  EXPECT_TRUE(node->CommitKnown(LogIndex(2), Term(1)));
  EXPECT_EQ(node->committed(), LogIndex(2));
  ASSERT_TRUE(node->HasReady());
  Ready rd = node->GetReady();
  EXPECT_EQ(Pairs(rd.committed_entries), (IT{{1, 1}, {2, 1}}));
  node->Advance();
  EXPECT_TRUE(node->CommitKnown(LogIndex(1), Term(1)));  // already committed
}

TEST_F(RawNodeTest, ProposeWithoutLeaderIsDropped) {
  auto node = NewNode(1, {1, 2, 3});
  EXPECT_TRUE(node->Propose("x").Is(Code::kProposalDropped));
  EXPECT_TRUE(node->ProposeBatch({"a", "b"}).Is(Code::kProposalDropped));
  EXPECT_TRUE(node->ProposeConfChange(Simple(ConfChangeType::kAddLearnerNode, 4))
                  .Is(Code::kProposalDropped));
  EXPECT_FALSE(node->HasReady());
  EXPECT_TRUE(node->ProposeBatch({}).Is(Code::kInvalidArgument));
}

TEST_F(RawNodeTest, ProposeWithForwardingDisabledIsDropped) {
  auto node = NewNode(2, {1, 2, 3}, [](Config& c) { c.disable_proposal_forwarding = true; });
  ASSERT_TRUE(
      node->Step(
              Message{.type = MessageType::kHeartbeat, .to = N(2), .from = N(1), .term = Term(1)})
          .ok());
  ASSERT_EQ(node->GetStatus().soft_state.lead, N(1));
  EXPECT_TRUE(node->Propose("x").Is(Code::kProposalDropped));
}

TEST_F(RawNodeTest, ProposeLargerThanMaxEntryBytesIsDropped) {
  auto node = SingleNodeLeader([](Config& c) { c.max_entry_bytes = 10; });
  const LogIndex last = node->GetStatus().last_index;
  EXPECT_TRUE(node->Propose(std::string(11, 'x')).Is(Code::kProposalDropped));
  // One oversized entry drops the whole batch.
  EXPECT_TRUE(node->ProposeBatch({"ok", std::string(11, 'x')}).Is(Code::kProposalDropped));
  EXPECT_EQ(node->GetStatus().last_index, last);
  EXPECT_FALSE(node->HasReady());
  EXPECT_TRUE(node->Propose(std::string(10, 'x')).ok());
  EXPECT_EQ(node->GetStatus().last_index, last.next());
}

TEST_F(RawNodeTest, OnlyOneConfChangePendingAtATime) {
  auto node = SingleNodeLeader();
  ASSERT_TRUE(node->ProposeConfChange(Simple(ConfChangeType::kAddLearnerNode, 2)).ok());
  const LogIndex last = node->GetStatus().last_index;
  const Status again = node->ProposeConfChange(Simple(ConfChangeType::kAddLearnerNode, 3));
  EXPECT_TRUE(again.Is(Code::kProposalDropped)) << again.ToString();
  EXPECT_EQ(node->GetStatus().last_index, last);
  // Normal proposals still go through.
  EXPECT_TRUE(node->Propose("data").ok());
  Drain(*node);
  const ConfState cs = node->GetStatus().conf_state;
  EXPECT_EQ(cs.voters, (std::vector<NodeId>{N(1)}));
  EXPECT_EQ(cs.learners, (std::vector<NodeId>{N(2)}));
  // Applied: the next change is accepted.
  EXPECT_TRUE(node->ProposeConfChange(Simple(ConfChangeType::kAddLearnerNode, 3)).ok());
}

TEST_F(RawNodeTest, InvalidConfChangeProposalIsDropped) {
  auto node = SingleNodeLeader();
  const LogIndex last = node->GetStatus().last_index;
  EXPECT_TRUE(node->ProposeConfChange(Simple(ConfChangeType::kRemoveNode, 1))
                  .Is(Code::kProposalDropped));  // would remove every voter
  EXPECT_TRUE(node->ProposeConfChange(ConfChange{}).Is(Code::kProposalDropped));  // not joint
  EXPECT_TRUE(
      node->ProposeConfChange(Simple(ConfChangeType::kAddNode, 0)).Is(Code::kProposalDropped));
  EXPECT_EQ(node->GetStatus().last_index, last);
}

// --- Membership -------------------------------------------------------------------------------

TEST_F(RawNodeTest, ApplyInvalidConfChangeChangesNothing) {
  auto node = NewNode(1, {1, 2, 3});
  const ConfState before = node->GetStatus().conf_state;
  const ConfChange bad[] = {
      ConfChange{},                         // leave, but not joint
      Simple(ConfChangeType::kAddNode, 0),  // node 0
      ConfChange{.changes = {{ConfChangeType::kRemoveNode, N(1)},
                             {ConfChangeType::kRemoveNode, N(2)},
                             {ConfChangeType::kRemoveNode, N(3)}}},  // no voters left
      ConfChange{.transition = ConfChangeTransition::kJointExplicit,
                 .changes = {{static_cast<ConfChangeType>(9), N(4)}}},  // unknown type
  };
  for (const ConfChange& cc : bad) {
    auto r = node->ApplyConfChange(cc);
    ASSERT_FALSE(r.ok()) << DescribeConfChange(cc);
    EXPECT_TRUE(r.status().Is(Code::kInvalidArgument)) << r.status().ToString();
    EXPECT_EQ(node->GetStatus().conf_state, before) << DescribeConfChange(cc);
  }
  // A valid change is applied and returned.
  auto r = node->ApplyConfChange(Simple(ConfChangeType::kAddLearnerNode, 4));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->learners, (std::vector<NodeId>{N(4)}));
  EXPECT_EQ(node->GetStatus().conf_state, *r);
}

TEST_F(RawNodeTest, JointConfChangeThroughTheLog) {
  auto node = SingleNodeLeader();
  // Enter a joint config with explicit leave; add a learner (a single voter can then still
  // commit alone).
  ConfChange enter{.transition = ConfChangeTransition::kJointExplicit,
                   .changes = {{ConfChangeType::kAddLearnerNode, N(2)}}};
  ASSERT_TRUE(node->ProposeConfChange(enter).ok());
  Drain(*node);
  ConfState cs = node->GetStatus().conf_state;
  EXPECT_EQ(cs.voters_outgoing, (std::vector<NodeId>{N(1)}));
  EXPECT_FALSE(cs.auto_leave);
  // While joint, only leaving is accepted.
  EXPECT_TRUE(node->ProposeConfChange(Simple(ConfChangeType::kAddLearnerNode, 3))
                  .Is(Code::kProposalDropped));
  ASSERT_TRUE(node->ProposeConfChange(ConfChange{}).ok());
  Drain(*node);
  cs = node->GetStatus().conf_state;
  EXPECT_TRUE(cs.voters_outgoing.empty());
  EXPECT_EQ(cs.learners, (std::vector<NodeId>{N(2)}));
}

// --- ReadIndex --------------------------------------------------------------------------------

TEST_F(RawNodeTest, ReadIndexOnSingleNodeWaitsForCommitInTerm) {
  auto node = NewNode(1, {1});
  node->Campaign();
  node->ReadIndex("early");  // before the leader's entry is committed: held
  Ready rd = node->GetReady();
  EXPECT_TRUE(rd.read_states.empty());
  Persist(rd);
  node->Advance();  // commits entry 1 (term 1), which releases the read
  rd = node->GetReady();
  EXPECT_EQ(rd.read_states, (std::vector<ReadState>{{LogIndex(1), "early"}}));
  EXPECT_EQ(Pairs(rd.committed_entries), (IT{{1, 1}}));
  Persist(rd);
  node->Advance();
  EXPECT_FALSE(node->HasReady());

  // Once an entry of the term is committed, reads are answered at once with the commit index.
  ASSERT_TRUE(node->Propose("v").ok());
  Drain(*node);
  node->ReadIndex("now");
  ASSERT_TRUE(node->HasReady());
  rd = node->GetReady();
  EXPECT_EQ(rd.read_states, (std::vector<ReadState>{{LogIndex(2), "now"}}));
  node->Advance();
  // An empty context is malformed and ignored.
  node->ReadIndex("");
  EXPECT_FALSE(node->HasReady());
}

TEST_F(RawNodeTest, ReadIndexWithoutLeaderIsDropped) {
  auto node = NewNode(1, {1, 2, 3});
  node->ReadIndex("ctx");
  EXPECT_FALSE(node->HasReady());
}

// --- Create -----------------------------------------------------------------------------------

TEST_F(RawNodeTest, CreateRejectsInvalidConfig) {
  Config c;
  c.storage = &storage_;
  c.random = &random_;  // id 0
  auto r = RawNode::Create(c);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().Is(Code::kInvalidArgument));
}

TEST_F(RawNodeTest, CreateRejectsInconsistentStorage) {
  struct Case {
    const char* name;
    std::function<void(MemoryStorage&, Config&)> setup;
  };
  const Case cases[] = {
      {"commit beyond the last index",
       [](MemoryStorage& s, Config&) {
         s.Append({E(1, 1), E(2, 1)});
         s.SetHardState({Term(1), NodeId(), LogIndex(5)});
       }},
      {"commit with an empty log",
       [](MemoryStorage& s, Config&) {
         s.SetHardState({Term(1), NodeId(), LogIndex(1)});
       }},
      {"commit below the snapshot",
       [](MemoryStorage& s, Config&) {
         Snapshot snap;
         snap.metadata = {ConfState{.voters = {NodeId(1)}}, LogIndex(5), Term(2)};
         EXPECT_TRUE(s.ApplySnapshot(snap).ok());
         s.SetHardState({Term(2), NodeId(), LogIndex(3)});
       }},
      {"applied beyond commit",
       [](MemoryStorage& s, Config& c) {
         s.Append({E(1, 1), E(2, 1), E(3, 1)});
         s.SetHardState({Term(1), NodeId(), LogIndex(2)});
         c.applied = LogIndex(3);
       }},
      {"applied below the snapshot",
       [](MemoryStorage& s, Config& c) {
         Snapshot snap;
         snap.metadata = {ConfState{.voters = {NodeId(1)}}, LogIndex(5), Term(2)};
         EXPECT_TRUE(s.ApplySnapshot(snap).ok());
         s.SetHardState({Term(2), NodeId(), LogIndex(5)});
         c.applied = LogIndex(3);
       }},
      {"learner also a voter",
       [](MemoryStorage& s, Config&) {
         s.SetConfState({.voters = {NodeId(1)}, .learners = {NodeId(1)}});
       }},
  };
  for (const Case& c : cases) {
    MemoryStorage storage;
    storage.SetConfState({.voters = {NodeId(1)}});
    Config cfg;
    cfg.id = NodeId(1);
    cfg.storage = &storage;
    cfg.random = &random_;
    c.setup(storage, cfg);
    auto r = RawNode::Create(cfg);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_TRUE(r.status().Is(Code::kInvalidArgument)) << c.name << ": " << r.status().ToString();
  }
}

TEST_F(RawNodeTest, RestartFromConsistentStorage) {
  storage_.Append({E(1, 1, "a"), E(2, 1, "b"), E(3, 2, "c")});
  storage_.SetHardState({Term(2), NodeId(1), LogIndex(2)});
  auto node = NewNode(1, {1, 2, 3}, [](Config& c) { c.applied = LogIndex(1); });
  ASSERT_NE(node, nullptr);
  const NodeStatus st = node->GetStatus();
  EXPECT_EQ(st.hard_state, (HardState{Term(2), N(1), LogIndex(2)}));
  EXPECT_EQ(st.applied, LogIndex(1));
  EXPECT_EQ(st.last_index, LogIndex(3));
  EXPECT_EQ(st.soft_state.role, StateRole::kFollower);
  // The committed but unapplied entry is handed out; the unchanged hard state is not.
  ASSERT_TRUE(node->HasReady());
  Ready rd = node->GetReady();
  EXPECT_FALSE(rd.hard_state.has_value());
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_FALSE(rd.must_sync);
  ASSERT_EQ(Pairs(rd.committed_entries), (IT{{2, 1}}));
  EXPECT_EQ(rd.committed_entries[0].data.ToString(), "b");
  node->Advance();
  EXPECT_EQ(node->GetStatus().applied, LogIndex(2));
  EXPECT_FALSE(node->HasReady());
}

}  // namespace
}  // namespace tessera::raft

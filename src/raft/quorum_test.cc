// Unit tests for quorum.cc: majority and joint commit indexes and vote outcomes, checked against
// brute-force oracles over seeded random inputs.
#include "raft/quorum.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <vector>

#include "common/random.h"

namespace tessera::raft {
namespace {

constexpr uint64_t kMaxIndex = std::numeric_limits<uint64_t>::max();

VoterSet Voters(std::initializer_list<uint64_t> ids) {
  VoterSet s;
  for (uint64_t id : ids) s.insert(NodeId(id));
  return s;
}

AckedIndexer FromMap(const std::map<NodeId, LogIndex>& acked) {
  return [&acked](NodeId id) -> std::optional<LogIndex> {
    auto it = acked.find(id);
    if (it == acked.end()) return std::nullopt;
    return it->second;
  };
}

// The largest i such that a majority of voters acknowledged at least i (unknown counts as 0).
uint64_t OracleCommitted(const VoterSet& voters, const std::map<NodeId, LogIndex>& acked) {
  if (voters.empty()) return kMaxIndex;
  std::vector<uint64_t> candidates = {0};
  for (NodeId id : voters) {
    auto it = acked.find(id);
    if (it != acked.end()) candidates.push_back(it->second.value());
  }
  uint64_t best = 0;
  for (uint64_t c : candidates) {
    size_t n = 0;
    for (NodeId id : voters) {
      auto it = acked.find(id);
      if ((it == acked.end() ? 0 : it->second.value()) >= c) ++n;
    }
    if (n > voters.size() / 2 && c > best) best = c;
  }
  return best;
}

// Enumerates every completion of the missing votes: kWon if all completions win in every set,
// kLost if none does, kPending otherwise.
VoteResult OracleVote(const std::vector<VoterSet>& sets, const std::map<NodeId, bool>& votes) {
  VoterSet all;
  for (const VoterSet& s : sets) all.insert(s.begin(), s.end());
  std::vector<NodeId> missing;
  for (NodeId id : all) {
    if (!votes.count(id)) missing.push_back(id);
  }
  bool some_win = false, some_loss = false;
  for (uint64_t mask = 0; mask < (uint64_t{1} << missing.size()); ++mask) {
    std::map<NodeId, bool> full = votes;
    for (size_t i = 0; i < missing.size(); ++i) full[missing[i]] = (mask >> i) & 1;
    bool win = true;
    for (const VoterSet& s : sets) {
      size_t yes = 0;
      for (NodeId id : s) yes += full[id] ? 1 : 0;
      if (!s.empty() && yes <= s.size() / 2) win = false;
    }
    (win ? some_win : some_loss) = true;
  }
  if (!some_loss) return VoteResult::kWon;
  if (!some_win) return VoteResult::kLost;
  return VoteResult::kPending;
}

VoterSet RandomVoters(Random& rnd, size_t max_size) {
  VoterSet s;
  const size_t n = rnd.Range(0, max_size);
  while (s.size() < n) s.insert(NodeId(rnd.Range(1, 7)));
  return s;
}

std::map<NodeId, LogIndex> RandomAcks(Random& rnd) {
  std::map<NodeId, LogIndex> acked;
  for (uint64_t id = 1; id <= 7; ++id) {
    if (rnd.Chance(0.8)) acked[NodeId(id)] = LogIndex(rnd.Range(0, 10));
  }
  return acked;
}

std::map<NodeId, bool> RandomVotes(Random& rnd) {
  std::map<NodeId, bool> votes;
  for (uint64_t id = 1; id <= 7; ++id) {
    if (rnd.Chance(0.6)) votes[NodeId(id)] = rnd.Chance(0.5);
  }
  return votes;
}

TEST(QuorumTest, MajorityCommittedExamples) {
  std::map<NodeId, LogIndex> acked = {{NodeId(1), LogIndex(5)},
                                      {NodeId(2), LogIndex(3)},
                                      {NodeId(3), LogIndex(9)},
                                      {NodeId(4), LogIndex(1)},
                                      {NodeId(5), LogIndex(7)}};
  auto idx = FromMap(acked);
  EXPECT_EQ(MajorityCommitted(Voters({1}), idx), LogIndex(5));
  EXPECT_EQ(MajorityCommitted(Voters({1, 2}), idx), LogIndex(3));     // both needed
  EXPECT_EQ(MajorityCommitted(Voters({1, 2, 3}), idx), LogIndex(5));  // 1 and 3
  EXPECT_EQ(MajorityCommitted(Voters({1, 2, 3, 4}), idx), LogIndex(3));
  EXPECT_EQ(MajorityCommitted(Voters({1, 2, 3, 4, 5}), idx), LogIndex(5));
  // An unknown voter counts as having acknowledged nothing.
  EXPECT_EQ(MajorityCommitted(Voters({1, 3, 8}), idx), LogIndex(5));
  EXPECT_EQ(MajorityCommitted(Voters({1, 8, 9}), idx), LogIndex(0));
}

TEST(QuorumTest, MajorityCommittedEmptySetIsMaximal) {
  std::map<NodeId, LogIndex> acked;
  EXPECT_EQ(MajorityCommitted(VoterSet{}, FromMap(acked)), LogIndex(kMaxIndex));
}

TEST(QuorumTest, MajorityCommittedMatchesOracle) {
  SeededRandom rnd(20240611);
  for (int iter = 0; iter < 5000; ++iter) {
    const VoterSet voters = RandomVoters(rnd, 5);
    const auto acked = RandomAcks(rnd);
    ASSERT_EQ(MajorityCommitted(voters, FromMap(acked)).value(), OracleCommitted(voters, acked))
        << "iteration " << iter;
  }
}

TEST(QuorumTest, MajorityVoteResultExamples) {
  const VoterSet three = Voters({1, 2, 3});
  const NodeId n1(1), n2(2), n3(3);
  EXPECT_EQ(MajorityVoteResult(three, {}), VoteResult::kPending);
  EXPECT_EQ(MajorityVoteResult(three, {{n1, true}}), VoteResult::kPending);
  EXPECT_EQ(MajorityVoteResult(three, {{n1, true}, {n2, true}}), VoteResult::kWon);
  EXPECT_EQ(MajorityVoteResult(three, {{n1, true}, {n2, false}}), VoteResult::kPending);
  EXPECT_EQ(MajorityVoteResult(three, {{n1, false}, {n2, false}}), VoteResult::kLost);
  EXPECT_EQ(MajorityVoteResult(three, {{n1, true}, {n2, false}, {n3, false}}), VoteResult::kLost);
  // Votes from non-voters do not count.
  EXPECT_EQ(MajorityVoteResult(three, {{n1, true}, {NodeId(4), true}}), VoteResult::kPending);
  // Even sizes need more than half.
  const VoterSet four = Voters({1, 2, 3, 4});
  EXPECT_EQ(MajorityVoteResult(four, {{n1, true}, {n2, true}}), VoteResult::kPending);
  EXPECT_EQ(MajorityVoteResult(four, {{n1, true}, {n2, true}, {n3, false}}), VoteResult::kPending);
  EXPECT_EQ(MajorityVoteResult(four, {{n1, false}, {n2, false}}), VoteResult::kLost);
  EXPECT_EQ(MajorityVoteResult(Voters({1}), {{n1, true}}), VoteResult::kWon);
  EXPECT_EQ(MajorityVoteResult(Voters({1}), {{n1, false}}), VoteResult::kLost);
}

TEST(QuorumTest, MajorityVoteResultEmptySetWins) {
  EXPECT_EQ(MajorityVoteResult(VoterSet{}, {}), VoteResult::kWon);
  EXPECT_EQ(MajorityVoteResult(VoterSet{}, {{NodeId(1), false}}), VoteResult::kWon);
}

TEST(QuorumTest, MajorityVoteResultMatchesOracle) {
  SeededRandom rnd(7);
  for (int iter = 0; iter < 5000; ++iter) {
    const VoterSet voters = RandomVoters(rnd, 5);
    const auto votes = RandomVotes(rnd);
    ASSERT_EQ(MajorityVoteResult(voters, votes), OracleVote({voters}, votes))
        << "iteration " << iter;
  }
}

TEST(QuorumTest, JointCommittedIsMinOfHalves) {
  std::map<NodeId, LogIndex> acked = {{NodeId(1), LogIndex(10)},
                                      {NodeId(2), LogIndex(10)},
                                      {NodeId(3), LogIndex(10)},
                                      {NodeId(4), LogIndex(2)},
                                      {NodeId(5), LogIndex(3)}};
  JointVoters j{Voters({1, 2, 3}), Voters({3, 4, 5})};
  EXPECT_TRUE(j.IsJoint());
  EXPECT_EQ(j.Committed(FromMap(acked)), LogIndex(3));  // outgoing limits
  j.outgoing.clear();
  EXPECT_FALSE(j.IsJoint());
  EXPECT_EQ(j.Committed(FromMap(acked)), LogIndex(10));  // empty outgoing never limits

  SeededRandom rnd(99);
  for (int iter = 0; iter < 3000; ++iter) {
    const JointVoters jv{RandomVoters(rnd, 5), RandomVoters(rnd, 5)};
    const auto a = RandomAcks(rnd);
    const uint64_t want =
        std::min(OracleCommitted(jv.incoming, a), OracleCommitted(jv.outgoing, a));
    ASSERT_EQ(jv.Committed(FromMap(a)).value(), want) << "iteration " << iter;
  }
}

TEST(QuorumTest, JointVoteCombinations) {
  const NodeId n1(1), n2(2), n3(3), n4(4);
  const JointVoters j{Voters({1, 2, 3}), Voters({2, 3, 4})};
  // won + won.
  EXPECT_EQ(j.Vote({{n2, true}, {n3, true}}), VoteResult::kWon);
  // won + pending.
  EXPECT_EQ(j.Vote({{n1, true}, {n2, true}}), VoteResult::kPending);
  // won + lost.
  EXPECT_EQ(j.Vote({{n1, true}, {n2, true}, {n3, false}, {n4, false}}), VoteResult::kLost);
  // pending + lost.
  EXPECT_EQ(j.Vote({{n1, true}, {n3, false}, {n4, false}}), VoteResult::kLost);
  // pending + pending.
  EXPECT_EQ(j.Vote({}), VoteResult::kPending);
  // lost + lost.
  EXPECT_EQ(j.Vote({{n2, false}, {n3, false}}), VoteResult::kLost);

  SeededRandom rnd(4242);
  for (int iter = 0; iter < 3000; ++iter) {
    const JointVoters jv{RandomVoters(rnd, 5), RandomVoters(rnd, 5)};
    const auto votes = RandomVotes(rnd);
    ASSERT_EQ(jv.Vote(votes), OracleVote({jv.incoming, jv.outgoing}, votes))
        << "iteration " << iter;
  }
}

TEST(QuorumTest, JointMembershipHelpers) {
  const JointVoters j{Voters({1, 2}), Voters({2, 3})};
  EXPECT_EQ(j.All(), Voters({1, 2, 3}));
  EXPECT_TRUE(j.Contains(NodeId(3)));
  EXPECT_FALSE(j.Contains(NodeId(4)));
  EXPECT_FALSE(j.IsSingleton());
  EXPECT_TRUE((JointVoters{Voters({1}), {}}).IsSingleton());
  EXPECT_FALSE((JointVoters{Voters({1}), Voters({1})}).IsSingleton());
}

}  // namespace
}  // namespace tessera::raft

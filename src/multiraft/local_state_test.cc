// The apply state encoding (local_state.h): versions, joined_at, and refusal of malformed bytes.
#include "multiraft/local_state.h"

#include <gtest/gtest.h>

#include "common/checksum.h"
#include "common/coding.h"

namespace tessera::multiraft {
namespace {

ApplyState Sample() {
  ApplyState s;
  s.applied_index = LogIndex(42);
  s.applied_term = Term(7);
  s.conf_state.voters = {NodeId(1), NodeId(2), NodeId(3)};
  s.conf_state.learners = {NodeId(4)};
  s.joined_at = {{NodeId(3), 5}, {NodeId(4), 9}};
  return s;
}

TEST(ApplyStateTest, RoundTripsWithJoinedAt) {
  const ApplyState s = Sample();
  auto got = DecodeApplyState(EncodeApplyState(s));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, s);
  EXPECT_EQ(got->JoinedAt(NodeId(4)), 9u);
  EXPECT_EQ(got->JoinedAt(NodeId(1)), 0u);
}

TEST(ApplyStateTest, RoundTripsAPreparedMerge) {
  ApplyState s = Sample();
  s.merge = MergeState{ShardId(9), Epoch{3, 4}, LogIndex(40), Term(6)};
  s.merged_sources = {ShardId(12), ShardId(11)};
  s.revision = uint64_t{1} << 58;
  auto got = DecodeApplyState(EncodeApplyState(s));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, s);
  // Without a merge, and with a truncated merge behind a valid checksum.
  s.merge.reset();
  got = DecodeApplyState(EncodeApplyState(s));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->merge.has_value());
  s.merge = MergeState{ShardId(9), Epoch{3, 4}, LogIndex(40), Term(6)};
  std::string bytes = EncodeApplyState(s);
  std::string body = bytes.substr(0, bytes.size() - 6);  // drops the prepare term and checksum
  PutFixed32(&body, Checksum32(body));
  EXPECT_FALSE(DecodeApplyState(body).ok());
}

TEST(ApplyStateTest, ReadsVersionOneAsNoJoins) {
  // Version 1 as written before joined_at existed: the same fields, no join list.
  std::string v1;
  v1.push_back(1);
  PutVarint64(&v1, 42);
  PutVarint64(&v1, 7);
  for (int set = 0; set < 4; ++set) {
    PutVarint64(&v1, set == 0 ? 1 : 0);
    if (set == 0) PutVarint64(&v1, 2);
  }
  v1.push_back(0);
  PutFixed32(&v1, Checksum32(v1));
  auto got = DecodeApplyState(v1);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->applied_index, LogIndex(42));
  EXPECT_EQ(got->conf_state.voters, std::vector<NodeId>{NodeId(2)});
  EXPECT_TRUE(got->joined_at.empty());
}

TEST(ApplyStateTest, RefusesDamagedBytes) {
  const std::string good = EncodeApplyState(Sample());
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    EXPECT_FALSE(DecodeApplyState(bad).ok()) << "byte " << i;
  }
  EXPECT_FALSE(DecodeApplyState(good.substr(0, good.size() - 1)).ok());
  EXPECT_FALSE(DecodeApplyState("").ok());
}

// Structure errors behind a valid checksum: a zero node id in joined_at, a count beyond the
// bytes, trailing bytes.
TEST(ApplyStateTest, RefusesMalformedJoinsBehindAValidChecksum) {
  auto with_joins = [](const std::string& joins) {
    std::string v;
    v.push_back(2);
    PutVarint64(&v, 42);
    PutVarint64(&v, 7);
    for (int set = 0; set < 4; ++set) PutVarint64(&v, 0);
    v.push_back(0);
    v += joins;
    PutFixed32(&v, Checksum32(v));
    return v;
  };
  std::string ok;
  PutVarint64(&ok, 1);
  PutVarint64(&ok, 3);
  PutVarint64(&ok, 5);
  ASSERT_TRUE(DecodeApplyState(with_joins(ok)).ok());
  std::string zero_node;
  PutVarint64(&zero_node, 1);
  PutVarint64(&zero_node, 0);
  PutVarint64(&zero_node, 5);
  EXPECT_FALSE(DecodeApplyState(with_joins(zero_node)).ok());
  std::string too_many;
  PutVarint64(&too_many, 1000);
  EXPECT_FALSE(DecodeApplyState(with_joins(too_many)).ok());
  EXPECT_FALSE(DecodeApplyState(with_joins(ok + "x")).ok());
}

TEST(ApplyStateTest, RecordJoinsGivesRejoinedNodesANewIncarnation) {
  ApplyState s;
  raft::ConfState before{.voters = {NodeId(1), NodeId(2), NodeId(3)}};
  raft::ConfState removed{.voters = {NodeId(1), NodeId(3)}};
  s.RecordJoins(before, removed, 1);
  EXPECT_TRUE(s.joined_at.empty());  // initial members stay at 0; nobody joined
  raft::ConfState learner{.voters = {NodeId(1), NodeId(3)}, .learners = {NodeId(2)}};
  s.RecordJoins(removed, learner, 2);
  EXPECT_EQ(s.JoinedAt(NodeId(2)), 2u);
  raft::ConfState promoted{.voters = {NodeId(1), NodeId(2), NodeId(3)}};
  s.RecordJoins(learner, promoted, 3);
  EXPECT_EQ(s.JoinedAt(NodeId(2)), 2u) << "a promotion is not a new incarnation";
  s.RecordJoins(promoted, removed, 4);
  EXPECT_EQ(s.JoinedAt(NodeId(2)), 0u) << "forgotten once removed";
  EXPECT_TRUE(s.joined_at.empty());
  s.RecordJoins(removed, learner, 5);
  EXPECT_EQ(s.JoinedAt(NodeId(2)), 5u);
}

}  // namespace
}  // namespace tessera::multiraft

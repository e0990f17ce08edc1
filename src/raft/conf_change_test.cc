// Unit tests for conf_change.cc: the entry encoding (round trips, and no crash on truncated or
// corrupted input), the text parser and the joint/leave classification.
#include "raft/conf_change.h"

#include <gtest/gtest.h>

#include <string>

#include "common/coding.h"
#include "common/random.h"

namespace tessera::raft {
namespace {

ConfChange RandomConfChange(Random& rnd) {
  ConfChange cc;
  cc.transition = static_cast<ConfChangeTransition>(rnd.Uniform(3));
  const size_t n = rnd.Range(0, 6);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t id = rnd.Chance(0.2) ? rnd.Next64() : rnd.Range(0, 300);
    cc.changes.push_back({static_cast<ConfChangeType>(rnd.Uniform(3)), NodeId(id)});
  }
  const size_t ctx = rnd.Chance(0.5) ? 0 : rnd.Range(1, 200);
  for (size_t i = 0; i < ctx; ++i) cc.context.push_back(static_cast<char>(rnd.Uniform(256)));
  return cc;
}

// A decoded change must survive another encode/decode unchanged.
void ExpectStable(const ConfChange& cc) {
  auto again = DecodeConfChange(EncodeConfChange(cc));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, cc);
}

TEST(ConfChangeTest, EncodeDecodeRoundTrip) {
  SeededRandom rnd(31337);
  for (int iter = 0; iter < 2000; ++iter) {
    const ConfChange cc = RandomConfChange(rnd);
    auto got = DecodeConfChange(EncodeConfChange(cc));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(*got, cc) << "iteration " << iter << ": " << DescribeConfChange(cc);
  }
}

TEST(ConfChangeTest, EmptyChangeRoundTrips) {
  const ConfChange leave;
  auto got = DecodeConfChange(EncodeConfChange(leave));
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->IsLeaveJoint());
}

TEST(ConfChangeTest, DecodeEveryTruncation) {
  SeededRandom rnd(5);
  for (int iter = 0; iter < 200; ++iter) {
    const ConfChange cc = RandomConfChange(rnd);
    const std::string enc = EncodeConfChange(cc);
    for (size_t len = 0; len < enc.size(); ++len) {
      auto got = DecodeConfChange(std::string_view(enc).substr(0, len));
      // A strict prefix of a valid encoding is never a valid encoding itself: the context length
      // and the trailing-bytes check pin the end.
      EXPECT_FALSE(got.ok()) << "prefix " << len << " of " << enc.size();
      if (!got.ok()) {
        EXPECT_TRUE(got.status().Is(Status::Code::kInvalidArgument)) << got.status().ToString();
      }
    }
  }
}

TEST(ConfChangeTest, DecodeRandomCorruptionNeverCrashes) {
  SeededRandom rnd(77);
  int decoded = 0, refused = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string enc = EncodeConfChange(RandomConfChange(rnd));
    const size_t flips = rnd.Range(1, 3);
    for (size_t f = 0; f < flips; ++f) {
      const size_t pos = rnd.Uniform(enc.size());
      enc[pos] = static_cast<char>(enc[pos] ^ static_cast<char>(rnd.Range(1, 255)));
    }
    if (rnd.Chance(0.2)) enc.push_back(static_cast<char>(rnd.Uniform(256)));  // trailing byte
    auto got = DecodeConfChange(enc);
    if (got.ok()) {
      ++decoded;
      ExpectStable(*got);
      EXPECT_LE(static_cast<uint8_t>(got->transition), 2);
      for (const auto& c : got->changes) EXPECT_LE(static_cast<uint8_t>(c.type), 2);
    } else {
      ++refused;
      EXPECT_TRUE(got.status().Is(Status::Code::kInvalidArgument)) << got.status().ToString();
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(decoded, 0);
}

TEST(ConfChangeTest, DecodeRandomGarbageNeverCrashes) {
  SeededRandom rnd(78);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string junk(rnd.Range(0, 40), '\0');
    for (char& c : junk) c = static_cast<char>(rnd.Uniform(256));
    if (!junk.empty() && rnd.Chance(0.5)) junk[0] = 1;  // a valid version byte
    auto got = DecodeConfChange(junk);
    if (got.ok()) ExpectStable(*got);
  }
}

TEST(ConfChangeTest, DecodeRejectsMalformedFields) {
  const ConfChange cc{.transition = ConfChangeTransition::kJointImplicit,
                      .changes = {{ConfChangeType::kAddLearnerNode, NodeId(7)}},
                      .context = "ctx"};
  const std::string good = EncodeConfChange(cc);
  ASSERT_TRUE(DecodeConfChange(good).ok());

  auto expect_error = [](const std::string& bytes, std::string_view what) {
    auto got = DecodeConfChange(bytes);
    ASSERT_FALSE(got.ok()) << what;
    EXPECT_TRUE(got.status().Is(Status::Code::kInvalidArgument));
    EXPECT_NE(got.status().message().find(what), std::string_view::npos) << got.status().ToString();
  };
  expect_error("", "truncated header");
  std::string s = good;
  s[0] = 2;
  expect_error(s, "unknown version");
  s = good;
  s[1] = 3;
  expect_error(s, "unknown transition");
  s = good;
  s[3] = 3;  // the first change's type
  expect_error(s, "unknown change type");
  expect_error(good + "x", "trailing bytes");

  std::string many;
  many.push_back(1);
  many.push_back(0);
  PutVarint64(&many, 1025);
  expect_error(many, "bad change count");
}

TEST(ConfChangeTest, DecodeAcceptsMaximumChangeCount) {
  ConfChange cc;
  for (uint64_t i = 1; i <= 1024; ++i) cc.changes.push_back({ConfChangeType::kAddNode, NodeId(i)});
  auto got = DecodeConfChange(EncodeConfChange(cc));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->changes.size(), 1024u);
}

TEST(ConfChangeTest, ParseGoodInput) {
  auto r = ParseConfChanges("v2 l3 r4");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::vector<ConfChangeSingle> want = {{ConfChangeType::kAddNode, NodeId(2)},
                                              {ConfChangeType::kAddLearnerNode, NodeId(3)},
                                              {ConfChangeType::kRemoveNode, NodeId(4)}};
  EXPECT_EQ(*r, want);

  r = ParseConfChanges("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  r = ParseConfChanges("   ");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  r = ParseConfChanges("  v10   r18446744073709551615 ");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].node_id, NodeId(10));
  EXPECT_EQ((*r)[1].node_id, NodeId(18446744073709551615ull));
}

TEST(ConfChangeTest, ParseBadInput) {
  for (const char* bad : {"x1", "v", "v1 l", "v1a", "v-1", "v+1", "V1", "v18446744073709551616",
                          "r 1", "v1,v2", "l0x3"}) {
    auto r = ParseConfChanges(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_TRUE(r.status().Is(Status::Code::kInvalidArgument)) << bad;
    }
  }
}

TEST(ConfChangeTest, DescribeMatchesParse) {
  const ConfChange cc{.changes = {{ConfChangeType::kAddNode, NodeId(2)},
                                  {ConfChangeType::kAddLearnerNode, NodeId(3)},
                                  {ConfChangeType::kRemoveNode, NodeId(4)}}};
  EXPECT_EQ(DescribeConfChange(cc), "v2 l3 r4");
  auto back = ParseConfChanges(DescribeConfChange(cc));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, cc.changes);
  EXPECT_EQ(DescribeConfChange(ConfChange{}), "leave-joint");
  EXPECT_EQ(DescribeConfChange(ConfChange{.transition = ConfChangeTransition::kJointExplicit,
                                          .changes = {{ConfChangeType::kAddNode, NodeId(5)}}}),
            "v5 joint-explicit");
}

TEST(ConfChangeTest, UsesJointAndIsLeaveJoint) {
  const ConfChangeSingle v2{ConfChangeType::kAddNode, NodeId(2)};
  const ConfChangeSingle v3{ConfChangeType::kAddNode, NodeId(3)};
  struct Case {
    ConfChange cc;
    bool leave, joint, auto_leave;
  };
  const Case cases[] = {
      {{ConfChangeTransition::kAuto, {}, ""}, true, false, false},
      {{ConfChangeTransition::kAuto, {v2}, ""}, false, false, false},
      {{ConfChangeTransition::kAuto, {v2, v3}, ""}, false, true, true},
      {{ConfChangeTransition::kJointImplicit, {v2}, ""}, false, true, true},
      {{ConfChangeTransition::kJointImplicit, {v2, v3}, ""}, false, true, true},
      {{ConfChangeTransition::kJointExplicit, {v2}, ""}, false, true, false},
      {{ConfChangeTransition::kJointExplicit, {}, ""}, false, true, false},
      {{ConfChangeTransition::kJointImplicit, {}, ""}, false, true, true},
  };
  for (const Case& c : cases) {
    const std::string desc = DescribeConfChange(c.cc);
    EXPECT_EQ(c.cc.IsLeaveJoint(), c.leave) << desc;
    bool auto_leave = !c.auto_leave;  // must be overwritten either way
    EXPECT_EQ(c.cc.UsesJoint(&auto_leave), c.joint) << desc;
    EXPECT_EQ(auto_leave, c.auto_leave) << desc;
  }
}

}  // namespace
}  // namespace tessera::raft

// raft_codec: every field survives encode -> serialize -> parse -> decode (randomized, seeded),
// and malformed input is refused with InvalidArgument, never a crash.
#include "server/raft_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/random.h"

namespace tessera::server {
namespace {

using raft::MessageType;

constexpr MessageType kNetworkTypes[] = {
    MessageType::kProp,           MessageType::kApp,
    MessageType::kAppResp,        MessageType::kVote,
    MessageType::kVoteResp,       MessageType::kPreVote,
    MessageType::kPreVoteResp,    MessageType::kSnap,
    MessageType::kHeartbeat,      MessageType::kHeartbeatResp,
    MessageType::kTransferLeader, MessageType::kTimeoutNow,
    MessageType::kReadIndex,      MessageType::kReadIndexResp,
};

// Values that exercise every varint length, including the extremes.
uint64_t AnyU64(Random& r) {
  switch (r.Uniform(4)) {
    case 0:
      return r.Uniform(128);
    case 1:
      return r.Next64();
    case 2:
      return ~uint64_t{0} - r.Uniform(3);
    default:
      return r.Uniform(1 << 20);
  }
}

std::string AnyBytes(Random& r, size_t max_len) {
  std::string s(r.Uniform(max_len + 1), '\0');
  for (char& c : s) c = static_cast<char>(r.Uniform(256));  // includes zero bytes
  return s;
}

std::vector<NodeId> AnyIdSet(Random& r, uint64_t first) {
  std::vector<NodeId> ids;
  uint64_t id = first;
  for (uint64_t n = r.Uniform(6); n > 0; --n) {
    id += 1 + r.Uniform(1000);
    ids.emplace_back(id);
  }
  return ids;
}

raft::Snapshot AnySnapshot(Random& r) {
  raft::Snapshot s;
  s.metadata.index = LogIndex(1 + r.Uniform(1 << 30));
  s.metadata.term = Term(1 + r.Uniform(1 << 20));
  s.metadata.conf_state.voters = AnyIdSet(r, 0);
  s.metadata.conf_state.learners = AnyIdSet(r, 1 << 20);  // disjoint from voters
  s.metadata.conf_state.voters_outgoing = AnyIdSet(r, 0);
  s.metadata.conf_state.learners_next = AnyIdSet(r, 0);
  s.metadata.conf_state.auto_leave = r.Chance(0.5);
  s.data = AnyBytes(r, 300);
  return s;
}

raft::Entry AnyEntry(Random& r, LogIndex index, Term term) {
  raft::Entry e;
  e.index = index;
  e.term = term;
  e.type = r.Chance(0.2) ? raft::EntryType::kConfChange : raft::EntryType::kNormal;
  e.data = AnyBytes(r, r.Chance(0.1) ? 5000 : 64);
  return e;
}

raft::Message AnyMessage(Random& r, NodeId from, NodeId to) {
  raft::Message m;
  m.type = kNetworkTypes[r.Uniform(std::size(kNetworkTypes))];
  m.from = from;
  m.to = to;
  const bool termless = m.type == MessageType::kProp || m.type == MessageType::kReadIndex;
  m.term = Term(termless && r.Chance(0.5) ? 0 : 1 + r.Uniform(1 << 20));
  m.log_term = Term(r.Uniform(m.term.value() + 1));
  m.index = LogIndex(r.Uniform(1 << 30));
  if (m.type == MessageType::kApp) {
    Term t = m.log_term;
    for (uint64_t i = 0, n = r.Uniform(8); i < n; ++i) {
      t = Term(t.value() + r.Uniform(m.term.value() - t.value() + 1));
      m.entries.push_back(AnyEntry(r, m.index + (i + 1), t));
    }
  } else if (m.type == MessageType::kProp) {
    for (uint64_t i = 0, n = 1 + r.Uniform(5); i < n; ++i) {
      m.entries.push_back(AnyEntry(r, LogIndex(0), Term(0)));
    }
  }
  m.commit = LogIndex(AnyU64(r));
  if (m.type == MessageType::kSnap) m.snapshot = AnySnapshot(r);
  m.reject = r.Chance(0.5);
  m.reject_hint = LogIndex(AnyU64(r));
  m.context = r.Chance(0.3) ? std::string("transfer") : AnyBytes(r, 40);
  m.lease_tick = AnyU64(r);
  return m;
}

multiraft::ShardDescriptor AnyDescriptor(Random& r, ShardId id) {
  multiraft::ShardDescriptor d;
  d.id = id;
  d.start_key = AnyBytes(r, 12);
  d.end_key = r.Chance(0.3) ? std::string() : d.start_key + '\x01' + AnyBytes(r, 8);
  d.epoch = {.conf_version = AnyU64(r), .version = AnyU64(r)};
  d.voters = AnyIdSet(r, 0);
  d.learners = AnyIdSet(r, 1 << 20);
  return d;
}

multiraft::RaftBatch AnyBatch(Random& r) {
  multiraft::RaftBatch b;
  b.from = NodeId(1 + r.Uniform(1000));
  b.to = NodeId(b.from.value() + 1 + r.Uniform(1000));
  for (uint64_t i = 0, n = r.Uniform(40); i < n; ++i) {
    const ShardId shard(1 + r.Uniform(1u << 31));
    multiraft::ShardMessage sm{shard, AnyMessage(r, b.from, b.to), AnyDescriptor(r, shard)};
    sm.incarnation = r.Chance(0.5) ? 0 : r.Uniform(1000);
    // Forwarded requests keep their original sender.
    if (sm.msg.type == MessageType::kProp && r.Chance(0.3)) sm.msg.from = NodeId(99999);
    b.messages.push_back(std::move(sm));
  }
  return b;
}

// Encodes, goes through the wire bytes, decodes.
Result<multiraft::RaftBatch> RoundTrip(const multiraft::RaftBatch& b) {
  v1::RaftBatchMsg msg;
  AppendRaftBatch(b, &msg);
  std::string wire;
  EXPECT_TRUE(msg.SerializeToString(&wire));
  v1::RaftBatchMsg parsed;
  EXPECT_TRUE(parsed.ParseFromString(wire));
  return DecodeRaftBatch(&parsed);
}

TEST(RaftCodecTest, RandomBatchesRoundTrip) {
  SeededRandom r(20240601);
  size_t per_type[std::size(kNetworkTypes)] = {};
  for (int iter = 0; iter < 500; ++iter) {
    const multiraft::RaftBatch b = AnyBatch(r);
    for (const auto& m : b.messages) {
      for (size_t i = 0; i < std::size(kNetworkTypes); ++i)
        per_type[i] += kNetworkTypes[i] == m.msg.type;
    }
    auto got = RoundTrip(b);
    ASSERT_TRUE(got.ok()) << "iteration " << iter << ": " << got.status().ToString();
    EXPECT_EQ(got->from, b.from);
    EXPECT_EQ(got->to, b.to);
    ASSERT_EQ(got->messages.size(), b.messages.size());
    for (size_t i = 0; i < b.messages.size(); ++i) {
      EXPECT_EQ(got->messages[i].shard, b.messages[i].shard);
      EXPECT_EQ(got->messages[i].msg, b.messages[i].msg) << "iteration " << iter << " msg " << i;
      EXPECT_EQ(got->messages[i].descriptor, b.messages[i].descriptor);
      EXPECT_EQ(got->messages[i].incarnation, b.messages[i].incarnation);
    }
  }
  for (size_t i = 0; i < std::size(kNetworkTypes); ++i) {
    EXPECT_GT(per_type[i], 50u) << raft::MessageTypeName(kNetworkTypes[i]);
  }
}

TEST(RaftCodecTest, CoalescedBatchesKeepOrder) {
  SeededRandom r(7);
  multiraft::RaftBatch a = AnyBatch(r);
  multiraft::RaftBatch b = AnyBatch(r);
  b.from = a.from;
  b.to = a.to;
  for (auto& m : b.messages) {
    m.msg.from = a.from;
    m.msg.to = a.to;
  }
  v1::RaftBatchMsg msg;
  AppendRaftBatch(a, &msg);
  AppendRaftBatch(b, &msg);
  auto got = DecodeRaftBatch(&msg);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->messages.size(), a.messages.size() + b.messages.size());
  for (size_t i = 0; i < a.messages.size(); ++i) EXPECT_EQ(got->messages[i].msg, a.messages[i].msg);
  for (size_t i = 0; i < b.messages.size(); ++i) {
    EXPECT_EQ(got->messages[a.messages.size() + i].msg, b.messages[i].msg);
  }
}

TEST(RaftCodecTest, EveryMessageTypeMapsBothWays) {
  for (MessageType t : kNetworkTypes) {
    auto back = FromWire(ToWire(t));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, t);
  }
}

TEST(RaftCodecDeathTest, LocalMessagesCannotBeEncoded) {
  EXPECT_DEATH(ToWire(MessageType::kHup), "local raft message");
  EXPECT_DEATH(ToWire(MessageType::kUnreachable), "local raft message");
}

// ---- Malformed input ---------------------------------------------------------------------------

// A valid one-message batch (node 1 -> node 2, shard 7) whose wire form the tests then break.
v1::RaftBatchMsg ValidWire(MessageType type = MessageType::kApp) {
  raft::Message m{.type = type, .to = NodeId(2), .from = NodeId(1), .term = Term(5)};
  if (type == MessageType::kApp) {
    m.log_term = Term(4);
    m.index = LogIndex(10);
    m.entries.push_back(raft::Entry{.term = Term(4), .index = LogIndex(11), .data = "a"});
    m.entries.push_back(raft::Entry{.term = Term(5), .index = LogIndex(12), .data = "b"});
  }
  if (type == MessageType::kProp) m.entries.push_back(raft::Entry{.data = "p"});
  if (type == MessageType::kSnap) {
    m.snapshot = raft::Snapshot{.metadata = {.conf_state = {.voters = {NodeId(1), NodeId(2)}},
                                             .index = LogIndex(9),
                                             .term = Term(3)}};
  }
  multiraft::ShardDescriptor d{.id = ShardId(7),
                               .start_key = "a",
                               .end_key = "m",
                               .voters = {NodeId(1), NodeId(2), NodeId(3)}};
  multiraft::RaftBatch b{.from = NodeId(1), .to = NodeId(2)};
  b.messages.push_back({ShardId(7), std::move(m), std::move(d)});
  v1::RaftBatchMsg msg;
  AppendRaftBatch(b, &msg);
  return msg;
}

Status DecodeStatus(v1::RaftBatchMsg msg) {
  auto r = DecodeRaftBatch(&msg);
  return r.ok() ? Status::OK() : r.status();
}

void ExpectRefused(v1::RaftBatchMsg msg, const char* why) {
  Status st = DecodeStatus(std::move(msg));
  EXPECT_TRUE(st.Is(Status::Code::kInvalidArgument)) << why << ": " << st.ToString();
}

v1::RaftMessage* Msg(v1::RaftBatchMsg* b) { return b->mutable_messages(0)->mutable_message(); }
v1::ShardDescriptor* Desc(v1::RaftBatchMsg* b) {
  return b->mutable_messages(0)->mutable_shard_descriptor();
}

TEST(RaftCodecTest, ValidBaselinesDecode) {
  for (MessageType t :
       {MessageType::kApp, MessageType::kProp, MessageType::kSnap, MessageType::kHeartbeat}) {
    EXPECT_TRUE(DecodeStatus(ValidWire(t)).ok()) << raft::MessageTypeName(t);
  }
}

TEST(RaftCodecTest, RefusesUnknownEnums) {
  auto b = ValidWire();
  Msg(&b)->set_type(static_cast<v1::RaftMessageType>(99));
  ExpectRefused(b, "unknown message type");
  b = ValidWire();
  Msg(&b)->set_type(v1::RAFT_MESSAGE_TYPE_UNSPECIFIED);
  ExpectRefused(b, "unspecified message type");
  b = ValidWire();
  Msg(&b)->mutable_entries(0)->set_type(static_cast<v1::RaftEntryType>(7));
  ExpectRefused(b, "unknown entry type");
}

TEST(RaftCodecTest, DescriptorIsOptional) {
  auto b = ValidWire();
  b.mutable_messages(0)->clear_shard_descriptor();
  auto got = DecodeRaftBatch(&b);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(got->messages[0].descriptor.has_value());
}

TEST(RaftCodecTest, NoticesRoundTripNotMemberNeedsADescriptorUnknownOnesPass) {
  auto b = ValidWire(MessageType::kHeartbeatResp);
  b.mutable_messages(0)->set_notice(v1::SHARD_NOTICE_NOT_MEMBER);
  auto got = DecodeRaftBatch(&b);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->messages[0].notice, multiraft::ShardNotice::kNotMember);
  ASSERT_TRUE(got->messages[0].descriptor.has_value());
  b = ValidWire(MessageType::kHeartbeatResp);
  b.mutable_messages(0)->set_notice(v1::SHARD_NOTICE_NO_REPLICA);
  b.mutable_messages(0)->clear_shard_descriptor();
  got = DecodeRaftBatch(&b);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->messages[0].notice, multiraft::ShardNotice::kNoReplica);
  b = ValidWire(MessageType::kHeartbeatResp);
  b.mutable_messages(0)->set_notice(v1::SHARD_NOTICE_NOT_MEMBER);
  b.mutable_messages(0)->clear_shard_descriptor();
  ExpectRefused(b, "not-member notice without a descriptor");
  // MERGED carries another shard's descriptor (the one covering the merged shard's range); no
  // other message may.
  b = ValidWire(MessageType::kHeartbeatResp);
  b.mutable_messages(0)->set_notice(v1::SHARD_NOTICE_MERGED);
  b.mutable_messages(0)->mutable_shard_descriptor()->set_id(b.messages(0).shard_id() + 1);
  got = DecodeRaftBatch(&b);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->messages[0].notice, multiraft::ShardNotice::kMerged);
  EXPECT_NE(got->messages[0].descriptor->id, got->messages[0].shard);
  b.mutable_messages(0)->set_notice(v1::SHARD_NOTICE_NOT_MEMBER);
  ExpectRefused(b, "a descriptor of another shard outside a merged notice");
  b = ValidWire(MessageType::kHeartbeatResp);
  b.mutable_messages(0)->set_notice(v1::SHARD_NOTICE_MERGED);
  b.mutable_messages(0)->clear_shard_descriptor();
  ExpectRefused(b, "merged notice without a descriptor");
  // A notice from a newer node is kept as unknown (ignored), not a reason to refuse the batch.
  b = ValidWire(MessageType::kHeartbeatResp);
  b.mutable_messages(0)->set_notice(static_cast<v1::ShardNotice>(9));
  got = DecodeRaftBatch(&b);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->messages[0].notice, multiraft::ShardNotice::kUnknown);
}

TEST(RaftCodecTest, RefusesMissingFields) {
  auto b = ValidWire();
  b.mutable_messages(0)->clear_message();
  ExpectRefused(b, "no raft message");
  b = ValidWire();
  Desc(&b)->clear_epoch();
  ExpectRefused(b, "no epoch");
  b = ValidWire(MessageType::kSnap);
  Msg(&b)->clear_snapshot();
  ExpectRefused(b, "snap without snapshot");
  b = ValidWire(MessageType::kSnap);
  Msg(&b)->mutable_snapshot()->clear_metadata();
  ExpectRefused(b, "snapshot without metadata");
  b = ValidWire(MessageType::kSnap);
  Msg(&b)->mutable_snapshot()->mutable_metadata()->clear_conf_state();
  ExpectRefused(b, "snapshot without conf state");
  b = ValidWire(MessageType::kSnap);
  Msg(&b)->mutable_snapshot()->mutable_metadata()->set_index(0);
  ExpectRefused(b, "snapshot at index 0");
}

TEST(RaftCodecTest, RefusesBadIds) {
  auto b = ValidWire();
  b.set_from(0);
  ExpectRefused(b, "zero batch sender");
  b = ValidWire();
  b.set_to(1);
  ExpectRefused(b, "batch to itself");
  b = ValidWire();
  Msg(&b)->set_to(3);
  ExpectRefused(b, "message to another node than the batch");
  b = ValidWire();
  Msg(&b)->set_from(3);
  ExpectRefused(b, "append from another node than the batch");
  b = ValidWire(MessageType::kProp);
  Msg(&b)->set_from(3);
  EXPECT_TRUE(DecodeStatus(b).ok()) << "a forwarded proposal keeps its sender";
  b = ValidWire();
  b.mutable_messages(0)->set_shard_id(0);
  ExpectRefused(b, "zero shard id");
  b = ValidWire();
  b.mutable_messages(0)->set_shard_id(8);
  ExpectRefused(b, "descriptor of another shard");
  b = ValidWire();
  Msg(&b)->set_term(0);
  ExpectRefused(b, "append without a term");
}

TEST(RaftCodecTest, RefusesImpossibleEntries) {
  auto b = ValidWire();
  Msg(&b)->mutable_entries(1)->set_index(14);
  ExpectRefused(b, "gap in append entries");
  b = ValidWire();
  Msg(&b)->mutable_entries(1)->set_term(3);
  ExpectRefused(b, "decreasing entry terms");
  b = ValidWire();
  Msg(&b)->mutable_entries(1)->set_term(6);
  ExpectRefused(b, "entry newer than the leader's term");
  b = ValidWire();
  Msg(&b)->mutable_entries(0)->set_term(3);
  ExpectRefused(b, "entry older than log_term");
  b = ValidWire(MessageType::kHeartbeat);
  *Msg(&b)->add_entries() = ValidWire().messages(0).message().entries(0);
  ExpectRefused(b, "entries on a heartbeat");
  b = ValidWire(MessageType::kProp);
  Msg(&b)->clear_entries();
  ExpectRefused(b, "empty proposal");
  b = ValidWire();
  *Msg(&b)->mutable_snapshot() = ValidWire(MessageType::kSnap).messages(0).message().snapshot();
  ExpectRefused(b, "snapshot on an append");
}

TEST(RaftCodecTest, RefusesBadMembershipAndRanges) {
  auto b = ValidWire();
  Desc(&b)->mutable_voters()->SwapElements(0, 1);
  ExpectRefused(b, "unsorted voters");
  b = ValidWire();
  Desc(&b)->add_voters(3);
  ExpectRefused(b, "duplicate voter");
  b = ValidWire();
  Desc(&b)->set_voters(0, 0);
  ExpectRefused(b, "zero voter");
  b = ValidWire();
  Desc(&b)->add_learners(2);
  ExpectRefused(b, "voter and learner");
  b = ValidWire();
  Desc(&b)->set_start_key("z");
  ExpectRefused(b, "start_key >= end_key");
  b = ValidWire();
  Desc(&b)->clear_voters();
  for (uint64_t i = 1; i <= kMaxReplicaIds + 1; ++i) Desc(&b)->add_voters(i);
  ExpectRefused(b, "too many voters");
  b = ValidWire(MessageType::kSnap);
  Msg(&b)->mutable_snapshot()->mutable_metadata()->mutable_conf_state()->add_voters(1);
  ExpectRefused(b, "unsorted snapshot voters");
  b = ValidWire();
  Msg(&b)->set_context(std::string(kMaxContextBytes + 1, 'c'));
  ExpectRefused(b, "oversized context");
}

// Random bytes and random corruptions of valid batches: whatever parses must decode or be
// refused, never crash (ASan/UBSan builds check the "never").
TEST(RaftCodecTest, GarbageNeverCrashes) {
  SeededRandom r(99);
  int parsed = 0, decoded = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string wire;
    if (iter % 2 == 0) {
      wire = AnyBytes(r, 200);
    } else {
      v1::RaftBatchMsg msg;
      AppendRaftBatch(AnyBatch(r), &msg);
      wire = msg.SerializeAsString();
      for (uint64_t flips = 1 + r.Uniform(4); flips > 0 && !wire.empty(); --flips) {
        wire[r.Uniform(wire.size())] = static_cast<char>(r.Uniform(256));
      }
    }
    v1::RaftBatchMsg msg;
    if (!msg.ParseFromString(wire)) continue;
    ++parsed;
    auto got = DecodeRaftBatch(&msg);
    if (got.ok()) {
      ++decoded;
    } else {
      EXPECT_TRUE(got.status().Is(Status::Code::kInvalidArgument)) << got.status().ToString();
    }
  }
  EXPECT_GT(parsed, 100);
  EXPECT_GT(decoded, 0);
}

}  // namespace
}  // namespace tessera::server

#include "server/raft_codec.h"

#include <string>
#include <utility>

#include "common/assert.h"

namespace tessera::server {
namespace {

using raft::MessageType;

Status Bad(std::string_view what) { return Status::InvalidArgument(what); }

// Membership lists are sorted sets of non-zero node ids (raft::ConfState, ShardDescriptor).
template <typename RepeatedIds>
Result<std::vector<NodeId>> DecodeIdSet(const RepeatedIds& in, std::string_view what) {
  if (static_cast<uint64_t>(in.size()) > kMaxReplicaIds) {
    return Bad(std::string(what) + ": too many node ids");
  }
  std::vector<NodeId> out;
  out.reserve(in.size());
  for (uint64_t id : in) {
    if (id == 0) return Bad(std::string(what) + ": zero node id");
    if (!out.empty() && out.back().value() >= id) {
      return Bad(std::string(what) + ": node ids not strictly increasing");
    }
    out.emplace_back(id);
  }
  return out;
}

template <typename RepeatedIds>
void EncodeIds(const std::vector<NodeId>& ids, RepeatedIds* out) {
  out->Reserve(static_cast<int>(ids.size()));
  for (NodeId id : ids) out->Add(id.value());
}

bool Disjoint(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  size_t i = 0, j = 0;  // both sorted
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) return false;
    a[i] < b[j] ? ++i : ++j;
  }
  return true;
}

void EncodeConfState(const raft::ConfState& cs, v1::RaftConfState* out) {
  EncodeIds(cs.voters, out->mutable_voters());
  EncodeIds(cs.learners, out->mutable_learners());
  EncodeIds(cs.voters_outgoing, out->mutable_voters_outgoing());
  EncodeIds(cs.learners_next, out->mutable_learners_next());
  out->set_auto_leave(cs.auto_leave);
}

Result<raft::ConfState> DecodeConfState(const v1::RaftConfState& in) {
  raft::ConfState cs;
  TESSERA_ASSIGN_OR_RETURN(cs.voters, DecodeIdSet(in.voters(), "conf state voters"));
  TESSERA_ASSIGN_OR_RETURN(cs.learners, DecodeIdSet(in.learners(), "conf state learners"));
  TESSERA_ASSIGN_OR_RETURN(cs.voters_outgoing,
                           DecodeIdSet(in.voters_outgoing(), "conf state outgoing voters"));
  TESSERA_ASSIGN_OR_RETURN(cs.learners_next,
                           DecodeIdSet(in.learners_next(), "conf state next learners"));
  if (!Disjoint(cs.voters, cs.learners)) return Bad("conf state: a voter is also a learner");
  cs.auto_leave = in.auto_leave();
  return cs;
}

void EncodeSnapshot(const raft::Snapshot& s, v1::RaftSnapshot* out) {
  v1::RaftSnapshotMetadata* md = out->mutable_metadata();
  EncodeConfState(s.metadata.conf_state, md->mutable_conf_state());
  md->set_index(s.metadata.index.value());
  md->set_term(s.metadata.term.value());
  out->set_data(s.data);
}

Result<raft::Snapshot> DecodeSnapshot(v1::RaftSnapshot* in) {
  if (!in->has_metadata()) return Bad("snapshot without metadata");
  const v1::RaftSnapshotMetadata& md = in->metadata();
  if (!md.has_conf_state()) return Bad("snapshot without a conf state");
  if (md.index() == 0 || md.term() == 0) return Bad("snapshot with a zero index or term");
  raft::Snapshot s;
  TESSERA_ASSIGN_OR_RETURN(s.metadata.conf_state, DecodeConfState(md.conf_state()));
  s.metadata.index = LogIndex(md.index());
  s.metadata.term = Term(md.term());
  s.data = std::move(*in->mutable_data());
  return s;
}

Result<raft::Entry> DecodeEntry(v1::RaftEntry* in) {
  raft::Entry e;
  switch (in->type()) {
    case v1::RAFT_ENTRY_TYPE_NORMAL:
      e.type = raft::EntryType::kNormal;
      break;
    case v1::RAFT_ENTRY_TYPE_CONF_CHANGE:
      e.type = raft::EntryType::kConfChange;
      break;
    default:
      return Bad("unknown entry type " + std::to_string(static_cast<int>(in->type())));
  }
  e.term = Term(in->term());
  e.index = LogIndex(in->index());
  e.data = SharedBytes(std::move(*in->mutable_data()));
  return e;
}

// Append entries must continue the log right after (index, log_term) with non-decreasing terms no
// newer than the leader's (Log Matching, Raft thesis section 3.5); the follower's log code
// asserts on anything else.
Status CheckAppendEntries(const raft::Message& m) {
  Term prev_term = m.log_term;
  for (size_t i = 0; i < m.entries.size(); ++i) {
    const raft::Entry& e = m.entries[i];
    if (e.index != m.index + (i + 1)) return Bad("append entries are not contiguous");
    if (e.term < prev_term || e.term > m.term) return Bad("append entry with an impossible term");
    prev_term = e.term;
  }
  return Status::OK();
}

// Forwarded proposals, read requests and transfer requests keep their original sender.
bool MayBeForwarded(MessageType t) {
  return t == MessageType::kProp || t == MessageType::kReadIndex ||
         t == MessageType::kTransferLeader;
}

Status CheckMessageShape(const raft::Message& m) {
  if (!m.to || !m.from) return Bad("message with a zero node id");
  const bool termless = m.type == MessageType::kProp || m.type == MessageType::kReadIndex;
  if (!termless && m.term == Term(0)) return Bad("network message without a term");
  const bool has_entries = m.type == MessageType::kApp || m.type == MessageType::kProp;
  if (!has_entries && !m.entries.empty()) return Bad("entries on a message type without entries");
  if (m.type == MessageType::kProp && m.entries.empty()) return Bad("empty proposal");
  if ((m.type == MessageType::kSnap) != m.snapshot.has_value()) {
    return Bad("snapshot present on a non-snapshot message or missing on a snapshot message");
  }
  if (m.type == MessageType::kApp) return CheckAppendEntries(m);
  return Status::OK();
}

}  // namespace

v1::RaftMessageType ToWire(MessageType t) {
  switch (t) {
    case MessageType::kProp:
      return v1::RAFT_MESSAGE_TYPE_PROP;
    case MessageType::kApp:
      return v1::RAFT_MESSAGE_TYPE_APP;
    case MessageType::kAppResp:
      return v1::RAFT_MESSAGE_TYPE_APP_RESP;
    case MessageType::kVote:
      return v1::RAFT_MESSAGE_TYPE_VOTE;
    case MessageType::kVoteResp:
      return v1::RAFT_MESSAGE_TYPE_VOTE_RESP;
    case MessageType::kPreVote:
      return v1::RAFT_MESSAGE_TYPE_PRE_VOTE;
    case MessageType::kPreVoteResp:
      return v1::RAFT_MESSAGE_TYPE_PRE_VOTE_RESP;
    case MessageType::kSnap:
      return v1::RAFT_MESSAGE_TYPE_SNAP;
    case MessageType::kHeartbeat:
      return v1::RAFT_MESSAGE_TYPE_HEARTBEAT;
    case MessageType::kHeartbeatResp:
      return v1::RAFT_MESSAGE_TYPE_HEARTBEAT_RESP;
    case MessageType::kTransferLeader:
      return v1::RAFT_MESSAGE_TYPE_TRANSFER_LEADER;
    case MessageType::kTimeoutNow:
      return v1::RAFT_MESSAGE_TYPE_TIMEOUT_NOW;
    case MessageType::kReadIndex:
      return v1::RAFT_MESSAGE_TYPE_READ_INDEX;
    case MessageType::kReadIndexResp:
      return v1::RAFT_MESSAGE_TYPE_READ_INDEX_RESP;
    case MessageType::kHup:
    case MessageType::kBeat:
    case MessageType::kUnreachable:
    case MessageType::kSnapStatus:
    case MessageType::kCheckQuorum:
      break;
  }
  TESSERA_UNREACHABLE("a local raft message cannot be sent over the network");
}

Result<MessageType> FromWire(v1::RaftMessageType t) {
  switch (t) {
    case v1::RAFT_MESSAGE_TYPE_PROP:
      return MessageType::kProp;
    case v1::RAFT_MESSAGE_TYPE_APP:
      return MessageType::kApp;
    case v1::RAFT_MESSAGE_TYPE_APP_RESP:
      return MessageType::kAppResp;
    case v1::RAFT_MESSAGE_TYPE_VOTE:
      return MessageType::kVote;
    case v1::RAFT_MESSAGE_TYPE_VOTE_RESP:
      return MessageType::kVoteResp;
    case v1::RAFT_MESSAGE_TYPE_PRE_VOTE:
      return MessageType::kPreVote;
    case v1::RAFT_MESSAGE_TYPE_PRE_VOTE_RESP:
      return MessageType::kPreVoteResp;
    case v1::RAFT_MESSAGE_TYPE_SNAP:
      return MessageType::kSnap;
    case v1::RAFT_MESSAGE_TYPE_HEARTBEAT:
      return MessageType::kHeartbeat;
    case v1::RAFT_MESSAGE_TYPE_HEARTBEAT_RESP:
      return MessageType::kHeartbeatResp;
    case v1::RAFT_MESSAGE_TYPE_TRANSFER_LEADER:
      return MessageType::kTransferLeader;
    case v1::RAFT_MESSAGE_TYPE_TIMEOUT_NOW:
      return MessageType::kTimeoutNow;
    case v1::RAFT_MESSAGE_TYPE_READ_INDEX:
      return MessageType::kReadIndex;
    case v1::RAFT_MESSAGE_TYPE_READ_INDEX_RESP:
      return MessageType::kReadIndexResp;
    default:
      return Bad("unknown raft message type " + std::to_string(static_cast<int>(t)));
  }
}

void EncodeShardDescriptor(const multiraft::ShardDescriptor& d, v1::ShardDescriptor* out) {
  out->set_id(d.id.value());
  out->set_start_key(d.start_key);
  out->set_end_key(d.end_key);
  out->mutable_epoch()->set_conf_version(d.epoch.conf_version);
  out->mutable_epoch()->set_version(d.epoch.version);
  EncodeIds(d.voters, out->mutable_voters());
  EncodeIds(d.learners, out->mutable_learners());
}

Result<multiraft::ShardDescriptor> DecodeShardDescriptor(const v1::ShardDescriptor& in) {
  if (in.id() == 0) return Bad("shard descriptor with a zero id");
  if (!in.has_epoch()) return Bad("shard descriptor without an epoch");
  if (!in.end_key().empty() && in.start_key() >= in.end_key()) {
    return Bad("shard descriptor with start_key >= end_key");
  }
  multiraft::ShardDescriptor d;
  TESSERA_ASSIGN_OR_RETURN(d.voters, DecodeIdSet(in.voters(), "shard voters"));
  TESSERA_ASSIGN_OR_RETURN(d.learners, DecodeIdSet(in.learners(), "shard learners"));
  if (!Disjoint(d.voters, d.learners)) return Bad("shard descriptor: a voter is also a learner");
  d.id = ShardId(in.id());
  d.start_key = in.start_key();
  d.end_key = in.end_key();
  d.epoch.conf_version = in.epoch().conf_version();
  d.epoch.version = in.epoch().version();
  return d;
}

void EncodeRaftMessage(const raft::Message& m, v1::RaftMessage* out) {
  out->set_type(ToWire(m.type));
  out->set_to(m.to.value());
  out->set_from(m.from.value());
  out->set_term(m.term.value());
  out->set_log_term(m.log_term.value());
  out->set_index(m.index.value());
  out->mutable_entries()->Reserve(static_cast<int>(m.entries.size()));
  for (const raft::Entry& e : m.entries) {
    v1::RaftEntry* pe = out->add_entries();
    pe->set_term(e.term.value());
    pe->set_index(e.index.value());
    pe->set_type(e.type == raft::EntryType::kConfChange ? v1::RAFT_ENTRY_TYPE_CONF_CHANGE
                                                        : v1::RAFT_ENTRY_TYPE_NORMAL);
    pe->set_data(e.data.data(), e.data.size());
  }
  out->set_commit(m.commit.value());
  if (m.snapshot) EncodeSnapshot(*m.snapshot, out->mutable_snapshot());
  out->set_reject(m.reject);
  out->set_reject_hint(m.reject_hint.value());
  out->set_context(m.context);
  out->set_lease_tick(m.lease_tick);
}

Result<raft::Message> DecodeRaftMessage(v1::RaftMessage* in) {
  raft::Message m;
  TESSERA_ASSIGN_OR_RETURN(m.type, FromWire(in->type()));
  m.to = NodeId(in->to());
  m.from = NodeId(in->from());
  m.term = Term(in->term());
  m.log_term = Term(in->log_term());
  m.index = LogIndex(in->index());
  if (static_cast<uint64_t>(in->entries_size()) > kMaxEntriesPerMessage) {
    return Bad("too many entries in one message");
  }
  m.entries.reserve(in->entries_size());
  for (v1::RaftEntry& pe : *in->mutable_entries()) {
    TESSERA_ASSIGN_OR_RETURN(raft::Entry e, DecodeEntry(&pe));
    m.entries.push_back(std::move(e));
  }
  m.commit = LogIndex(in->commit());
  if (in->has_snapshot()) {
    TESSERA_ASSIGN_OR_RETURN(m.snapshot, DecodeSnapshot(in->mutable_snapshot()));
  }
  m.reject = in->reject();
  m.reject_hint = LogIndex(in->reject_hint());
  if (in->context().size() > kMaxContextBytes) return Bad("message context too large");
  m.context = std::move(*in->mutable_context());
  m.lease_tick = in->lease_tick();
  TESSERA_RETURN_IF_ERROR(CheckMessageShape(m));
  return m;
}

void EncodeShardMessage(const multiraft::ShardMessage& m, v1::ShardMessage* out) {
  out->set_shard_id(m.shard.value());
  EncodeRaftMessage(m.msg, out->mutable_message());
  if (m.descriptor) EncodeShardDescriptor(*m.descriptor, out->mutable_shard_descriptor());
  out->set_notice(static_cast<v1::ShardNotice>(m.notice));
  out->set_incarnation(m.incarnation);
}

Result<multiraft::ShardMessage> DecodeShardMessage(v1::ShardMessage* in) {
  if (in->shard_id() == 0) return Bad("shard message with a zero shard id");
  if (!in->has_message()) return Bad("shard message without a raft message");
  multiraft::ShardMessage m;
  m.shard = ShardId(in->shard_id());
  if (in->has_shard_descriptor()) {  // optional: only when the receiver needs it
    if (in->shard_descriptor().id() != in->shard_id() && in->notice() != v1::SHARD_NOTICE_MERGED) {
      return Bad("shard message descriptor names another shard");
    }
    TESSERA_ASSIGN_OR_RETURN(m.descriptor, DecodeShardDescriptor(in->shard_descriptor()));
  }
  m.incarnation = in->incarnation();
  switch (in->notice()) {
    case v1::SHARD_NOTICE_NONE:
      break;
    case v1::SHARD_NOTICE_NOT_MEMBER:
      if (!m.descriptor) return Bad("not-member notice without a shard descriptor");
      m.notice = multiraft::ShardNotice::kNotMember;
      break;
    case v1::SHARD_NOTICE_NO_REPLICA:
      m.notice = multiraft::ShardNotice::kNoReplica;
      break;
    case v1::SHARD_NOTICE_HIBERNATE:
      m.notice = multiraft::ShardNotice::kHibernate;
      break;
    case v1::SHARD_NOTICE_WAKE:
      m.notice = multiraft::ShardNotice::kWake;
      break;
    case v1::SHARD_NOTICE_MERGED:
      if (!m.descriptor) return Bad("merged notice without a shard descriptor");
      m.notice = multiraft::ShardNotice::kMerged;
      break;
    default:
      // A newer node's notice: the receiver ignores it (never a Raft message, never the batch).
      m.notice = multiraft::ShardNotice::kUnknown;
      break;
  }
  TESSERA_ASSIGN_OR_RETURN(m.msg, DecodeRaftMessage(in->mutable_message()));
  return m;
}

void AppendRaftBatch(const multiraft::RaftBatch& batch, v1::RaftBatchMsg* out) {
  TESSERA_ASSERT(out->messages_size() == 0 ||
                     (out->from() == batch.from.value() && out->to() == batch.to.value()),
                 "coalescing batches of different node pairs");
  out->set_from(batch.from.value());
  out->set_to(batch.to.value());
  out->mutable_messages()->Reserve(out->messages_size() + static_cast<int>(batch.messages.size()));
  for (const multiraft::ShardMessage& m : batch.messages)
    EncodeShardMessage(m, out->add_messages());
}

Result<multiraft::RaftBatch> DecodeRaftBatch(v1::RaftBatchMsg* in) {
  if (in->from() == 0 || in->to() == 0) return Bad("raft batch with a zero node id");
  if (in->from() == in->to()) return Bad("raft batch from a node to itself");
  if (static_cast<uint64_t>(in->messages_size()) > kMaxMessagesPerBatch) {
    return Bad("too many messages in one raft batch");
  }
  multiraft::RaftBatch batch;
  batch.from = NodeId(in->from());
  batch.to = NodeId(in->to());
  batch.messages.reserve(in->messages_size());
  for (v1::ShardMessage& pm : *in->mutable_messages()) {
    TESSERA_ASSIGN_OR_RETURN(multiraft::ShardMessage m, DecodeShardMessage(&pm));
    if (m.msg.to != batch.to) return Bad("message addressed to another node than its batch");
    if (m.msg.from != batch.from && !MayBeForwarded(m.msg.type)) {
      return Bad("message from another node than its batch");
    }
    batch.messages.push_back(std::move(m));
  }
  return batch;
}

}  // namespace tessera::server

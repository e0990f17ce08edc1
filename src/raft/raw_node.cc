#include "raft/raw_node.h"

#include <algorithm>
#include <limits>

#include "common/assert.h"
#include "raft/raft.h"

namespace tessera::raft {
namespace {

// Messages that assert nothing about this node's durable state (see Ready, item 2).
bool SendableBeforePersist(MessageType t) {
  switch (t) {
    case MessageType::kApp:
    case MessageType::kHeartbeat:
    case MessageType::kSnap:
    case MessageType::kTimeoutNow:
    case MessageType::kProp:
    case MessageType::kReadIndex:
    case MessageType::kReadIndexResp:
    case MessageType::kTransferLeader:
      return true;
    default:
      return false;
  }
}

}  // namespace

RawNode::RawNode(std::unique_ptr<Raft> raft) : raft_(std::move(raft)) {
  prev_soft_state_ = raft_->soft_state();
  prev_hard_state_ = raft_->hard_state();
}

RawNode::~RawNode() = default;

Result<std::unique_ptr<RawNode>> RawNode::Create(const Config& config) {
  auto r = Raft::Create(config);
  if (!r.ok()) return r.status();
  return std::unique_ptr<RawNode>(new RawNode(std::move(r).value()));
}

void RawNode::Tick() { raft_->Tick(); }

void RawNode::Campaign() {
  (void)raft_->Step(Message{.type = MessageType::kHup, .from = raft_->id()});
}

Status RawNode::Step(Message msg) {
  if (IsLocalMessage(msg.type)) return Status::InvalidArgument("cannot step a local message");
  if (msg.to != raft_->id()) return Status::InvalidArgument("message addressed to another node");
  if (!msg.from) return Status::InvalidArgument("message without a sender");
  // Only forwarded proposals and read requests travel without a term; any other term-less message
  // is malformed, and would otherwise be taken for a local one.
  if (msg.term == Term(0) && msg.type != MessageType::kProp &&
      msg.type != MessageType::kReadIndex) {
    return Status::InvalidArgument("network message without a term");
  }
  return raft_->Step(std::move(msg));
}

Status RawNode::Propose(std::string data) {
  std::vector<std::string> batch;
  batch.push_back(std::move(data));
  return ProposeBatch(std::move(batch));
}

Status RawNode::ProposeBatch(std::vector<std::string> data) {
  if (data.empty()) return Status::InvalidArgument("empty proposal batch");
  Message m{.type = MessageType::kProp, .from = raft_->id()};
  m.entries.reserve(data.size());
  for (auto& d : data) m.entries.push_back(Entry{.data = std::move(d)});
  return raft_->Step(std::move(m));
}

Status RawNode::ProposeConfChange(const ConfChange& cc) {
  Message m{.type = MessageType::kProp, .from = raft_->id()};
  m.entries.push_back(Entry{.type = EntryType::kConfChange, .data = EncodeConfChange(cc)});
  return raft_->Step(std::move(m));
}

Result<ConfState> RawNode::ApplyConfChange(const ConfChange& cc) {
  return raft_->ApplyConfChange(cc);
}

void RawNode::ReadIndex(std::string context) {
  (void)raft_->Step(Message{.type = MessageType::kReadIndex, .context = std::move(context)});
}

void RawNode::TransferLeader(NodeId transferee) {
  (void)raft_->Step(Message{.type = MessageType::kTransferLeader, .from = transferee});
}

void RawNode::ReportUnreachable(NodeId id) {
  (void)raft_->Step(Message{.type = MessageType::kUnreachable, .from = id});
}

void RawNode::ReportSnapshot(NodeId id, bool success) {
  (void)raft_->Step(Message{.type = MessageType::kSnapStatus, .from = id, .reject = !success});
}

bool RawNode::HasReady() const {
  if (raft_->soft_state() != prev_soft_state_) return true;
  const HardState hs = raft_->hard_state();
  if (!hs.IsEmpty() && hs != prev_hard_state_) return true;
  const RaftLog& log = raft_->log();
  if (log.HasPendingSnapshot()) return true;
  if (raft_->HasMessages() || raft_->HasReadStates()) return true;
  if (!log.unstable().entries().empty()) return true;
  return !apply_paused_ && log.HasNextCommittedEntries();
}

Ready RawNode::GetReady() {
  TESSERA_ASSERT(!in_flight_, "GetReady before Advance of the previous Ready");
  Ready rd;
  InFlight f;
  const SoftState ss = raft_->soft_state();
  if (ss != prev_soft_state_) {
    rd.soft_state = ss;
    prev_soft_state_ = ss;
  }
  const HardState hs = raft_->hard_state();
  const bool term_or_vote_changed =
      hs.term != prev_hard_state_.term || hs.vote != prev_hard_state_.vote;
  if (hs != prev_hard_state_) {
    rd.hard_state = hs;
    prev_hard_state_ = hs;
  }
  const RaftLog& log = raft_->log();
  rd.entries = log.unstable().entries();
  if (!rd.entries.empty()) {
    f.last_entry_index = rd.entries.back().index;
    f.last_entry_term = rd.entries.back().term;
  }
  if (log.unstable().snapshot()) {
    rd.snapshot = *log.unstable().snapshot();
    f.snapshot_index = rd.snapshot->metadata.index;
  }
  if (!apply_paused_) rd.committed_entries = log.NextCommittedEntries();
  f.applied_index = f.snapshot_index;
  if (!rd.committed_entries.empty()) {
    f.applied_index = rd.committed_entries.back().index;
    f.applied_payload_bytes = PayloadBytes(rd.committed_entries);
  }
  for (Message& m : raft_->TakeMessages()) {
    if (!term_or_vote_changed && SendableBeforePersist(m.type)) {
      rd.messages.push_back(std::move(m));
    } else {
      rd.persisted_messages.push_back(std::move(m));
    }
  }
  rd.read_states = raft_->TakeReadStates();
  rd.must_sync = !rd.entries.empty() || term_or_vote_changed || rd.snapshot.has_value();
  in_flight_ = f;
  return rd;
}

void RawNode::Advance() {
  TESSERA_ASSERT(in_flight_.has_value(), "Advance without a Ready");
  const InFlight f = *in_flight_;
  in_flight_.reset();
  raft_->OnAdvance(f.last_entry_index, f.last_entry_term, f.snapshot_index, f.applied_index,
                   f.applied_payload_bytes);
}

void RawNode::PauseApplyAfter(LogIndex last_applied) {
  TESSERA_ASSERT(in_flight_.has_value(), "PauseApplyAfter without a Ready");
  InFlight& f = *in_flight_;
  const LogIndex before = raft_->log().applied();
  TESSERA_ASSERT(last_applied >= before && last_applied <= f.applied_index,
                 "PauseApplyAfter outside the Ready's committed entries");
  if (last_applied < f.applied_index) {
    // The entries not applied give their payload back to the uncommitted budget when they are.
    auto rest = raft_->log().Slice(last_applied.next(), f.applied_index.next(),
                                   std::numeric_limits<uint64_t>::max());
    TESSERA_ASSERT(rest.ok(), "committed entries must be readable");
    f.applied_payload_bytes -= std::min(f.applied_payload_bytes, PayloadBytes(*rest));
    f.applied_index = std::max(last_applied, f.snapshot_index);
  }
  apply_paused_ = true;
}

void RawNode::ResumeApply() { apply_paused_ = false; }

bool RawNode::CommitKnown(LogIndex index, Term term) {
  RaftLog& log = raft_->mutable_log();
  if (log.committed() >= index) return true;
  if (index > log.LastIndex() || log.TermOrZero(index) != term) return false;
  log.CommitTo(index);
  return true;
}

NodeId RawNode::id() const { return raft_->id(); }
LogIndex RawNode::LastIndex() const { return raft_->log().LastIndex(); }
Term RawNode::term() const { return raft_->term(); }
LogIndex RawNode::committed() const { return raft_->log().committed(); }

bool RawNode::LeaseValid() const { return raft_->LeaseValid(); }

bool RawNode::Quiescent() const { return raft_->Quiescent(); }

void RawNode::ResumeAfterPause() { raft_->ResumeAfterPause(); }

NodeStatus RawNode::GetStatus() const {
  NodeStatus s;
  s.id = raft_->id();
  s.hard_state = raft_->hard_state();
  s.soft_state = raft_->soft_state();
  s.applied = raft_->log().applied();
  s.last_index = raft_->log().LastIndex();
  s.conf_state = raft_->membership().ToConfState();
  if (const LeaderRole* l = raft_->leader()) {
    for (const auto& [id, pr] : l->progress) {
      s.progress.push_back(PeerProgress{id, pr.match(), pr.next(), ProgressStateName(pr.state()),
                                        raft_->membership().learners.count(id) > 0,
                                        pr.recent_active()});
    }
    s.lead_transferee = l->lead_transferee;
  }
  return s;
}

}  // namespace tessera::raft

// The leader: proposals, log replication with flow control (sections 3.5, 10.2), commit
// (section 3.6.2, figure 3.7 "figure 8"), heartbeats, check-quorum and leadership transfer.
#include "common/assert.h"
#include "raft/raft.h"

namespace tessera::raft {

Status Raft::StepLeader(Message m) {
  LeaderRole& l = leader_state();
  switch (m.type) {
    case MessageType::kBeat:
      BcastHeartbeat(l.read_only.LastContext());
      return Status::OK();
    case MessageType::kCheckQuorum: {
      // Section 6.2: step down if a quorum has not been heard from in an election timeout.
      std::map<NodeId, bool> active;
      for (auto& [id, pr] : l.progress) {
        active[id] = id == id_ || pr.recent_active();
        if (id != id_) pr.set_recent_active(false);
      }
      if (membership_.voters.Vote(active) != VoteResult::kWon) BecomeFollower(term_, NodeId());
      return Status::OK();
    }
    case MessageType::kProp:
      return HandlePropose(std::move(m));
    case MessageType::kReadIndex:
      HandleReadIndex(std::move(m));
      return Status::OK();
    case MessageType::kTransferLeader:
      HandleTransferLeader(m);
      return Status::OK();
    default:
      break;
  }
  // The rest are responses from a peer; ignore peers we do not track (unknown or removed).
  auto it = l.progress.find(m.from);
  if (it == l.progress.end()) return Status::OK();
  Progress& pr = it->second;
  switch (m.type) {
    case MessageType::kAppResp:
      HandleAppendResponse(m, pr);
      break;
    case MessageType::kHeartbeatResp:
      HandleHeartbeatResponse(m, pr);
      break;
    case MessageType::kSnapStatus:
      if (pr.state() != ProgressState::kSnapshot) break;
      // On success wait for the follower's append response; on failure retry from a probe.
      // Either way pause until we hear from it (a heartbeat response unpauses).
      pr.BecomeProbe();
      pr.set_flow_paused(true);
      break;
    case MessageType::kUnreachable:
      // Optimistic pipelining to an unreachable peer would lose messages: probe instead.
      if (pr.state() == ProgressState::kReplicate) pr.BecomeProbe();
      break;
    default:
      break;
  }
  return Status::OK();
}

Status Raft::CheckConfChangeProposal(const Entry& e) const {
  auto cc = DecodeConfChange(e.data);
  if (!cc.ok()) return Status::ProposalDropped(cc.status().ToString());
  const LeaderRole& l = std::get<LeaderRole>(role_);
  // Section 4.1: one membership change at a time.
  if (l.pending_conf_index > log_.applied()) {
    return Status::ProposalDropped("a membership change is pending");
  }
  if (membership_.IsJoint() && !cc->IsLeaveJoint()) {
    return Status::ProposalDropped("must leave the joint config first");
  }
  if (!membership_.IsJoint() && cc->IsLeaveJoint()) {
    return Status::ProposalDropped("not in a joint config");
  }
  auto next = Changer(membership_).Apply(*cc);
  if (!next.ok()) return Status::ProposalDropped(next.status().ToString());
  return Status::OK();
}

Status Raft::HandlePropose(Message m) {
  LeaderRole& l = leader_state();
  if (m.entries.empty()) return Status::InvalidArgument("empty proposal");
  if (!membership_.IsVoter(id_)) return Status::ProposalDropped("this node is not a voter");
  if (l.lead_transferee) return Status::ProposalDropped("leadership transfer in progress");
  bool has_conf_change = false;
  for (const Entry& e : m.entries) {
    if (cfg_.max_entry_bytes != 0 && PayloadBytes(e) > cfg_.max_entry_bytes) {
      return Status::ProposalDropped("entry larger than max_entry_bytes");
    }
    if (e.type == EntryType::kConfChange) {
      if (has_conf_change) return Status::ProposalDropped("two membership changes in one batch");
      TESSERA_RETURN_IF_ERROR(CheckConfChangeProposal(e));
      has_conf_change = true;
    }
  }
  if (!AppendEntries(std::move(m.entries))) {
    return Status::ProposalDropped("uncommitted bytes would exceed max_uncommitted_entries_bytes");
  }
  if (has_conf_change) leader_state().pending_conf_index = log_.LastIndex();
  BcastAppend();
  return Status::OK();
}

bool Raft::IncreaseUncommittedBytes(const std::vector<Entry>& entries) {
  LeaderRole& l = leader_state();
  const uint64_t s = PayloadBytes(entries);
  // The first proposal always fits, so that one large entry cannot block progress forever.
  if (cfg_.max_uncommitted_entries_bytes != 0 && l.uncommitted_bytes > 0 && s > 0 &&
      l.uncommitted_bytes + s > cfg_.max_uncommitted_entries_bytes) {
    return false;
  }
  l.uncommitted_bytes += s;
  return true;
}

bool Raft::AppendEntries(std::vector<Entry> entries) {
  LogIndex li = log_.LastIndex();
  for (Entry& e : entries) {
    li = li.next();
    e.term = term_;
    e.index = li;
  }
  if (!IncreaseUncommittedBytes(entries)) return false;
  log_.Append(entries);
  // The leader's own progress advances when the entries are persisted (OnAdvance).
  return true;
}

bool Raft::MaybeCommit() {
  const LeaderRole& l = leader_state();
  const LogIndex mci = membership_.voters.Committed([&](NodeId id) -> std::optional<LogIndex> {
    auto it = l.progress.find(id);
    if (it == l.progress.end()) return std::nullopt;
    return it->second.match();
  });
  return log_.MaybeCommit(mci, term_);
}

void Raft::OnCommitAdvanced() {
  ReleasePendingReadIndex();
  BcastAppend();
}

bool Raft::MaybeSendAppend(NodeId to, bool send_if_empty) {
  Progress& pr = leader_state().progress.at(to);
  if (pr.IsPaused()) return false;
  const LogIndex prev = pr.next().prev();
  auto prev_term = log_.TermAt(prev);
  if (!prev_term.ok()) return MaybeSendSnapshot(to, pr);
  std::vector<Entry> ents;
  if (pr.state() != ProgressState::kReplicate || !pr.inflights().Full()) {
    auto r = log_.EntriesFrom(pr.next(), cfg_.max_msg_bytes);
    if (!r.ok()) return MaybeSendSnapshot(to, pr);
    ents = std::move(r).value();
  }
  if (ents.empty() && !send_if_empty) return false;
  const size_t n = ents.size();
  const uint64_t bytes = PayloadBytes(ents);
  Send(Message{.type = MessageType::kApp,
               .to = to,
               .log_term = *prev_term,
               .index = prev,
               .entries = std::move(ents),
               .commit = log_.committed()});
  pr.SentEntries(n, bytes);
  pr.SentCommit(log_.committed());
  return true;
}

bool Raft::MaybeSendSnapshot(NodeId to, Progress& pr) {
  // Do not push a snapshot at a peer we have not heard from; it is likely down.
  if (!pr.recent_active()) return false;
  auto snap = log_.GetSnapshot();
  if (!snap.ok()) return false;  // Busy: the application is preparing one; retry later
  TESSERA_ASSERT(!snap->IsEmpty(), "need a snapshot but the storage has none");
  pr.BecomeSnapshot(snap->metadata.index);
  Send(Message{.type = MessageType::kSnap, .to = to, .snapshot = std::move(snap).value()});
  return true;
}

void Raft::SendHeartbeat(NodeId to, const std::string& ctx) {
  LeaderRole& l = leader_state();
  Progress& pr = l.progress.at(to);
  // A follower may not have the leader's committed entries yet: never tell it to commit past
  // what it has acknowledged.
  const LogIndex commit = std::min(pr.match(), log_.committed());
  Send(Message{.type = MessageType::kHeartbeat,
               .to = to,
               .commit = commit,
               .context = ctx,
               .lease_tick = l.ticks});
  pr.SentCommit(commit);
}

void Raft::BcastAppend() {
  for (auto& [id, pr] : leader_state().progress) {
    if (id != id_) MaybeSendAppend(id, true);
  }
}

void Raft::BcastHeartbeat(const std::string& ctx) {
  for (auto& [id, pr] : leader_state().progress) {
    if (id != id_) SendHeartbeat(id, ctx);
  }
}

void Raft::HandleAppendResponse(const Message& m, Progress& pr) {
  pr.set_recent_active(true);
  if (m.reject) {
    // Section 5.3 with the optimisation of backtracking by term: skip every entry of a term the
    // follower does not have.
    LogIndex next_probe = m.reject_hint;
    if (m.log_term > Term(0)) next_probe = log_.FindConflictByTerm(m.reject_hint, m.log_term).first;
    if (pr.MaybeDecrTo(m.index, next_probe)) {
      if (pr.state() == ProgressState::kReplicate) pr.BecomeProbe();
      MaybeSendAppend(m.from, true);
    }
    return;
  }
  // An acknowledgement beyond our log cannot come from a correct follower of this term.
  if (m.index > log_.LastIndex()) return;
  const bool probe_matched = pr.match() == m.index && pr.state() == ProgressState::kProbe;
  if (!pr.MaybeUpdate(m.index) && !probe_matched) return;
  switch (pr.state()) {
    case ProgressState::kProbe:
      pr.BecomeReplicate();
      break;
    case ProgressState::kSnapshot:
      if (pr.match().next() >= log_.FirstIndex()) {
        pr.BecomeProbe();
        pr.BecomeReplicate();
      }
      break;
    case ProgressState::kReplicate:
      pr.inflights().FreeLE(m.index);
      break;
  }
  if (MaybeCommit()) {
    OnCommitAdvanced();
  } else if (pr.CanBumpCommit(log_.committed())) {
    MaybeSendAppend(m.from, true);
  }
  // Fill the pipeline while the window allows (bounded by the inflight window).
  while (MaybeSendAppend(m.from, false)) {
  }
  LeaderRole& l = leader_state();
  if (m.from == l.lead_transferee && pr.match() == log_.LastIndex()) SendTimeoutNow(m.from);
}

void Raft::HandleHeartbeatResponse(const Message& m, Progress& pr) {
  pr.set_recent_active(true);
  pr.set_flow_paused(false);
  pr.set_lease_tick(m.lease_tick);
  if (pr.match() < log_.LastIndex() || pr.state() == ProgressState::kProbe) {
    MaybeSendAppend(m.from, true);
  }
  if (!m.context.empty()) HandleReadIndexAck(m);
}

void Raft::SendTimeoutNow(NodeId to) {
  leader_state().lease_forfeited = true;
  Send(Message{.type = MessageType::kTimeoutNow, .to = to});
}

void Raft::HandleTransferLeader(const Message& m) {
  LeaderRole& l = leader_state();
  const NodeId transferee = m.from;
  if (!membership_.voters.Contains(transferee)) return;  // learners and unknown nodes cannot lead
  if (l.lead_transferee) {
    if (l.lead_transferee == transferee) return;  // already in progress
    AbortLeaderTransfer();
  }
  if (transferee == id_) return;  // already the leader
  auto it = l.progress.find(transferee);
  if (it == l.progress.end()) return;
  // Section 3.10: stop accepting proposals, bring the transferee up to date, then tell it to
  // campaign at once. Abandoned after an election timeout (TickHeartbeat).
  election_elapsed_ = 0;
  l.lead_transferee = transferee;
  if (it->second.match() == log_.LastIndex()) {
    SendTimeoutNow(transferee);
  } else {
    MaybeSendAppend(transferee, true);
  }
}

}  // namespace tessera::raft

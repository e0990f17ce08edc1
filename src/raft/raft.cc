// Terms, roles, ticks and message dispatch.
#include "raft/raft.h"

#include "common/assert.h"

namespace tessera::raft {

Raft::Raft(const Config& config)
    : cfg_(config),
      id_(config.id),
      random_(config.random),
      lease_ticks_(config.EffectiveLeaseTicks()),
      log_(config.storage, config.max_committed_bytes_per_ready) {}

Result<std::unique_ptr<Raft>> Raft::Create(const Config& config) {
  TESSERA_RETURN_IF_ERROR(config.Validate());
  auto state = config.storage->GetInitialState();
  if (!state.ok()) return state.status();
  std::unique_ptr<Raft> r(new Raft(config));
  TESSERA_RETURN_IF_ERROR(r->Restore(*state));
  return r;
}

Status Raft::Restore(const InitialState& state) {
  auto m = Membership::FromConfState(state.conf_state);
  if (!m.ok()) return m.status();
  membership_ = std::move(m).value();
  const HardState& hs = state.hard_state;
  if (!hs.IsEmpty()) {
    if (hs.commit < log_.committed() || hs.commit > log_.LastIndex()) {
      return Status::InvalidArgument("stored commit index is outside the stored log");
    }
    log_.CommitTo(hs.commit);
    term_ = hs.term;
    vote_ = hs.vote;
  }
  just_started_ = term_ > Term(0);
  if (cfg_.applied > LogIndex(0)) {
    if (cfg_.applied > log_.committed() || cfg_.applied < log_.applied()) {
      return Status::InvalidArgument("config.applied is outside [snapshot index, commit index]");
    }
    log_.AppliedTo(cfg_.applied);
  }
  BecomeFollower(term_, NodeId());
  return Status::OK();
}

StateRole Raft::role() const {
  if (std::holds_alternative<LeaderRole>(role_)) return StateRole::kLeader;
  if (const auto* c = std::get_if<CandidateRole>(&role_)) {
    return c->pre_vote ? StateRole::kPreCandidate : StateRole::kCandidate;
  }
  return StateRole::kFollower;
}

void Raft::Reset(Term term) {
  if (term_ != term) {
    term_ = term;
    vote_ = NodeId();
  }
  lead_ = NodeId();
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
}

void Raft::ResetRandomizedElectionTimeout() {
  // Section 3.4: randomized timeouts in [T, 2T) make split votes rare.
  const auto et = static_cast<uint64_t>(cfg_.election_ticks);
  randomized_election_timeout_ = static_cast<int>(et + random_->Uniform(et));
}

void Raft::BecomeFollower(Term term, NodeId lead) {
  Reset(term);
  role_ = FollowerRole{};
  lead_ = lead;
}

void Raft::BecomePreCandidate() {
  TESSERA_ASSERT(role() != StateRole::kLeader, "a leader cannot become a pre-candidate");
  // A pre-candidate does not change its term or vote (section 9.6).
  role_ = CandidateRole{true, {}};
  lead_ = NodeId();
}

void Raft::BecomeCandidate() {
  TESSERA_ASSERT(role() != StateRole::kLeader, "a leader cannot become a candidate");
  Reset(term_.next());
  vote_ = id_;
  role_ = CandidateRole{false, {}};
}

void Raft::BecomeLeader() {
  TESSERA_ASSERT(role() == StateRole::kCandidate, "only a candidate becomes leader");
  Reset(term_);
  lead_ = id_;
  role_ = LeaderRole{};
  LeaderRole& l = leader_state();
  for (NodeId id : membership_.AllMembers()) l.progress.emplace(id, NewProgress());
  if (auto it = l.progress.find(id_); it != l.progress.end()) {
    it->second.BecomeReplicate();
    it->second.set_match(log_.PersistedLastIndex());
    it->second.set_next(log_.LastIndex().next());
    it->second.set_recent_active(true);
  }
  // Conservatively assume the tail of the log may hold an unapplied conf change.
  l.pending_conf_index = log_.LastIndex();
  // Section 5.4.2 / 6.4: an entry of the new term lets the leader commit everything before it
  // and learn the commit index for ReadIndex.
  const bool ok = AppendEntries({Entry{}});
  TESSERA_ASSERT(ok, "the empty entry of a new leader must fit");
}

Progress Raft::NewProgress() const {
  Progress p(log_.LastIndex().next(), static_cast<size_t>(cfg_.max_inflight_msgs),
             cfg_.max_inflight_bytes);
  p.set_recent_active(true);
  return p;
}

void Raft::Tick() {
  if (role() == StateRole::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
}

void Raft::TickElection() {
  ++election_elapsed_;
  if (election_elapsed_ >= cfg_.election_ticks) just_started_ = false;
  if (Promotable() && PastElectionTimeout()) {
    election_elapsed_ = 0;
    (void)Step(Message{.type = MessageType::kHup, .from = id_});
  }
}

void Raft::TickHeartbeat() {
  LeaderRole& l = leader_state();
  ++l.ticks;
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= cfg_.election_ticks) {
    election_elapsed_ = 0;
    if (cfg_.check_quorum) {
      (void)Step(Message{.type = MessageType::kCheckQuorum, .from = id_});
      if (role() != StateRole::kLeader) return;  // stepped down
    }
    // Section 3.10: abandon a transfer that did not finish within an election timeout.
    if (leader_state().lead_transferee) AbortLeaderTransfer();
  }
  if (!membership_.IsVoter(id_)) TransferToBestVoter();  // retried after an abandoned transfer
  if (heartbeat_elapsed_ >= cfg_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    (void)Step(Message{.type = MessageType::kBeat, .from = id_});
  }
}

void Raft::Send(Message m) {
  TESSERA_ASSERT(m.to != NodeId(0), "message without a destination");
  // Forwarded messages (proposals, transfer requests) keep their original sender.
  if (!m.from) m.from = id_;
  // Votes and pre-votes carry the term they campaign for; responses to pre-votes carry the
  // candidate's term when granted. Everything else carries our current term, except forwarded
  // proposals and read requests, which are term-less (the leader checks nothing on them).
  const bool own_term_set = m.type == MessageType::kVote || m.type == MessageType::kPreVote ||
                            m.type == MessageType::kVoteResp || m.type == MessageType::kPreVoteResp;
  if (own_term_set) {
    TESSERA_ASSERT(m.term != Term(0), "a vote message must carry a term");
  } else if (m.type != MessageType::kProp && m.type != MessageType::kReadIndex) {
    m.term = term_;
  }
  msgs_.push_back(std::move(m));
}

Status Raft::StepByTerm(const Message& m, bool* handled) {
  *handled = false;
  if (m.term == Term(0)) return Status::OK();  // local or term-less message
  if (m.term > term_) {
    const bool is_vote = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
    if (is_vote) {
      // Section 4.2.3 / 9.6: while we hear from a leader, ignore vote requests (this is what
      // makes leader leases safe), unless the candidate campaigns for a leadership transfer.
      const bool force = m.context == "transfer";
      // A node that just started may have followed a leader before it crashed and cannot know
      // whether that leader's lease still runs: it waits out one election timeout as well.
      const bool in_lease =
          cfg_.check_quorum && (lead_ || just_started_) && election_elapsed_ < cfg_.election_ticks;
      if (!force && in_lease) {
        *handled = true;
        return Status::OK();
      }
    }
    if (m.type == MessageType::kPreVote) {
      // Never change our term in response to a pre-vote.
    } else if (m.type == MessageType::kPreVoteResp && !m.reject) {
      // A granted pre-vote carries the future term; our term changes when we win.
    } else {
      const bool from_leader = m.type == MessageType::kApp || m.type == MessageType::kHeartbeat ||
                               m.type == MessageType::kSnap;
      BecomeFollower(m.term, from_leader ? m.from : NodeId());
    }
    return Status::OK();
  }
  if (m.term < term_) {
    *handled = true;
    if ((cfg_.check_quorum || cfg_.pre_vote) &&
        (m.type == MessageType::kHeartbeat || m.type == MessageType::kApp)) {
      // A stale leader (e.g. after a partition) learns our term from this response and steps
      // down; without it, a node partitioned with pre-vote could never rejoin (section 9.6).
      Send(Message{.type = MessageType::kAppResp, .to = m.from});
    } else if (m.type == MessageType::kPreVote) {
      Send(Message{.type = MessageType::kPreVoteResp, .to = m.from, .term = term_, .reject = true});
    }
    // Everything else from a stale term is ignored.
  }
  return Status::OK();
}

Status Raft::Step(Message m) {
  bool handled = false;
  TESSERA_RETURN_IF_ERROR(StepByTerm(m, &handled));
  if (handled) return Status::OK();
  switch (m.type) {
    case MessageType::kHup:
      Hup(cfg_.pre_vote ? CampaignKind::kPreElection : CampaignKind::kElection);
      return Status::OK();
    case MessageType::kVote:
    case MessageType::kPreVote:
      HandleVoteRequest(m);
      return Status::OK();
    default:
      break;
  }
  switch (role()) {
    case StateRole::kLeader:
      return StepLeader(std::move(m));
    case StateRole::kCandidate:
    case StateRole::kPreCandidate:
      return StepCandidate(std::move(m));
    case StateRole::kFollower:
      return StepFollower(std::move(m));
  }
  return Status::OK();
}

void Raft::OnAdvance(LogIndex persisted_index, Term persisted_term, LogIndex snapshot_index,
                     LogIndex applied_index, uint64_t applied_payload_bytes) {
  if (persisted_index > LogIndex(0)) log_.StableTo(persisted_index, persisted_term);
  if (snapshot_index > LogIndex(0)) log_.StableSnapTo(snapshot_index);
  if (applied_index > LogIndex(0)) log_.AppliedTo(applied_index);
  auto* l = std::get_if<LeaderRole>(&role_);
  if (l == nullptr) return;
  l->uncommitted_bytes -= std::min(l->uncommitted_bytes, applied_payload_bytes);
  // Section 10.2.1: the leader counts its own log towards the commit quorum only once durable.
  if (auto it = l->progress.find(id_); it != l->progress.end()) {
    if (it->second.MaybeUpdate(log_.PersistedLastIndex()) && MaybeCommit()) OnCommitAdvanced();
  }
  // Leave a joint config by ourselves once entering it is applied (auto_leave).
  if (role() == StateRole::kLeader && membership_.auto_leave &&
      log_.applied() >= leader_state().pending_conf_index) {
    ConfChange leave;
    Entry e{.type = EntryType::kConfChange, .data = EncodeConfChange(leave)};
    if (AppendEntries({std::move(e)})) {
      leader_state().pending_conf_index = log_.LastIndex();
      BcastAppend();
    }
  }
}

}  // namespace tessera::raft

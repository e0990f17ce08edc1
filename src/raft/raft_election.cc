// Leader election (section 3.4), pre-vote (section 9.6) and vote handling.
#include "common/assert.h"
#include "raft/raft.h"

namespace tessera::raft {
namespace {

MessageType VoteRespType(MessageType t) {
  return t == MessageType::kPreVote ? MessageType::kPreVoteResp : MessageType::kVoteResp;
}

}  // namespace

bool Raft::HasUnappliedConfChanges() const {
  if (log_.applied() >= log_.committed()) return false;
  auto ents = log_.Slice(log_.applied().next(), log_.committed().next(), UINT64_MAX);
  if (!ents.ok()) return true;  // cannot tell: be conservative
  for (const Entry& e : *ents) {
    if (e.type == EntryType::kConfChange) return true;
  }
  return false;
}

void Raft::Hup(CampaignKind kind) {
  if (role() == StateRole::kLeader) return;
  if (!Promotable()) return;
  // A committed but unapplied conf change may remove us or change the quorum: wait for it.
  if (HasUnappliedConfChanges()) return;
  Campaign(kind);
}

void Raft::Campaign(CampaignKind kind) {
  if (!Promotable()) return;
  Term vote_term;
  MessageType vote_type;
  if (kind == CampaignKind::kPreElection) {
    BecomePreCandidate();
    vote_type = MessageType::kPreVote;
    vote_term = term_.next();  // the term we would campaign in; ours is unchanged
  } else {
    BecomeCandidate();
    vote_type = MessageType::kVote;
    vote_term = term_;
  }
  if (Poll(id_, VoteRespType(vote_type), true) == VoteResult::kWon) {
    // A single voter wins at once.
    if (kind == CampaignKind::kPreElection) {
      Campaign(CampaignKind::kElection);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (NodeId id : membership_.voters.All()) {
    if (id == id_) continue;
    Send(Message{.type = vote_type,
                 .to = id,
                 .term = vote_term,
                 .log_term = log_.LastTerm(),
                 .index = log_.LastIndex(),
                 .context = kind == CampaignKind::kTransfer ? "transfer" : ""});
  }
}

VoteResult Raft::Poll(NodeId id, MessageType /*t*/, bool granted) {
  auto& c = std::get<CandidateRole>(role_);
  c.votes.emplace(id, granted);  // the first answer from a node counts
  return membership_.voters.Vote(c.votes);
}

void Raft::HandleVoteRequest(const Message& m) {
  // Section 3.6: vote at most once per term (a repeated request from our candidate is granted
  // again); a pre-vote may be granted for a future term without recording anything.
  const bool can_vote =
      vote_ == m.from || (!vote_ && !lead_) || (m.type == MessageType::kPreVote && m.term > term_);
  if (can_vote && log_.IsUpToDate(m.index, m.log_term)) {
    Send(Message{.type = VoteRespType(m.type), .to = m.from, .term = m.term});
    if (m.type == MessageType::kVote) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
  } else {
    Send(Message{.type = VoteRespType(m.type), .to = m.from, .term = term_, .reject = true});
  }
}

Status Raft::StepCandidate(Message m) {
  const bool pre = std::get<CandidateRole>(role_).pre_vote;
  const MessageType my_resp = pre ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  switch (m.type) {
    case MessageType::kProp:
      return Status::ProposalDropped("no leader: an election is in progress");
    case MessageType::kApp:
      BecomeFollower(m.term, m.from);  // a leader of our term exists
      HandleAppendEntries(m);
      return Status::OK();
    case MessageType::kHeartbeat:
      BecomeFollower(m.term, m.from);
      HandleHeartbeat(m);
      return Status::OK();
    case MessageType::kSnap:
      BecomeFollower(m.term, m.from);
      HandleSnapshot(m);
      return Status::OK();
    default:
      break;
  }
  if (m.type != my_resp) return Status::OK();  // e.g. a stale response of the other kind
  switch (Poll(m.from, m.type, !m.reject)) {
    case VoteResult::kWon:
      if (pre) {
        Campaign(CampaignKind::kElection);
      } else {
        BecomeLeader();
        BcastAppend();
      }
      break;
    case VoteResult::kLost:
      // A pre-vote rejection may carry a higher term; either way we wait for the next timeout.
      BecomeFollower(term_, NodeId());
      break;
    case VoteResult::kPending:
      break;
  }
  return Status::OK();
}

}  // namespace tessera::raft

// The follower: appending the leader's entries (section 3.5), heartbeats, snapshots
// (section 5.3), forwarding, and campaigning on TimeoutNow (section 3.10).
#include "common/assert.h"
#include "raft/raft.h"

namespace tessera::raft {

Status Raft::StepFollower(Message m) {
  switch (m.type) {
    case MessageType::kProp:
      if (!lead_) return Status::ProposalDropped("no leader");
      if (cfg_.disable_proposal_forwarding) {
        return Status::ProposalDropped("proposal forwarding is disabled");
      }
      m.to = lead_;
      Send(std::move(m));
      return Status::OK();
    case MessageType::kApp:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleAppendEntries(m);
      return Status::OK();
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleHeartbeat(m);
      return Status::OK();
    case MessageType::kSnap:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleSnapshot(m);
      return Status::OK();
    case MessageType::kTransferLeader:
    case MessageType::kReadIndex:
      if (!lead_) return Status::OK();  // dropped like a lost message; the caller retries
      m.to = lead_;
      Send(std::move(m));
      return Status::OK();
    case MessageType::kTimeoutNow:
      // Campaign at once, without pre-vote, and with the "transfer" flag that lets voters
      // ignore the current leader's lease.
      Hup(CampaignKind::kTransfer);
      return Status::OK();
    case MessageType::kReadIndexResp:
      read_states_.push_back(ReadState{m.index, m.context});
      return Status::OK();
    default:
      return Status::OK();
  }
}

void Raft::HandleAppendEntries(const Message& m) {
  // Entries at or below our commit index are already known to match: answer with the commit
  // index so that the leader moves on.
  if (m.index < log_.committed()) {
    Send(Message{.type = MessageType::kAppResp, .to = m.from, .index = log_.committed()});
    return;
  }
  // Reject malformed appends (entries not contiguous after m.index) instead of asserting.
  for (size_t i = 0; i < m.entries.size(); ++i) {
    if (m.entries[i].index != m.index + (i + 1)) return;
  }
  if (auto last = log_.MaybeAppend(m.index, m.log_term, m.commit, m.entries)) {
    Send(Message{.type = MessageType::kAppResp, .to = m.from, .index = *last});
    return;
  }
  // Mismatch: hint the leader at the largest index whose term is <= the leader's term there,
  // so that it can skip a whole term per round trip.
  const LogIndex hint_index = std::min(m.index, log_.LastIndex());
  auto [hint, hint_term] = log_.FindConflictByTerm(hint_index, m.log_term);
  Send(Message{.type = MessageType::kAppResp,
               .to = m.from,
               .log_term = hint_term,
               .index = m.index,
               .reject = true,
               .reject_hint = hint});
}

void Raft::HandleHeartbeat(const Message& m) {
  // A leader only sends commit <= our acknowledged match; clamp anyway so that a bad message
  // cannot move the commit index past our log.
  log_.CommitTo(std::min(m.commit, log_.LastIndex()));
  Send(Message{.type = MessageType::kHeartbeatResp,
               .to = m.from,
               .context = m.context,
               .lease_tick = m.lease_tick});
}

void Raft::HandleSnapshot(const Message& m) {
  if (!m.snapshot) return;  // malformed
  if (RestoreSnapshot(*m.snapshot)) {
    Send(Message{.type = MessageType::kAppResp, .to = m.from, .index = log_.LastIndex()});
  } else {
    Send(Message{.type = MessageType::kAppResp, .to = m.from, .index = log_.committed()});
  }
}

bool Raft::RestoreSnapshot(const Snapshot& s) {
  const LogIndex index = s.metadata.index;
  if (index <= log_.committed()) return false;
  if (role() != StateRole::kFollower) {
    // Only a follower installs snapshots; anything else is a bug in the caller's routing.
    BecomeFollower(term_.next(), NodeId());
    return false;
  }
  auto m = Membership::FromConfState(s.metadata.conf_state);
  if (!m.ok()) return false;  // malformed membership: ignore the snapshot
  // The snapshot's membership may not include us: a node removed and later re-added receives a
  // snapshot taken before the re-add, and learns of it from the entries that follow. The leader
  // only sends snapshots to current members, so accept it (we are not promotable until then).
  if (log_.MatchTerm(index, s.metadata.term)) {
    // We already have the entries: just fast-forward the commit index.
    log_.CommitTo(index);
    return false;
  }
  log_.Restore(s);
  membership_ = std::move(m).value();
  return true;
}

}  // namespace tessera::raft

// Applying membership changes (chapter 4): joint consensus and single-step changes.
#include "common/assert.h"
#include "raft/raft.h"

namespace tessera::raft {

Result<ConfState> Raft::ApplyConfChange(const ConfChange& cc) {
  auto next = Changer(membership_).Apply(cc);
  if (!next.ok()) return next.status();
  SwitchMembership(std::move(next).value());
  return membership_.ToConfState();
}

void Raft::SwitchMembership(Membership m) {
  membership_ = std::move(m);
  auto* l = std::get_if<LeaderRole>(&role_);
  if (l == nullptr) return;
  ReconcileProgress();
  // The quorum may have changed: commit what it allows, and bring new members up to date.
  if (MaybeCommit()) {
    OnCommitAdvanced();
  } else {
    for (auto& [id, pr] : leader_state().progress) {
      if (id != id_) MaybeSendAppend(id, false);
    }
  }
  LeaderRole& ls = leader_state();
  if (ls.lead_transferee && !membership_.voters.Contains(ls.lead_transferee)) {
    AbortLeaderTransfer();
  }
  // Removed or demoted (section 4.2.2): keep leading, without counting our own log, so that the
  // remaining voters learn the new membership is committed; meanwhile refuse proposals and hand
  // leadership to a voter of the new membership. Stepping down at once could leave them in a
  // joint config that needs our vote.
  if (!membership_.IsVoter(id_)) TransferToBestVoter();
}

void Raft::TransferToBestVoter() {
  LeaderRole& l = leader_state();
  if (l.lead_transferee) return;
  NodeId best;
  LogIndex best_match;
  for (NodeId id : membership_.voters.incoming) {
    auto it = l.progress.find(id);
    if (it == l.progress.end() || id == id_) continue;
    if (!best || it->second.match() > best_match) {
      best = id;
      best_match = it->second.match();
    }
  }
  if (best) HandleTransferLeader(Message{.type = MessageType::kTransferLeader, .from = best});
}

void Raft::ReconcileProgress() {
  LeaderRole& l = leader_state();
  const std::set<NodeId> members = membership_.AllMembers();
  for (auto it = l.progress.begin(); it != l.progress.end();) {
    it = members.count(it->first) ? std::next(it) : l.progress.erase(it);
  }
  for (NodeId id : members) {
    if (!l.progress.count(id)) l.progress.emplace(id, NewProgress());
  }
}

}  // namespace tessera::raft

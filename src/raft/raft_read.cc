// Linearizable reads without log writes: ReadIndex and leader leases (section 6.4).
#include "common/assert.h"
#include "raft/raft.h"

namespace tessera::raft {

bool Raft::CommittedEntryInCurrentTerm() const {
  return log_.TermOrZero(log_.committed()) == term_;
}

bool Raft::LeaseValid() const {
  const auto* l = std::get_if<LeaderRole>(&role_);
  if (l == nullptr || !cfg_.check_quorum) return false;
  // A transfer lets the transferee campaign while we still hold a lease: stop trusting it.
  if (l->lead_transferee || l->lease_forfeited) return false;
  // The lease starts at the send tick of the newest heartbeat round a quorum has echoed, and lasts
  // lease_ticks (< election_ticks): until then no quorum can have elected someone else, because
  // voters that heard from us ignore votes for election_ticks (section 6.4.1).
  const LogIndex acked = membership_.voters.Committed([&](NodeId id) -> std::optional<LogIndex> {
    if (id == id_) return LogIndex(l->ticks);
    auto it = l->progress.find(id);
    if (it == l->progress.end() || it->second.lease_tick() == 0) return std::nullopt;
    return LogIndex(it->second.lease_tick());
  });
  if (acked == LogIndex(0)) return false;
  return l->ticks < acked.value() + static_cast<uint64_t>(lease_ticks_);
}

void Raft::HandleReadIndex(Message m) {
  if (m.context.empty()) return;  // contexts identify requests; an empty one is malformed
  if (membership_.voters.IsSingleton() && membership_.voters.Contains(id_) &&
      CommittedEntryInCurrentTerm()) {
    RespondToReadIndex(m, log_.committed());
    return;
  }
  // Section 6.4 step 1: the leader must know the latest commit index, which it does once an entry
  // of its own term is committed. Hold the request until then.
  if (!CommittedEntryInCurrentTerm()) {
    leader_state().pending_read_index.push_back(std::move(m));
    return;
  }
  AnswerReadIndex(std::move(m));
}

void Raft::AnswerReadIndex(Message m) {
  if (cfg_.read_only_option == ReadOnlyOption::kLeaseBased && LeaseValid()) {
    RespondToReadIndex(m, log_.committed());
    return;
  }
  // Safe: confirm leadership with a heartbeat round carrying the request's context.
  LeaderRole& l = leader_state();
  const std::string ctx = m.context;
  l.read_only.Add(log_.committed(), std::move(m));
  const auto* acks = l.read_only.Ack(id_, ctx);
  if (acks != nullptr && membership_.voters.Vote(*acks) == VoteResult::kWon) {
    for (auto& rs : l.read_only.Advance(ctx)) RespondToReadIndex(rs.req, rs.index);
    return;
  }
  BcastHeartbeat(ctx);
}

void Raft::ReleasePendingReadIndex() {
  LeaderRole& l = leader_state();
  if (l.pending_read_index.empty() || !CommittedEntryInCurrentTerm()) return;
  std::vector<Message> pending = std::exchange(l.pending_read_index, {});
  for (Message& m : pending) AnswerReadIndex(std::move(m));
}

void Raft::HandleReadIndexAck(const Message& m) {
  LeaderRole& l = leader_state();
  const auto* acks = l.read_only.Ack(m.from, m.context);
  if (acks == nullptr || membership_.voters.Vote(*acks) != VoteResult::kWon) return;
  for (auto& rs : l.read_only.Advance(m.context)) RespondToReadIndex(rs.req, rs.index);
}

void Raft::RespondToReadIndex(const Message& req, LogIndex index) {
  if (!req.from || req.from == id_) {
    read_states_.push_back(ReadState{index, req.context});
    return;
  }
  Send(Message{
      .type = MessageType::kReadIndexResp, .to = req.from, .index = index, .context = req.context});
}

bool Raft::Quiescent() const {
  const LeaderRole* l = leader();
  if (l == nullptr || l->lead_transferee || l->read_only.size() != 0 ||
      !l->pending_read_index.empty() || l->pending_conf_index > log_.applied() ||
      membership_.IsJoint()) {
    return false;  // a joint configuration is left by the leader: not idle yet
  }
  const LogIndex last = log_.LastIndex();
  if (log_.committed() != last || log_.applied() != last || !msgs_.empty()) return false;
  for (const auto& [id, pr] : l->progress) {
    if (id != id_ && pr.match() != last) return false;
  }
  return true;
}

void Raft::ResumeAfterPause() {
  LeaderRole* l = std::get_if<LeaderRole>(&role_);
  if (l == nullptr) return;
  // The lease clock did not run while paused, so the acknowledged heartbeat rounds look fresher
  // than they are: move the clock past them. The lease returns with the next round a quorum
  // echoes. And the followers get a whole election timeout to answer before check-quorum.
  l->ticks += static_cast<uint64_t>(lease_ticks_) + 1;
  election_elapsed_ = 0;
}

}  // namespace tessera::raft

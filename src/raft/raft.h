// Raft: the consensus state machine behind RawNode. Internal to raft/.
//
// Roles are types (shared/style.md, item 3): the follower, candidate and leader each have their
// own state, and the leader's progress tracker exists only while leading. The code is organised
// by operation: raft.cc (terms, roles, ticks, dispatch), raft_election.cc, raft_replication.cc
// (leader side), raft_follower.cc, raft_read.cc, raft_membership.cc.
//
// Section numbers refer to Ongaro's thesis, "Consensus: Bridging Theory and Practice" (2014).
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "common/random.h"
#include "raft/config.h"
#include "raft/membership.h"
#include "raft/progress.h"
#include "raft/raft_log.h"
#include "raft/read_only.h"
#include "raft/types.h"

namespace tessera::raft {

struct FollowerRole {};

struct CandidateRole {
  bool pre_vote = false;         // a pre-candidate (section 9.6) has not bumped its term
  std::map<NodeId, bool> votes;  // granted (true) or rejected (false)
};

struct LeaderRole {
  std::map<NodeId, Progress> progress;  // every member, including this node
  ReadOnlyQueue read_only;
  // ReadIndex requests that arrived before an entry of this term was committed (section 6.4).
  std::vector<Message> pending_read_index;
  NodeId lead_transferee;       // set while a leadership transfer is in progress
  LogIndex pending_conf_index;  // a conf change at or below this index may be unapplied
  uint64_t uncommitted_bytes = 0;
  uint64_t ticks = 0;  // ticks since becoming leader: the lease clock
  // Set once a TimeoutNow has been sent in this term: the transferee's forced campaign overrides
  // voters' leases, so ours can no longer be trusted, even if the transfer is abandoned (a delayed
  // or duplicated TimeoutNow may still start that campaign later).
  bool lease_forfeited = false;
};

class Raft {
 public:
  // REQUIRES: config.Validate().ok(). Returns InvalidArgument for inconsistent stored state.
  static Result<std::unique_ptr<Raft>> Create(const Config& config);

  // Inputs.
  void Tick();
  Status Step(Message m);

  // Membership (raft_membership.cc).
  Result<ConfState> ApplyConfChange(const ConfChange& cc);

  // Ready support for RawNode.
  std::vector<Message> TakeMessages() { return std::exchange(msgs_, {}); }
  std::vector<ReadState> TakeReadStates() { return std::exchange(read_states_, {}); }
  bool HasMessages() const { return !msgs_.empty(); }
  bool HasReadStates() const { return !read_states_.empty(); }
  // Called by RawNode::Advance with what the application persisted and applied.
  void OnAdvance(LogIndex persisted_index, Term persisted_term, LogIndex snapshot_index,
                 LogIndex applied_index, uint64_t applied_payload_bytes);

  // Observers.
  NodeId id() const { return id_; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  NodeId lead() const { return lead_; }
  StateRole role() const;
  HardState hard_state() const { return HardState{term_, vote_, log_.committed()}; }
  SoftState soft_state() const { return SoftState{lead_, role()}; }
  const RaftLog& log() const { return log_; }
  RaftLog& mutable_log() { return log_; }
  const Membership& membership() const { return membership_; }
  const LeaderRole* leader() const { return std::get_if<LeaderRole>(&role_); }
  bool LeaseValid() const;
  // Hibernation support (raw_node.h).
  bool Quiescent() const;
  void ResumeAfterPause();
  // True if this node may campaign: a voter, or a node removed from the group entirely. A removed
  // node counts votes by its own (latest applied) membership, which is never older than the
  // committed one, so its majorities overlap every configuration in use and election safety
  // holds. It matters when a leader removed by joint consensus died before the remaining voters
  // learned that the joint config was left: they still need its vote, its log may be the longest,
  // and only it can then win and finish the change (section 4.2.2). Learners never campaign, and
  // a node with no voters at all (an uninitialized replica) never does.
  bool Promotable() const {
    if (membership_.voters.incoming.empty()) return false;
    return membership_.voters.Contains(id_) || !membership_.IsMember(id_);
  }

 private:
  explicit Raft(const Config& config);
  Status Restore(const InitialState& state);

  // raft.cc: roles and terms.
  void Reset(Term term);
  void BecomeFollower(Term term, NodeId lead);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void ResetRandomizedElectionTimeout();
  bool PastElectionTimeout() const { return election_elapsed_ >= randomized_election_timeout_; }
  void TickElection();
  void TickHeartbeat();
  Status StepByTerm(const Message& m, bool* handled);
  void Send(Message m);
  LeaderRole& leader_state() { return std::get<LeaderRole>(role_); }

  // raft_election.cc.
  enum class CampaignKind { kPreElection, kElection, kTransfer };
  void Hup(CampaignKind kind);
  void Campaign(CampaignKind kind);
  VoteResult Poll(NodeId id, MessageType t, bool granted);
  void HandleVoteRequest(const Message& m);
  Status StepCandidate(Message m);
  bool HasUnappliedConfChanges() const;

  // raft_replication.cc: the leader.
  Status StepLeader(Message m);
  Status HandlePropose(Message m);
  void HandleAppendResponse(const Message& m, Progress& pr);
  void HandleHeartbeatResponse(const Message& m, Progress& pr);
  void HandleTransferLeader(const Message& m);
  bool MaybeSendAppend(NodeId to, bool send_if_empty);
  bool MaybeSendSnapshot(NodeId to, Progress& pr);
  void SendHeartbeat(NodeId to, const std::string& ctx);
  void BcastAppend();
  void BcastHeartbeat(const std::string& ctx);
  bool MaybeCommit();
  bool AppendEntries(std::vector<Entry> entries);
  bool IncreaseUncommittedBytes(const std::vector<Entry>& entries);
  void AbortLeaderTransfer() { leader_state().lead_transferee = NodeId(); }
  void SendTimeoutNow(NodeId to);
  // A leader outside the voters hands leadership to the most caught-up voter.
  void TransferToBestVoter();
  Status CheckConfChangeProposal(const Entry& e) const;
  void OnCommitAdvanced();
  Progress NewProgress() const;

  // raft_follower.cc.
  Status StepFollower(Message m);
  void HandleAppendEntries(const Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshot(const Message& m);
  bool RestoreSnapshot(const Snapshot& s);

  // raft_read.cc.
  void HandleReadIndex(Message m);
  void ReleasePendingReadIndex();
  void AnswerReadIndex(Message m);
  void RespondToReadIndex(const Message& req, LogIndex index);
  void HandleReadIndexAck(const Message& m);
  bool CommittedEntryInCurrentTerm() const;

  // raft_membership.cc.
  void SwitchMembership(Membership m);
  void ReconcileProgress();

  Config cfg_;
  NodeId id_;
  Random* random_;
  int lease_ticks_;

  Term term_;
  NodeId vote_;
  NodeId lead_;
  RaftLog log_;
  Membership membership_;
  std::variant<FollowerRole, CandidateRole, LeaderRole> role_;

  std::vector<Message> msgs_;
  std::vector<ReadState> read_states_;

  int election_elapsed_ = 0;
  // Set on restart (a stored term > 0) until the first election timeout: this node may have been
  // following a leader whose lease still runs, so it refuses votes like a follower in a lease.
  bool just_started_ = false;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
};

}  // namespace tessera::raft

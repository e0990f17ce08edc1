// Quorum arithmetic for majority and joint configurations (thesis, sections 3.6 and 4.3).
// Internal to raft/. Pure functions over sorted voter sets.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "common/ids.h"

namespace tessera::raft {

enum class VoteResult : uint8_t { kPending, kLost, kWon };

using VoterSet = std::set<NodeId>;
// Looks up a voter's acknowledged index; nullopt when unknown (counts as zero).
using AckedIndexer = std::function<std::optional<LogIndex>(NodeId)>;

// The largest index acknowledged by a majority of `voters`. An empty set returns the maximum
// index, so that an empty outgoing half of a joint config never limits the commit.
LogIndex MajorityCommitted(const VoterSet& voters, const AckedIndexer& acked);
// The vote outcome in a majority config; an empty set wins (see above).
VoteResult MajorityVoteResult(const VoterSet& voters, const std::map<NodeId, bool>& votes);

// The same for a joint config: both halves must agree.
struct JointVoters {
  VoterSet incoming;
  VoterSet outgoing;  // empty unless joint

  bool IsJoint() const { return !outgoing.empty(); }
  bool Contains(NodeId id) const { return incoming.count(id) || outgoing.count(id); }
  VoterSet All() const;
  LogIndex Committed(const AckedIndexer& acked) const;
  VoteResult Vote(const std::map<NodeId, bool>& votes) const;
  bool IsSingleton() const { return outgoing.empty() && incoming.size() == 1; }
};

}  // namespace tessera::raft

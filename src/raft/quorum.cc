#include "raft/quorum.h"

#include <algorithm>
#include <limits>

namespace tessera::raft {

LogIndex MajorityCommitted(const VoterSet& voters, const AckedIndexer& acked) {
  if (voters.empty()) return LogIndex(std::numeric_limits<uint64_t>::max());
  std::vector<LogIndex> idx;
  idx.reserve(voters.size());
  for (NodeId id : voters) idx.push_back(acked(id).value_or(LogIndex(0)));
  std::sort(idx.begin(), idx.end());
  // With n voters sorted ascending, the entry at n - (n/2 + 1) is acknowledged by a majority.
  const size_t n = idx.size();
  return idx[n - (n / 2 + 1)];
}

VoteResult MajorityVoteResult(const VoterSet& voters, const std::map<NodeId, bool>& votes) {
  if (voters.empty()) return VoteResult::kWon;
  size_t yes = 0, missing = 0;
  for (NodeId id : voters) {
    auto it = votes.find(id);
    if (it == votes.end()) {
      ++missing;
    } else if (it->second) {
      ++yes;
    }
  }
  const size_t q = voters.size() / 2 + 1;
  if (yes >= q) return VoteResult::kWon;
  if (yes + missing >= q) return VoteResult::kPending;
  return VoteResult::kLost;
}

VoterSet JointVoters::All() const {
  VoterSet all = incoming;
  all.insert(outgoing.begin(), outgoing.end());
  return all;
}

LogIndex JointVoters::Committed(const AckedIndexer& acked) const {
  return std::min(MajorityCommitted(incoming, acked), MajorityCommitted(outgoing, acked));
}

VoteResult JointVoters::Vote(const std::map<NodeId, bool>& votes) const {
  const VoteResult a = MajorityVoteResult(incoming, votes);
  const VoteResult b = MajorityVoteResult(outgoing, votes);
  if (a == b) return a;
  if (a == VoteResult::kLost || b == VoteResult::kLost) return VoteResult::kLost;
  return VoteResult::kPending;
}

}  // namespace tessera::raft

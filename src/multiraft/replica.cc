#include "multiraft/replica.h"

#include <algorithm>

namespace tessera::multiraft {

Result<raft::InitialState> ReplicaLogStorage::GetInitialState() const {
  auto st = inner_->GetInitialState();
  if (!st.ok()) return st.status();
  raft::InitialState out = std::move(st).value();
  if (apply_->applied_index > LogIndex(0)) out.conf_state = apply_->conf_state;
  // A hard state that only advances the commit index is not written (worker_round.cc): what was
  // applied was committed.
  out.hard_state.commit = std::max(out.hard_state.commit, apply_->applied_index);
  return out;
}

Result<raft::Snapshot> ReplicaLogStorage::GetSnapshot() const {
  raft::Snapshot s;
  s.metadata.conf_state = apply_->conf_state;
  s.metadata.index = apply_->applied_index;
  s.metadata.term = apply_->applied_term;
  return s;
}

}  // namespace tessera::multiraft

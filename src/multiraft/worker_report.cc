// Replica reports (Node::Report): what a node tells the placement driver about its replicas.
#include <algorithm>

#include "multiraft/worker.h"

namespace tessera::multiraft {

namespace {

// A peer this many entries behind the leader's last index counts as pending (catching up), as
// does one the leader is not streaming entries to (probing, or sending it a snapshot).
constexpr uint64_t kPendingLagEntries = 1000;

}  // namespace

std::vector<ReplicaReport> Worker::Report() const {
  std::vector<ReplicaReport> out;
  out.reserve(replicas_.size());
  const int64_t now_ms = NowMs();
  for (const auto& [id, r] : replicas_) {
    if (!r->initialized || r->merged) continue;
    ReplicaReport rep;
    rep.desc = r->desc;
    const raft::SoftState& ss = r->raft->soft_state();
    rep.leader = ss.role == raft::StateRole::kLeader;
    rep.leader_id = ss.lead;
    rep.term = r->raft->term().value();
    rep.applied_index = r->apply.applied_index.value();
    rep.revision = r->apply.revision;
    rep.hibernating = r->hibernating;
    rep.merging = r->apply.merge.has_value();
    rep.counters = r->counters;
    if (rep.leader) {
      const raft::NodeStatus st = r->raft->GetStatus();
      const LogIndex last = r->raft->LastIndex();
      for (const auto& p : st.progress) {
        if (p.id == opts_.node_id) continue;
        // A hibernating leader hears nothing from its followers: their node's liveness tells.
        const bool alive = host_->liveness().Alive(p.id, now_ms, opts_.node_dead_after_ms) &&
                           (r->hibernating || p.recent_active);
        if (!alive) {
          rep.down_peers.push_back(p.id);
        } else if (std::string_view(p.state) != "replicate" || p.match.value() == 0 ||
                   last.value() > p.match.value() + kPendingLagEntries) {
          rep.pending_peers.push_back(p.id);
        }
      }
    }
    out.push_back(std::move(rep));
  }
  return out;
}

}  // namespace tessera::multiraft

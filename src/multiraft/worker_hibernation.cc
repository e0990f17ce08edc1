// Hibernation of idle shards (worker.h): a shard with no request stops ticking and heartbeating
// on all its replicas, so that thousands of idle shards cost a node almost nothing; node-level
// heartbeats (node_liveness.h) stand in for the shards' own while they sleep.
#include <algorithm>
#include <set>

#include "common/logging.h"
#include "multiraft/worker.h"

namespace tessera::multiraft {

namespace {
bool Idle(const Replica& r) {
  return r.initialized && !r.removed && r.pending_writes.empty() && r.round_writes.empty() &&
         r.round_reads.empty() && r.reads_awaiting_index.empty() &&
         r.reads_awaiting_apply.empty() && !r.incoming_snapshot && r.compact_to == LogIndex(0) &&
         !r.apply.merge && !r.merge_wait && !r.merge_requested && !r.merged &&
         r.submitted_index <= r.apply.applied_index;  // nothing left in the apply pool
}
}  // namespace

void Worker::SetHibernating(Replica& r, bool on) {
  if (r.hibernating == on) return;
  r.hibernating = on;
  if (on) {
    awake_.erase(r.desc.id);
  } else {
    awake_.emplace(r.desc.id, &r);
  }
  (on ? stats_.hibernations : stats_.wakes).fetch_add(1, std::memory_order_relaxed);
}

void Worker::MaybeHibernate(Replica& r, int64_t now_ms) {
  if (opts_.hibernate_after_ms == 0 || r.hibernating) return;
  if (r.raft->soft_state().role != raft::StateRole::kLeader) return;
  if (now_ms - r.last_request_ms < opts_.hibernate_after_ms || !Idle(r)) return;
  // Quiescent: every member has every entry, all committed and applied here, nothing pending in
  // Raft. Followers then have nothing to wait for but the next request.
  if (!r.raft->Quiescent()) return;
  SetHibernating(r, true);
  const LogIndex last = r.raft->LastIndex();
  const Term term = r.raft->term();
  const raft::ConfState& cs = r.apply.conf_state;
  for (const auto* set : {&cs.voters, &cs.learners}) {
    for (NodeId to : *set) {
      if (to != opts_.node_id) {
        SendNotice(r.desc.id, to, term, ShardNotice::kHibernate, std::nullopt, last, last);
      }
    }
  }
  Log().debug("shard {}: hibernating at index {}", r.desc.id.value(), last.value());
}

void Worker::HandleHibernateNotice(Replica& r, const ShardMessage& sm) {
  // A node with hibernation off keeps ticking (and watching no node liveness); its messages wake
  // the leader when its election timer runs out.
  if (opts_.hibernate_after_ms == 0 || r.hibernating || !Idle(r)) return;
  const raft::SoftState& ss = r.raft->soft_state();
  // Only from the leader this replica follows, in its term, and only if it has and applied
  // everything the leader has: otherwise it stays awake, and its messages wake the leader.
  if (ss.role != raft::StateRole::kFollower || ss.lead != sm.msg.from ||
      r.raft->term() != sm.msg.term) {
    return;
  }
  if (r.raft->LastIndex() != sm.msg.index || r.raft->committed() != sm.msg.commit ||
      r.apply.applied_index != sm.msg.commit) {
    return;
  }
  SetHibernating(r, true);
}

void Worker::Wake(Replica& r, bool tell_leader) {
  if (!r.hibernating) return;
  SetHibernating(r, false);
  r.last_request_ms = NowMs();
  r.raft->ResumeAfterPause();
  Activate(&r);
  const raft::SoftState& ss = r.raft->soft_state();
  if (tell_leader && ss.role != raft::StateRole::kLeader && ss.lead && ss.lead != opts_.node_id) {
    SendNotice(r.desc.id, ss.lead, r.raft->term(), ShardNotice::kWake, std::nullopt);
  }
}

bool Worker::TickHibernating(Replica& r, const std::vector<NodeId>& dead) {
  const raft::SoftState& ss = r.raft->soft_state();
  if (ss.role == raft::StateRole::kLeader) return true;
  // A follower sleeps while its leader's node is alive; once that node has been silent for
  // node_dead_after_ms it wakes, and its election timer runs again.
  if (ss.lead && std::find(dead.begin(), dead.end(), ss.lead) == dead.end()) return true;
  Log().info("shard {}: waking up: the leader's node {} is silent", r.desc.id.value(),
             ss.lead.value());
  Wake(r, /*tell_leader=*/false);
  return false;
}

std::vector<NodeId> Worker::DeadPeers(int64_t now_ms) const {
  std::vector<NodeId> dead;
  for (NodeId n : peers_) {
    if (!host_->liveness().Alive(n, now_ms, opts_.node_dead_after_ms)) dead.push_back(n);
  }
  return dead;
}

void Worker::SendNodeHeartbeats(int64_t now_ms) {
  if (opts_.hibernate_after_ms == 0 || now_ms < next_node_heartbeat_ms_) return;
  next_node_heartbeat_ms_ = now_ms + opts_.node_heartbeat_interval_ms;
  // The nodes this worker shares a shard with: recomputed when the replicas change in number, and
  // every few seconds (membership changes), not at every heartbeat (10,000 replicas).
  if (replicas_.size() != peers_replicas_ || now_ms >= next_peers_refresh_ms_) {
    peers_replicas_ = replicas_.size();
    next_peers_refresh_ms_ = now_ms + 10 * opts_.node_heartbeat_interval_ms;
    std::set<NodeId> peers;
    for (const auto& [id, r] : replicas_) {
      for (NodeId n : r->desc.voters) peers.insert(n);
      for (NodeId n : r->desc.learners) peers.insert(n);
    }
    peers.erase(opts_.node_id);
    peers_.assign(peers.begin(), peers.end());
  }
  for (NodeId to : peers_) transport_->Send(RaftBatch{opts_.node_id, to, {}});
}

}  // namespace tessera::multiraft

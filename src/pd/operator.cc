#include "pd/operator.h"

#include <algorithm>

#include "common/assert.h"
#include "common/utf8.h"

namespace tessera::pd {
namespace {

bool Contains(const std::vector<NodeId>& v, NodeId n) {
  return std::find(v.begin(), v.end(), n) != v.end();
}

std::string Node(NodeId n) { return "node " + std::to_string(n.value()); }

}  // namespace

bool Step::IsDone(const ShardInfo& start, const ShardInfo& now) const {
  const ShardDescriptor& d = now.desc;
  switch (kind) {
    case Kind::kAddLearner:
      // Already a voter counts too: a later promote (by this operator or an earlier one that was
      // cancelled) must not make this step wait for ever.
      // And caught up: a learner still waiting for its snapshot (pending) or silent (down) must
      // not be promoted: with one or two voters it would take the quorum with it.
      return (Contains(d.learners, node) || Contains(d.voters, node)) &&
             !Contains(now.pending_replicas, node) && !Contains(now.down_replicas, node);
    case Kind::kPromoteLearner:
      return Contains(d.voters, node);
    case Kind::kRemoveReplica:
      return !Contains(d.voters, node) && !Contains(d.learners, node);
    case Kind::kTransferLeader:
      return now.leader == node;
    case Kind::kSplit:
      // The shard keeps the left part: a split shows as a version bump and, when PD chose the
      // key, the shard ending there. An empty key lets the leader choose, so the bump is all.
      return d.epoch.version > start.desc.epoch.version &&
             (split_key.empty() || d.end_key == split_key);
    case Kind::kMerge:
      // The source's version grows when the merge is prepared (docs/protocol.md, "Merge"): from
      // then on the merge completes or rolls back by itself, with nothing more for PD to send.
      // When it completes the source disappears and sends no more heartbeats, so this test is
      // never reached: PD ends the operator itself when the source's range is covered by the
      // target (the vanished-shard case is PD's, not this function's).
      return d.epoch.version > start.desc.epoch.version;
  }
  TESSERA_UNREACHABLE("unknown step kind");
}

std::string Step::Describe() const {
  switch (kind) {
    case Kind::kAddLearner:
      return "add learner on " + Node(node);
    case Kind::kPromoteLearner:
      return "promote learner on " + Node(node);
    case Kind::kRemoveReplica:
      return "remove replica on " + Node(node);
    case Kind::kTransferLeader:
      return "transfer leader to " + Node(node);
    case Kind::kSplit:
      return (split_key.empty() ? std::string("split at the middle")
                                : "split at \"" + EscapeKey(split_key) + "\"") +
             (new_shard ? " into shard " + std::to_string(new_shard.value()) : std::string());
    case Kind::kMerge:
      return "merge into shard " + std::to_string(merge_target.value());
  }
  TESSERA_UNREACHABLE("unknown step kind");
}

std::string Operator::Describe() const {
  std::string s = kind + " on shard " + std::to_string(shard.value()) + " (epoch " +
                  std::to_string(epoch.conf_version) + "/" + std::to_string(epoch.version) +
                  ", priority " + std::to_string(priority) + "):";
  for (size_t i = 0; i < steps.size(); ++i) s += (i ? ", " : " ") + steps[i].Describe();
  return s;
}

std::vector<Step> MoveReplicaSteps(const ShardInfo& shard, NodeId from, NodeId to) {
  TESSERA_ASSERT(shard.HasReplicaOn(from), "moving a replica the shard does not have");
  TESSERA_ASSERT(!shard.HasReplicaOn(to), "moving a replica onto a node that has one");
  using K = Step::Kind;
  std::vector<Step> steps{{.kind = K::kAddLearner, .node = to}};
  if (Contains(shard.desc.voters, from)) {
    steps.push_back({.kind = K::kPromoteLearner, .node = to});
    // The new voter is the one node the caller checked is usable; Raft hands over once it has
    // caught up. Removing a leader directly would leave the group leaderless for an election.
    if (shard.leader == from) steps.push_back({.kind = K::kTransferLeader, .node = to});
  }
  steps.push_back({.kind = K::kRemoveReplica, .node = from});
  return steps;
}

}  // namespace tessera::pd

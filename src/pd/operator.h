// Operators: what PD asks a shard's leader to do, as a list of steps.
//
// A scheduler proposes an operator for one shard; PD keeps at most one per shard, sends its
// current step in the replies to the shard's heartbeats, and moves to the next step when a
// heartbeat shows the step done (Step::IsDone). An operator ends when its last step is done, and
// is cancelled when a step times out or the shard's epoch moved in a way its steps do not explain
// (a split or merge under a membership operator). The node carries a step out through its own
// admin operations (multiraft::Node::ChangeMembership, TransferLeader, Split, Merge) and never
// reports back directly: the next heartbeat shows what happened.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pd/cluster_view.h"

namespace tessera::pd {

struct Step {
  enum class Kind : uint8_t {
    kAddLearner = 1,      // add `node` as a learner (it receives a snapshot)
    kPromoteLearner = 2,  // make learner `node` a voter
    kRemoveReplica = 3,   // remove `node`'s replica (voter or learner)
    kTransferLeader = 4,  // move leadership to voter `node`
    kSplit = 5,           // split at `split_key` (empty: the leader picks the middle by size)
                          // with `new_shard` as the new right-hand shard's id
    kMerge = 6,           // merge this shard into the adjacent `merge_target`
  };
  Kind kind = Kind::kAddLearner;
  NodeId node;            // membership steps, transfer
  std::string split_key;  // kSplit
  ShardId new_shard;      // kSplit: allocated by PD when the operator is created
  ShardId merge_target;   // kMerge

  bool operator==(const Step&) const = default;
  // True when `now` (the shard as its latest heartbeat shows it) shows the step carried out.
  // `start` is the shard as it was when the step began. kSplit: the version grew and, with a
  // split key, the shard now ends there. kMerge (on the source): the version grew, i.e. the merge
  // is prepared and finishes or rolls back by itself; a source that has merged away sends no
  // heartbeat at all, and PD ends that operator itself when the target covers the range.
  bool IsDone(const ShardInfo& start, const ShardInfo& now) const;
  std::string Describe() const;
};

struct Operator {
  ShardId shard;
  Epoch epoch;       // the shard's epoch when the operator was made
  std::string kind;  // the scheduler that made it ("replica-checker", "balance-leader", ...)
  std::vector<Step> steps;
  // Higher first when operators compete for the limits (replica repair beats balancing).
  int priority = 0;

  std::string Describe() const;
};

// Steps to move a replica from `from` to `to` on a shard, one membership change at a time: add
// `to` as learner, promote it, move leadership to it if `from` leads, remove `from`. A learner on
// `from` is replaced by a learner (no promote). The caller checks that `to` is usable.
// REQUIRES: `from` holds a replica of the shard, `to` does not.
std::vector<Step> MoveReplicaSteps(const ShardInfo& shard, NodeId from, NodeId to);

}  // namespace tessera::pd

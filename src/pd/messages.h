// The requests and answers of PD's API that have no home in cluster_view.h or operator.h, as
// C++ values (the wire forms are in proto/pd.proto; pd_codec.h converts).
#pragma once

#include <optional>
#include <string>

#include "pd/cluster_view.h"
#include "pd/operator.h"

namespace tessera::pd {

// A step for a node to carry out on a shard it leads (at the epoch PD saw).
struct ShardCommand {
  ShardId shard;
  Epoch epoch;
  Step step;
};

// An admin request (AdminOperator).
struct AdminRequest {
  enum class Kind { kTransferLeader, kAddReplica, kRemoveReplica, kSplitAt, kSplitMiddle, kMerge };
  Kind kind = Kind::kTransferLeader;
  ShardId shard;
  std::optional<Epoch> epoch;  // nullopt: any
  NodeId node;
  std::string split_key;
  ShardId merge_target;
};

}  // namespace tessera::pd

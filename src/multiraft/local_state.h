// A node's local metadata about its replicas, in the store engine's kMeta column family:
//
//   "shard/" + be64(shard id)  -> the replica's ShardDescriptor (EncodeShardDescriptor)
//   "apply/" + be64(shard id)  -> the replica's ApplyState
//
// The apply state is written in the same engine batch as the data it describes, so that after a
// crash the applied index, the data and the membership always agree: recovery never applies an
// entry twice and never skips one. Documented in docs/storage_format.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "multiraft/shard.h"
#include "raft/types.h"

namespace tessera::multiraft {

// The log index and term a bootstrapped shard, or one created by a split, starts from (as TiKV):
// its log begins after a snapshot at this index, so a replica added later always starts from a
// snapshot.
inline constexpr LogIndex kBootstrapIndex{5};
inline constexpr Term kBootstrapTerm{5};

// A prepared merge of this shard (the source) into `target` (docs/protocol.md, "Merge"): set by
// the prepare entry at prepare_index/prepare_term, cleared by a rollback; while set the shard
// takes no write, read, split or membership change.
struct MergeState {
  ShardId target;
  Epoch target_epoch;  // the target's epoch the merge requires
  LogIndex prepare_index;
  Term prepare_term;
  bool operator==(const MergeState&) const = default;
};

struct ApplyState {
  LogIndex applied_index;
  Term applied_term;
  raft::ConfState conf_state;  // the membership as of applied_index
  // For each member that joined through a membership change: the conf version that change
  // produced (absent: a member since the shard began, 0). It names the member's replica
  // incarnation: a node removed and added back gets a new one, so that messages of its old
  // replica (which may still run, cut off) never count for the new one (Incarnation below).
  std::map<NodeId, uint64_t> joined_at;
  std::optional<MergeState> merge;
  // As a merge's target: the sources merged into this shard, newest first (at most
  // kMaxMergedSources). A source's leader rolls back only if its target's applied state moved
  // past the merge's epoch without it (the state may come from a snapshot).
  std::vector<ShardId> merged_sources;
  static constexpr size_t kMaxMergedSources = 64;
  // The shard's revision: the revision of its last applied write command (versioned_value.h).
  // Strictly increasing; a shard split off starts from its parent's, a merge takes the larger.
  uint64_t revision = 0;
  bool operator==(const ApplyState&) const = default;

  uint64_t JoinedAt(NodeId node) const {
    auto it = joined_at.find(node);
    return it == joined_at.end() ? 0 : it->second;
  }
  // Applies a membership change to joined_at: nodes that were not members before and are now get
  // `conf_version`; nodes that left are forgotten.
  void RecordJoins(const raft::ConfState& before, const raft::ConfState& after,
                   uint64_t conf_version);
};

std::string ShardDescriptorKey(ShardId shard);
std::string ApplyStateKey(ShardId shard);
// "tomb/" + be64(shard id) -> the descriptor the replica had when it was destroyed here.
std::string TombstoneKey(ShardId shard);
inline constexpr std::string_view kShardDescriptorPrefix = "shard/";
inline constexpr std::string_view kTombstonePrefix = "tomb/";

std::string EncodeApplyState(const ApplyState& s);
Result<ApplyState> DecodeApplyState(std::string_view data);

}  // namespace tessera::multiraft

// Merge: folds a small shard (the source) into an adjacent one (the target), which takes over its
// range (docs/protocol.md, "Merge"). The node refuses a merge unless both shards have the same
// voters and no learners, so when only the placement differs this scheduler first moves one
// replica of the source onto a node of the target per call, until the voters match.
//
// The target is the right neighbour, or the left one for the last shard: always merging
// rightwards where possible keeps decisions local and deterministic. A shard takes part in at
// most one merge per call (as source or target): a second merge into a target whose epoch the
// first one moves would only be rolled back.
#include <optional>

#include "pd/schedulers.h"
#include "pd/schedulers/placement.h"

namespace tessera::pd {
namespace {

constexpr const char* kKind = "merge";

bool IsSmall(const ScheduleConfig& c, const ShardInfo& s) {
  return s.stats.approximate_size_bytes < c.merge_max_size_bytes &&
         s.stats.approximate_keys < c.merge_max_keys;
}

// The adjacent shard to merge `shards[i]` into, or null when it is not known.
const ShardInfo* Target(const std::vector<ShardInfo>& shards, size_t i) {
  const ShardDescriptor& d = shards[i].desc;
  if (!d.end_key.empty()) {
    const bool adjacent = i + 1 < shards.size() && shards[i + 1].desc.start_key == d.end_key;
    return adjacent ? &shards[i + 1] : nullptr;  // a gap: PD has not heard of the right shard
  }
  const bool adjacent = i > 0 && !d.start_key.empty() && shards[i - 1].desc.end_key == d.start_key;
  return adjacent ? &shards[i - 1] : nullptr;
}

// Both shards quiet and whole: the merge's prepare needs every replica to respond, and the merged
// shard must not be split again right away.
bool CanMerge(const ClusterView& view, const ShardInfo& s, const ShardInfo& t) {
  const ScheduleConfig& c = view.config;
  for (const ShardInfo* x : {&s, &t}) {
    if (!x->leader || view.IsBusy(x->desc.id) || !x->desc.learners.empty() ||
        !x->down_replicas.empty() || !x->pending_replicas.empty()) {
      return false;
    }
  }
  for (const ShardInfo* x : {&s, &t}) {
    if (view.now_ms - x->range_changed_ms < c.split_merge_interval_ms) return false;
  }
  // Below half the split-by-load thresholds together (a threshold of 0 splits nothing by load).
  const auto cool = [](double a, double b, double split_at) {
    return split_at <= 0 || a + b < split_at / 2;
  };
  if (!cool(s.stats.write_ops_per_sec, t.stats.write_ops_per_sec, c.split_load_ops_per_sec) ||
      !cool(s.stats.read_ops_per_sec, t.stats.read_ops_per_sec, c.split_load_ops_per_sec) ||
      !cool(s.stats.write_bytes_per_sec, t.stats.write_bytes_per_sec, c.split_load_bytes_per_sec) ||
      !cool(s.stats.read_bytes_per_sec, t.stats.read_bytes_per_sec, c.split_load_bytes_per_sec)) {
    return false;
  }
  const uint64_t size = s.stats.approximate_size_bytes + t.stats.approximate_size_bytes;
  const uint64_t keys = s.stats.approximate_keys + t.stats.approximate_keys;
  return (c.max_shard_size_bytes == 0 || size < c.max_shard_size_bytes) &&
         (c.max_shard_keys == 0 || keys < c.max_shard_keys);
}

// One step towards the target's voters: a source voter the target lacks moves to a usable node
// of the target that the source lacks. None when the counts differ (the replica checker's job
// first) or no such node is usable.
std::optional<std::vector<Step>> MatchVoters(const ClusterView& view, const ShardInfo& s,
                                             const ShardInfo& t) {
  if (s.desc.voters.size() != t.desc.voters.size()) return std::nullopt;
  std::optional<NodeId> from;
  for (NodeId v : s.desc.voters) {
    if (!IsVoter(t, v)) {
      from = v;
      break;
    }
  }
  if (!from) return std::nullopt;
  for (NodeId v : t.desc.voters) {
    const NodeInfo* n = view.FindNode(v);
    if (!s.HasReplicaOn(v) && n != nullptr && view.IsNodeUsable(*n)) {
      return MoveReplicaSteps(s, *from, v);
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<Operator> MergeSmallShards(const ClusterView& view) {
  if (view.config.merge_max_size_bytes == 0) return {};
  std::vector<Operator> ops;
  std::vector<ShardId> involved;
  for (size_t i = 0; i < view.shards.size(); ++i) {
    const ShardInfo& s = view.shards[i];
    if (!IsSmall(view.config, s)) continue;
    const ShardInfo* t = Target(view.shards, i);
    if (t == nullptr || Contains(involved, s.desc.id) || Contains(involved, t->desc.id)) continue;
    if (!CanMerge(view, s, *t)) continue;
    std::optional<std::vector<Step>> steps;
    if (s.desc.voters == t->desc.voters) {
      steps = std::vector<Step>{{.kind = Step::Kind::kMerge, .merge_target = t->desc.id}};
    } else {
      steps = MatchVoters(view, s, *t);
    }
    if (!steps) continue;
    ops.push_back(MakeOperator(s, kKind, kPriorityBalance, std::move(*steps)));
    involved.push_back(s.desc.id);
    involved.push_back(t->desc.id);
  }
  return ops;
}

}  // namespace tessera::pd

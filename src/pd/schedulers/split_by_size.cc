// Split by size: a shard over max_shard_size_bytes or max_shard_keys (as its leader estimates
// them) is split in two; the leader picks the middle key, so PD sends no key.
#include "pd/schedulers.h"
#include "pd/schedulers/placement.h"

namespace tessera::pd {

std::vector<Operator> SplitBySize(const ClusterView& view) {
  const ScheduleConfig& c = view.config;
  std::vector<Operator> ops;
  for (const ShardInfo& s : view.shards) {
    // Without a leader the sizes are stale and nobody would carry the split out.
    if (!s.leader || view.IsBusy(s.desc.id)) continue;
    const bool too_big =
        c.max_shard_size_bytes > 0 && s.stats.approximate_size_bytes > c.max_shard_size_bytes;
    const bool too_many = c.max_shard_keys > 0 && s.stats.approximate_keys > c.max_shard_keys;
    if (!too_big && !too_many) continue;
    // new_shard stays zero: PD allocates the id when it accepts the operator.
    ops.push_back(MakeOperator(s, "split-size", kPrioritySplit, {{.kind = Step::Kind::kSplit}}));
  }
  return ops;
}

}  // namespace tessera::pd

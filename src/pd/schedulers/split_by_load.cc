// Split by load: a shard whose reads or writes (ops or bytes per second) exceed the split_load_*
// thresholds is split in two, so that the halves can have leaders on different nodes (the hot
// shard and leader balancers then spread them).
#include "pd/schedulers.h"
#include "pd/schedulers/placement.h"

namespace tessera::pd {
namespace {

bool Over(double value, double limit) { return limit > 0 && value > limit; }

}  // namespace

std::vector<Operator> SplitByLoad(const ClusterView& view) {
  const ScheduleConfig& c = view.config;
  std::vector<Operator> ops;
  for (const ShardInfo& s : view.shards) {
    if (!s.leader || view.IsBusy(s.desc.id)) continue;
    const ShardStats& st = s.stats;
    const bool hot = Over(st.read_ops_per_sec, c.split_load_ops_per_sec) ||
                     Over(st.write_ops_per_sec, c.split_load_ops_per_sec) ||
                     Over(st.read_bytes_per_sec, c.split_load_bytes_per_sec) ||
                     Over(st.write_bytes_per_sec, c.split_load_bytes_per_sec);
    if (!hot) continue;
    // The leader picks the middle by size: PD knows no key distribution of the load.
    ops.push_back(MakeOperator(s, "split-load", kPrioritySplit, {{.kind = Step::Kind::kSplit}}));
  }
  return ops;
}

}  // namespace tessera::pd

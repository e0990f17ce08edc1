// Split by size and by load: which shards are split, and that the operator leaves the key and the
// new shard's id to the leader and to PD.
#include <gtest/gtest.h>

#include "pd/schedulers.h"
#include "pd/test_views.h"

namespace tessera::pd {
namespace {

using namespace test;

// Shards 1-4 on nodes 1-3, led by node 1.
ClusterView FourShards() {
  ClusterView v = MakeView(3);
  AddShards(
      v, 1, 4,
      [](int) {
        return std::vector<uint64_t>{1, 2, 3};
      },
      [](int) { return 1; });
  return v;
}

TEST(SplitBySizeTest, SplitsShardsOverTheSizeOrKeyLimit) {
  ClusterView v = FourShards();
  const ScheduleConfig& c = v.config;
  Shard(v, 1).stats.approximate_size_bytes = c.max_shard_size_bytes;  // at the limit: kept
  Shard(v, 2).stats.approximate_size_bytes = c.max_shard_size_bytes + 1;
  Shard(v, 3).stats.approximate_keys = c.max_shard_keys + 1;
  Shard(v, 4).stats.approximate_keys = c.max_shard_keys;
  std::vector<Operator> ops = SplitBySize(v);
  ASSERT_EQ(ops.size(), 2u);
  ExpectOp(v, ops[0], 2, "split-size", {SplitStep()});
  ExpectOp(v, ops[1], 3, "split-size", {SplitStep()});
  EXPECT_EQ(ops[0].priority, kPrioritySplit);
  EXPECT_TRUE(ops[0].steps[0].split_key.empty());
  EXPECT_FALSE(ops[0].steps[0].new_shard);
}

TEST(SplitBySizeTest, SkipsLeaderlessAndBusyShards) {
  ClusterView v = FourShards();
  for (ShardInfo& s : v.shards) s.stats.approximate_size_bytes = 1ull << 40;
  Shard(v, 1).leader = NodeId();
  v.busy_shards = {ShardId(2), ShardId(4)};
  std::vector<Operator> ops = SplitBySize(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 3, "split-size", {SplitStep()});
}

TEST(SplitByLoadTest, SplitsShardsOverAnyLoadLimit) {
  ClusterView v = FourShards();
  Shard(v, 1).stats.write_ops_per_sec = 3001;
  Shard(v, 2).stats.read_bytes_per_sec = 31 * kMiB;
  Shard(v, 3).stats.read_ops_per_sec = 2999;  // below every limit
  Shard(v, 3).stats.write_bytes_per_sec = 29 * kMiB;
  Shard(v, 4).stats.read_ops_per_sec = 5000;
  Shard(v, 4).leader = NodeId();  // unknown leader: skipped
  std::vector<Operator> ops = SplitByLoad(v);
  ASSERT_EQ(ops.size(), 2u);
  ExpectOp(v, ops[0], 1, "split-load", {SplitStep()});
  ExpectOp(v, ops[1], 2, "split-load", {SplitStep()});
  EXPECT_EQ(ops[0].priority, kPrioritySplit);
}

TEST(SplitByLoadTest, ZeroDisablesALimit) {
  ClusterView v = FourShards();
  v.config.split_load_ops_per_sec = 0;
  Shard(v, 1).stats.write_ops_per_sec = 1e9;
  EXPECT_TRUE(SplitByLoad(v).empty());
  Shard(v, 2).stats.write_bytes_per_sec = 1e12;
  std::vector<Operator> ops = SplitByLoad(v);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(v, ops[0], 2, "split-load", {SplitStep()});
}

}  // namespace
}  // namespace tessera::pd

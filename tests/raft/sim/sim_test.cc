// Runs the randomized simulation over a fixed sweep of seeds (shared across CTest shards so that
// they run in parallel). A failure prints the command that replays the seed.
#include <gtest/gtest.h>

#include "tests/raft/sim/simulator.h"

namespace tessera::raft::sim {
namespace {

constexpr uint64_t kSeeds = 2000;
constexpr uint64_t kShards = 8;

class RaftSimulation : public ::testing::TestWithParam<uint64_t> {};

TEST_P(RaftSimulation, InvariantsHoldForEverySeed) {
  const uint64_t shard = GetParam();
  uint64_t committed = 0, leaders = 0, crashes = 0, conf_changes = 0, snapshots = 0, reads = 0;
  for (uint64_t seed = 1 + shard; seed <= kSeeds; seed += kShards) {
    const SimOptions o = OptionsForSeed(seed);
    const SimResult r = RunSimulation(seed, o);
    ASSERT_TRUE(r.ok) << r.failure << "\n  replay: " << ReplayCommand(seed, o);
    committed += r.committed;
    leaders += r.leaders;
    crashes += r.crashes;
    conf_changes += r.conf_changes;
    snapshots += r.snapshots;
    reads += r.reads;
  }
  // The sweep must actually exercise what it claims to test.
  EXPECT_GT(committed, 1000u);
  EXPECT_GT(leaders, 100u);
  EXPECT_GT(crashes, 50u);
  EXPECT_GT(conf_changes, 20u);
  EXPECT_GT(snapshots, 5u);
  EXPECT_GT(reads, 100u);
}

INSTANTIATE_TEST_SUITE_P(Shards, RaftSimulation, ::testing::Range<uint64_t>(0, kShards));

TEST(RaftSimulationReplay, SameSeedSameRun) {
  const SimOptions o = OptionsForSeed(7);
  const SimResult a = RunSimulation(7, o);
  const SimResult b = RunSimulation(7, o);
  ASSERT_TRUE(a.ok) << a.failure;
  EXPECT_EQ(a.messages, b.messages);
  EXPECT_EQ(a.committed, b.committed);
  EXPECT_EQ(a.leaders, b.leaders);
}

}  // namespace
}  // namespace tessera::raft::sim

// Steps: when a heartbeat shows each kind done; MoveReplicaSteps; descriptions.
#include "pd/operator.h"

#include <gtest/gtest.h>

#include "pd/test_views.h"

namespace tessera::pd {
namespace {

using namespace test;

ShardInfo MakeShard(std::vector<uint64_t> voters, std::vector<uint64_t> learners, uint64_t leader) {
  ShardInfo s;
  s.desc.id = ShardId(7);
  s.desc.start_key = "a";
  s.desc.end_key = "z";
  s.desc.epoch = {.conf_version = 2, .version = 3};
  s.desc.voters = Ids(std::move(voters));
  s.desc.learners = Ids(std::move(learners));
  s.leader = NodeId(leader);
  return s;
}

TEST(StepTest, MembershipStepsAreDoneWhenTheDescriptorShowsThem) {
  const ShardInfo start = MakeShard({1, 2, 3}, {}, 1);
  const ShardInfo learner = MakeShard({1, 2, 3}, {4}, 1);
  const ShardInfo voter = MakeShard({1, 2, 3, 4}, {}, 1);
  const ShardInfo removed = MakeShard({1, 2, 4}, {}, 1);
  EXPECT_FALSE(AddLearner(4).IsDone(start, start));
  EXPECT_TRUE(AddLearner(4).IsDone(start, learner));
  EXPECT_TRUE(AddLearner(4).IsDone(start, voter));
  // A learner still catching up (or silent) is not added yet: promoting it could cost the quorum.
  ShardInfo catching_up = learner;
  catching_up.pending_replicas = {NodeId(4)};
  EXPECT_FALSE(AddLearner(4).IsDone(start, catching_up));
  ShardInfo silent = learner;
  silent.down_replicas = {NodeId(4)};
  EXPECT_FALSE(AddLearner(4).IsDone(start, silent));
  EXPECT_FALSE(Promote(4).IsDone(learner, learner));
  EXPECT_TRUE(Promote(4).IsDone(learner, voter));
  EXPECT_FALSE(Remove(3).IsDone(voter, voter));
  EXPECT_TRUE(Remove(3).IsDone(voter, removed));
  EXPECT_FALSE(Remove(4).IsDone(learner, learner));  // a learner counts as a replica too
  EXPECT_TRUE(Remove(4).IsDone(learner, start));
}

TEST(StepTest, TransferIsDoneWhenTheTargetLeads) {
  const ShardInfo start = MakeShard({1, 2, 3}, {}, 1);
  EXPECT_FALSE(Transfer(2).IsDone(start, start));
  EXPECT_TRUE(Transfer(2).IsDone(start, MakeShard({1, 2, 3}, {}, 2)));
  EXPECT_FALSE(Transfer(2).IsDone(start, MakeShard({1, 2, 3}, {}, 3)));
}

TEST(StepTest, SplitIsDoneOnAVersionBumpAtTheKey) {
  const ShardInfo start = MakeShard({1, 2, 3}, {}, 1);
  ShardInfo split = start;
  split.desc.epoch.version = 4;
  split.desc.end_key = "m";
  EXPECT_FALSE(SplitStep().IsDone(start, start));
  EXPECT_TRUE(SplitStep().IsDone(start, split));  // the leader chose the key
  Step at_m = SplitStep();
  at_m.split_key = "m";
  EXPECT_TRUE(at_m.IsDone(start, split));
  at_m.split_key = "q";
  EXPECT_FALSE(at_m.IsDone(start, split));  // some other split
  ShardInfo only_range = start;
  only_range.desc.end_key = "q";
  EXPECT_FALSE(at_m.IsDone(start, only_range));  // no version bump
}

TEST(StepTest, MergeIsDoneWhenTheSourceVersionGrows) {
  const ShardInfo start = MakeShard({1, 2, 3}, {}, 1);
  ShardInfo prepared = start;
  prepared.desc.epoch.version = 4;
  EXPECT_FALSE(MergeStep(8).IsDone(start, start));
  EXPECT_TRUE(MergeStep(8).IsDone(start, prepared));
  ShardInfo conf_changed = start;
  conf_changed.desc.epoch.conf_version = 9;
  EXPECT_FALSE(MergeStep(8).IsDone(start, conf_changed));
}

TEST(MoveReplicaStepsTest, AddPromoteThenRemove) {
  const ShardInfo s = MakeShard({1, 2, 3}, {}, 1);
  EXPECT_EQ(MoveReplicaSteps(s, NodeId(3), NodeId(4)),
            (std::vector<Step>{AddLearner(4), Promote(4), Remove(3)}));
}

TEST(MoveReplicaStepsTest, MovesLeadershipAwayFromTheLeader) {
  const ShardInfo s = MakeShard({1, 2, 3}, {}, 1);
  EXPECT_EQ(MoveReplicaSteps(s, NodeId(1), NodeId(4)),
            (std::vector<Step>{AddLearner(4), Promote(4), Transfer(4), Remove(1)}));
}

TEST(MoveReplicaStepsTest, ALearnerMovesAsALearner) {
  const ShardInfo s = MakeShard({1, 2, 3}, {5}, 1);
  EXPECT_EQ(MoveReplicaSteps(s, NodeId(5), NodeId(4)),
            (std::vector<Step>{AddLearner(4), Remove(5)}));
}

TEST(OperatorTest, Describe) {
  Operator op{.shard = ShardId(7),
              .epoch = {.conf_version = 2, .version = 3},
              .kind = "replica-checker",
              .steps = {AddLearner(4), Promote(4), Transfer(4), Remove(3)},
              .priority = 100};
  EXPECT_EQ(op.Describe(),
            "replica-checker on shard 7 (epoch 2/3, priority 100): add learner on node 4, "
            "promote learner on node 4, transfer leader to node 4, remove replica on node 3");
  Step split = SplitStep();
  EXPECT_EQ(split.Describe(), "split at the middle");
  split.split_key = "m";
  split.new_shard = ShardId(9);
  EXPECT_EQ(split.Describe(), "split at \"m\" into shard 9");
  EXPECT_EQ(MergeStep(8).Describe(), "merge into shard 8");
}

}  // namespace
}  // namespace tessera::pd

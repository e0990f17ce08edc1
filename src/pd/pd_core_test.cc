// PdCore over an in-memory metadata store: sessions, ids and timestamps across leader changes,
// bootstrap, shard reports and operators.
#include "pd/pd_core.h"

#include <gtest/gtest.h>

#include <set>

#include "pd/tso.h"

namespace tessera::pd {
namespace {

ShardDescriptor Desc(uint64_t id, std::string start, std::string end, uint64_t version,
                     std::vector<uint64_t> voters, uint64_t conf_version = 1) {
  ShardDescriptor d;
  d.id = ShardId(id);
  d.start_key = std::move(start);
  d.end_key = std::move(end);
  d.epoch = Epoch{conf_version, version};
  for (uint64_t v : voters) d.voters.emplace_back(v);
  return d;
}

ShardInfo Report(const ShardDescriptor& d, uint64_t leader) {
  ShardInfo r;
  r.desc = d;
  r.leader = NodeId(leader);
  return r;
}

class PdCoreTest : public ::testing::Test {
 protected:
  PdOptions Options(uint64_t member) {
    PdOptions o;
    o.member_id = NodeId(member);
    o.members = {{NodeId(1), "a:1"}, {NodeId(2), "b:2"}};
    o.id_batch = 10;
    return o;
  }
  std::unique_ptr<MetaStore> store_ = NewMemoryMetaStore();
  SimClock clock_{1'000'000'000};
};

TEST_F(PdCoreTest, ServesOnlyWithTheSession) {
  PdCore a(Options(1), store_.get(), &clock_);
  EXPECT_TRUE(a.AllocIds(1).status().Is(Status::Code::kNotLeader));
  ASSERT_TRUE(a.CheckLeadership());
  EXPECT_TRUE(a.AllocIds(1).ok());
  // Another member takes the session: the first one finds out at its next confirmation.
  PdCore b(Options(2), store_.get(), &clock_);
  ASSERT_TRUE(b.CheckLeadership());
  EXPECT_TRUE(a.GetTimestamps(1).status().Is(Status::Code::kNotLeader));
  EXPECT_FALSE(a.IsLeader());
  EXPECT_TRUE(b.GetTimestamps(1).ok());
}

TEST_F(PdCoreTest, IdsAreUniqueAcrossLeaderChanges) {
  std::set<uint64_t> seen;
  for (int round = 0; round < 6; ++round) {
    PdCore core(Options(1 + round % 2), store_.get(), &clock_);
    ASSERT_TRUE(core.CheckLeadership());
    for (int i = 0; i < 7; ++i) {
      auto first = core.AllocIds(3);
      ASSERT_TRUE(first.ok()) << first.status().ToString();
      for (uint64_t id = *first; id < *first + 3; ++id) {
        EXPECT_TRUE(seen.insert(id).second) << "id " << id << " handed out twice";
        EXPECT_GT(id, 0u);
      }
    }
  }
  EXPECT_EQ(seen.size(), 6u * 7 * 3);
}

TEST_F(PdCoreTest, TimestampsIncreaseAcrossLeaderChangesEvenWhenTheClockGoesBack) {
  uint64_t last = 0;
  for (int round = 0; round < 4; ++round) {
    // The new leader's clock is behind its predecessor's (different machines).
    SimClock clock(round % 2 == 0 ? 5'000'000'000 : 1'000'000'000);
    PdCore core(Options(1 + round % 2), store_.get(), &clock);
    ASSERT_TRUE(core.CheckLeadership());
    for (int i = 0; i < 100; ++i) {
      auto ts = core.GetTimestamps(1000);
      ASSERT_TRUE(ts.ok()) << ts.status().ToString();
      EXPECT_GT(*ts, last);
      last = *ts + 999;
      clock.Advance(100'000);  // 0.1 ms
    }
  }
}

TEST_F(PdCoreTest, TimestampRequestsAreValidated) {
  PdCore core(Options(1), store_.get(), &clock_);
  ASSERT_TRUE(core.CheckLeadership());
  EXPECT_TRUE(core.GetTimestamps(0).status().Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(core.GetTimestamps(kMaxLogical + 1).status().Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(core.GetTimestamps(kMaxLogical).ok());
}

TEST(TimestampWindowTest, NeverPassesTheWindowAndBorrowsTheNextMillisecond) {
  TimestampWindow w;
  EXPECT_FALSE(w.Allocate(1, 100));  // not started
  const int64_t end = w.Start(/*now_ms=*/100, /*saved_end_ms=*/0, /*window_ms=*/3);
  EXPECT_EQ(end, 103);
  w.Persisted(end);
  auto a = w.Allocate(kMaxLogical, 100);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, ComposeTimestamp(100, 0));
  auto b = w.Allocate(1, 100);  // 100 is used up: 101
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, ComposeTimestamp(101, 0));
  EXPECT_FALSE(w.Allocate(1, 103));  // the clock reached the window's end
  ASSERT_TRUE(w.Extend(103, 3));
  // A successor starts at the persisted end even with an earlier clock.
  TimestampWindow next;
  const int64_t next_end = next.Start(50, end, 3);
  next.Persisted(next_end);
  auto c = next.Allocate(1, 50);
  ASSERT_TRUE(c);
  EXPECT_GT(*c, *b);
}

TEST_F(PdCoreTest, BootstrapOnceAndRetry) {
  PdCore core(Options(1), store_.get(), &clock_);
  ASSERT_TRUE(core.CheckLeadership());
  EXPECT_FALSE(*core.FirstShard());
  NodeInfo n{NodeId(7), "n7:1", NodeState::kUp, 0, {}};
  const ShardDescriptor first = Desc(9, "", "", 0, {7}, 0);
  // Malformed: a range, or another voter.
  EXPECT_TRUE(
      core.Bootstrap(n, Desc(9, "a", "", 0, {7}, 0), nullptr).Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(
      core.Bootstrap(n, Desc(9, "", "", 0, {8}, 0), nullptr).Is(Status::Code::kInvalidArgument));
  ASSERT_TRUE(core.Bootstrap(n, first, nullptr).ok());
  EXPECT_EQ(*core.FirstShard(), first);
  EXPECT_TRUE(core.Bootstrap(n, first, nullptr).ok());  // a retry
  ShardDescriptor existing;
  NodeInfo other{NodeId(8), "n8:1", NodeState::kUp, 0, {}};
  EXPECT_TRUE(core.Bootstrap(other, Desc(10, "", "", 0, {8}, 0), &existing)
                  .Is(Status::Code::kAlreadyExists));
  EXPECT_EQ(existing, first);
  auto routed = core.ShardByKey("anything");
  ASSERT_TRUE(routed.ok());
  EXPECT_EQ(routed->desc, first);
  // A new leader knows the cluster from the store.
  PdCore next(Options(2), store_.get(), &clock_);
  ASSERT_TRUE(next.CheckLeadership());
  EXPECT_EQ(*next.FirstShard(), first);
  EXPECT_EQ(next.ShardByKey("x")->desc, first);
  EXPECT_EQ(next.Nodes()->size(), 1u);
}

TEST_F(PdCoreTest, ShardReportsFollowTheNewerEpochAndPersist) {
  PdCore core(Options(1), store_.get(), &clock_);
  ASSERT_TRUE(core.CheckLeadership());
  ASSERT_TRUE(core.Bootstrap({NodeId(1), "n1:1", NodeState::kUp, 0, {}}, Desc(5, "", "", 0, {1}, 0),
                             nullptr)
                  .ok());
  // A split: the right half reports first, then the left.
  ASSERT_TRUE(core.ShardHeartbeat(NodeId(1), {Report(Desc(6, "m", "", 1, {1}, 0), 1)}).ok());
  EXPECT_EQ(core.ShardByKey("z")->desc.id, ShardId(6));
  ASSERT_TRUE(core.ShardHeartbeat(NodeId(1), {Report(Desc(5, "", "m", 1, {1}, 0), 1)}).ok());
  EXPECT_EQ(core.ShardByKey("a")->desc.id, ShardId(5));
  // A stale report of the old range changes nothing.
  ASSERT_TRUE(core.ShardHeartbeat(NodeId(1), {Report(Desc(5, "", "", 0, {1}, 0), 1)}).ok());
  EXPECT_EQ(core.ShardByKey("z")->desc.id, ShardId(6));
  // Reports from a node that is not the named leader are ignored.
  ASSERT_TRUE(core.ShardHeartbeat(NodeId(2), {Report(Desc(5, "", "", 9, {1}, 0), 1)}).ok());
  EXPECT_EQ(core.ShardByKey("z")->desc.id, ShardId(6));
  // A merge: shard 5 takes shard 6's range at a higher version; 6 disappears.
  ASSERT_TRUE(core.ShardHeartbeat(NodeId(1), {Report(Desc(5, "", "", 2, {1}, 0), 1)}).ok());
  EXPECT_EQ(core.ShardByKey("z")->desc.id, ShardId(5));
  EXPECT_TRUE(core.ShardById(ShardId(6)).status().Is(Status::Code::kNotFound));
  auto all = core.ScanShards("", "", 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
  // Persisted: a new leader routes the same way.
  PdCore next(Options(2), store_.get(), &clock_);
  ASSERT_TRUE(next.CheckLeadership());
  EXPECT_EQ(next.ShardByKey("z")->desc, Desc(5, "", "", 2, {1}, 0));
  EXPECT_EQ(next.ScanShards("", "", 0)->size(), 1u);
}

TEST_F(PdCoreTest, ADeposedLeadersDelayedReportDoesNotMoveTheLeaderBack) {
  PdCore core(Options(1), store_.get(), &clock_);
  ASSERT_TRUE(core.CheckLeadership());
  const ShardDescriptor d = Desc(5, "", "", 0, {1, 2, 3}, 0);
  ASSERT_TRUE(core.Bootstrap({NodeId(1), "n1:1", NodeState::kUp, 0, {}}, Desc(5, "", "", 0, {1}, 0),
                             nullptr)
                  .ok());
  auto report = [&](uint64_t leader, uint64_t term) {
    ShardInfo r = Report(d, leader);
    r.term = term;
    return core.ShardHeartbeat(NodeId(leader), {r});
  };
  ASSERT_TRUE(report(1, 4).ok());
  ASSERT_TRUE(report(2, 5).ok());  // leadership moved to node 2 in term 5
  EXPECT_EQ(core.ShardById(ShardId(5))->leader, NodeId(2));
  ASSERT_TRUE(report(1, 4).ok());  // node 1's report from before, delivered late
  EXPECT_EQ(core.ShardById(ShardId(5))->leader, NodeId(2));
  EXPECT_EQ(core.ShardById(ShardId(5))->term, 5u);
  ASSERT_TRUE(report(3, 6).ok());
  EXPECT_EQ(core.ShardById(ShardId(5))->leader, NodeId(3));
}

TEST_F(PdCoreTest, AdminOperatorRunsStepByStepThroughHeartbeats) {
  PdCore core(Options(1), store_.get(), &clock_);
  ASSERT_TRUE(core.CheckLeadership());
  for (uint64_t n = 1; n <= 2; ++n) {
    ASSERT_TRUE(
        core.RegisterNode({NodeId(n), "n:" + std::to_string(n), NodeState::kUp, 0, {}}).ok());
  }
  ShardDescriptor d = Desc(5, "", "", 0, {1}, 0);
  ASSERT_TRUE(core.Bootstrap({NodeId(1), "n:1", NodeState::kUp, 0, {}}, d, nullptr).ok());
  AdminRequest add;
  add.kind = AdminRequest::Kind::kAddReplica;
  add.shard = ShardId(5);
  add.node = NodeId(2);
  ASSERT_TRUE(core.Admin(add).ok());
  EXPECT_TRUE(core.Admin(add).status().Is(Status::Code::kUnavailable));  // one at a time
  // The schedulers see the replica as arriving while the operator runs.
  auto view = core.cluster().View(0);
  EXPECT_EQ(view.replicas_arriving[NodeId(2)], std::vector<ShardId>{ShardId(5)});
  EXPECT_TRUE(view.leaders_in_flight.empty());
  auto cmds = core.ShardHeartbeat(NodeId(1), {Report(d, 1)});
  ASSERT_TRUE(cmds.ok());
  ASSERT_EQ(cmds->size(), 1u);
  EXPECT_EQ((*cmds)[0].step.kind, Step::Kind::kAddLearner);
  EXPECT_EQ((*cmds)[0].step.node, NodeId(2));
  // The learner shows up: the next step is the promotion.
  d.learners = {NodeId(2)};
  d.epoch.conf_version = 1;
  cmds = core.ShardHeartbeat(NodeId(1), {Report(d, 1)});
  ASSERT_EQ(cmds->size(), 1u);
  EXPECT_EQ((*cmds)[0].step.kind, Step::Kind::kPromoteLearner);
  d.learners.clear();
  d.voters = {NodeId(1), NodeId(2)};
  d.epoch.conf_version = 2;
  cmds = core.ShardHeartbeat(NodeId(1), {Report(d, 1)});
  EXPECT_TRUE(cmds->empty());
  EXPECT_TRUE(core.Operators()->empty());
  // A stale epoch is refused.
  AdminRequest move;
  move.kind = AdminRequest::Kind::kTransferLeader;
  move.shard = ShardId(5);
  move.node = NodeId(2);
  move.epoch = Epoch{0, 0};
  EXPECT_TRUE(core.Admin(move).status().Is(Status::Code::kEpochNotMatch));
  move.epoch.reset();
  ASSERT_TRUE(core.Admin(move).ok());
  view = core.cluster().View(0);
  EXPECT_EQ(view.leaders_in_flight, (std::map<ShardId, NodeId>{{ShardId(5), NodeId(2)}}));
  // The operator times out when the step never happens.
  clock_.Advance(core.cluster().config().operator_step_timeout_ms * 1'000'000 + 1'000'000);
  cmds = core.ShardHeartbeat(NodeId(1), {Report(d, 1)});
  EXPECT_TRUE(cmds->empty());
  EXPECT_TRUE(core.Operators()->empty());
  // Each operator counted as it started and as it ended (the metrics of docs/observability.md).
  using Outcomes = ClusterState::OperatorOutcomes;
  EXPECT_EQ(core.cluster().operator_outcomes(), (Outcomes{{{"admin", "finished"}, 1},
                                                          {{"admin", "started"}, 2},
                                                          {{"admin", "timed_out"}, 1}}));
  // An admin's cancel counts as cancelled.
  ASSERT_TRUE(core.Admin(move).ok());
  ASSERT_TRUE(core.CancelOperator(ShardId(5)).ok());
  Outcomes after = core.cluster().operator_outcomes();
  EXPECT_EQ((after[{"admin", "cancelled"}]), 1u);
  EXPECT_EQ((after[{"admin", "started"}]), 3u);
  // Admin operators are not scheduler decisions.
  EXPECT_TRUE(core.scheduler_decisions().empty());
}

TEST_F(PdCoreTest, SchedulerDecisionsAreCountedBySchedulerAndOperatorsByOutcome) {
  PdCore core(Options(1), store_.get(), &clock_);
  ASSERT_TRUE(core.CheckLeadership());
  for (uint64_t n = 1; n <= 3; ++n) {
    ASSERT_TRUE(
        core.RegisterNode({NodeId(n), "n:" + std::to_string(n), NodeState::kUp, 0, {}}).ok());
  }
  // One replica where three are wanted: the replica checker proposes adding one.
  ShardDescriptor d = Desc(5, "", "", 0, {1}, 0);
  ASSERT_TRUE(core.Bootstrap({NodeId(1), "n:1", NodeState::kUp, 0, {}}, d, nullptr).ok());
  ASSERT_TRUE(core.ShardHeartbeat(NodeId(1), {Report(d, 1)}).ok());
  EXPECT_EQ(core.Tick(), 1u);
  EXPECT_EQ(core.scheduler_decisions(), (std::map<std::string, uint64_t>{{"replica-checker", 1}}));
  EXPECT_EQ(core.cluster().operator_outcomes(),
            (ClusterState::OperatorOutcomes{{{"replica-checker", "started"}, 1}}));
}

TEST(ClusterStateTest, RangeChangeTimeFollowsTheEpochVersion) {
  ClusterState c;
  ShardDescriptor d = Desc(5, "", "", 1, {1});
  c.HandleShardReport(Report(d, 1), 1000);
  EXPECT_EQ(c.ShardById(ShardId(5))->range_changed_ms, 1000);
  // Heartbeats and membership changes leave it.
  d.epoch.conf_version = 2;
  c.HandleShardReport(Report(d, 1), 5000);
  EXPECT_EQ(c.ShardById(ShardId(5))->range_changed_ms, 1000);
  // A split (a new version) sets it.
  d.end_key = "m";
  d.epoch.version = 2;
  c.HandleShardReport(Report(d, 1), 9000);
  EXPECT_EQ(c.ShardById(ShardId(5))->range_changed_ms, 9000);
}

TEST_F(PdCoreTest, ScheduleConfigRoundTripsAndRejectsUnknownFields) {
  ScheduleConfig c;
  c.replicas = 5;
  c.enable_merge = false;
  c.balance_tolerance = 0.25;
  auto back = ScheduleConfigFromJson(ScheduleConfigToJson(c), ScheduleConfig{});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->replicas, 5u);
  EXPECT_FALSE(back->enable_merge);
  EXPECT_DOUBLE_EQ(back->balance_tolerance, 0.25);
  EXPECT_TRUE(
      ScheduleConfigFromJson(R"({"replica": 3})", c).status().Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(ScheduleConfigFromJson(R"({"replicas": "3"})", c)
                  .status()
                  .Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(
      ScheduleConfigFromJson(R"({"replicas": 0})", c).status().Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(ScheduleConfigFromJson("[1]", c).status().Is(Status::Code::kInvalidArgument));
  auto partial = ScheduleConfigFromJson(R"({"max_shard_keys": 10})", c);
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->max_shard_keys, 10u);
  EXPECT_EQ(partial->replicas, 5u);  // kept from the base
}

}  // namespace
}  // namespace tessera::pd

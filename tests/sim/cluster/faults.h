// FaultScheduler: the nemesis. At random intervals it picks one registered action by weight and
// runs it; an action injects one fault or performs one cluster operation and schedules its own
// end (a partition heals, a crashed node restarts, a lossy period ends). Each kind is one
// function registered with a name and a weight, so that new kinds (shard splits and merges,
// membership changes, leader transfers, as the Node grows them) slot in as one function each:
// see RegisterDefaults.
//
// Faults: network partitions (one node isolated; a minority cut from a majority; one directed
// link), periods of message loss, duplication and long delays (heavy reordering), and machine
// crashes (the node loses its unsynced writes) followed by a restart (recovery).
// Cluster operations, each sent to every live replica of the shard with that replica's own view
// of the epoch (so only a leader proposes, and a deposed one may too): shard splits at random
// keys (Node::Split); merges of two adjacent shards on the same nodes (Node::Merge, through
// the source's leader; the merge then completes or rolls back by itself); leader transfers to a
// random voter (Node::TransferLeader); membership changes (Node::ChangeMembership), one sequence at
// a time, each step waiting in simulated time for the previous one: "move a replica" (add a learner
// on a node without the shard, wait until it has caught up, promote it, remove another voter) and
// "remove and re-add a replica" (remove a voter, wait until its node dropped the replica, add it
// back as a learner, wait, promote).
//
// Single-threaded, driven by the SimCluster's events.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/random.h"
#include "tests/sim/cluster/sim_cluster.h"

namespace tessera::sim {

struct FaultOptions {
  // Time between two actions: uniform in [min, max].
  int64_t min_interval_nanos = 20'000'000;
  int64_t max_interval_nanos = 300'000'000;
  // How long a fault lasts: uniform in [min, max].
  int64_t min_duration_nanos = 50'000'000;
  int64_t max_duration_nanos = 1'500'000'000;
  // Most nodes down at once (crashes wait while this many are down). Default: a minority.
  int max_down = 1;
  // Splits stop once a node holds this many shards.
  int max_shards = 12;
  // The network's faults between bursts.
  NetFaults base;
};

struct FaultStats {
  uint64_t actions = 0, partitions = 0, crashes = 0, restarts = 0, net_bursts = 0,
           splits_proposed = 0, splits_done = 0, transfers = 0, conf_changes = 0, moves_done = 0,
           readds_done = 0, merges_proposed = 0, merges_prepared = 0;
};

class FaultScheduler {
 public:
  // Runs one action; returns false if it does not apply now (another one is drawn).
  using ActionFn = std::function<bool()>;
  struct Action {
    std::string name;
    int weight = 1;
    ActionFn run;
  };

  // `violations` (not owned) receives what the actions find (a node that fails to recover).
  FaultScheduler(SimCluster* cluster, const FaultOptions& opts, uint64_t seed,
                 std::vector<std::string>* violations);

  void Register(Action action) { actions_.push_back(std::move(action)); }
  // Keys a split may cut at (a split cuts only strictly inside a shard's range).
  void SetSplitKeys(std::vector<std::string> keys) { split_keys_ = std::move(keys); }
  // The default faults (the header comment's list).
  void RegisterDefaults();

  // Starts injecting; no new action from `stop_nanos` on (ends already scheduled still happen).
  void Start(int64_t stop_nanos);
  // Ends every fault now: heals the network, restores its base faults to none, restarts every
  // crashed node, abandons a membership sequence in progress. Scheduled ends that come later do
  // nothing.
  void HealAll();

  // After HealAll: the newest descriptor of some shard still has learners (an abandoned
  // sequence). RemoveLearners proposes removing them (call it again until none is left).
  bool HasLearners() const;
  void RemoveLearners();

  const FaultStats& stats() const { return stats_; }

 private:
  void Fire();
  int64_t Duration();
  // Runs `end` after a random duration unless HealAll came first.
  void Later(std::function<void()> end);

  bool IsolateNode();
  bool PartitionMinority();
  bool CutOneLink();
  bool CrashNode();
  bool LossyNetwork();
  bool DuplicatingNetwork();
  bool SlowNetwork();
  bool SplitShard();
  bool MergeShards();
  bool TransferLeader();
  bool MoveReplica();
  bool RemoveAndReaddReplica();
  void RestartNode(NodeId id);

  // Membership sequences. A step proposes one change through every live replica of the shard
  // (the leader's answers); `then` runs with true on the first success, false when every replica
  // refused. Steps after HealAll or a failure end the sequence.
  void ProposeConf(ShardId shard, const std::string& change, std::function<void(bool)> then);
  // Calls `then` once `ready()` holds (checked every 20 ms), or ends the sequence at `deadline`.
  void WaitFor(std::function<bool()> ready, int64_t deadline, std::function<void()> then);
  // The newest descriptor of a shard picked at random; nullopt when no node has one.
  std::optional<ShardDescriptor> RandomShard();
  void EndSequence(const std::string& why);
  // The applied index of `node`'s replica of `shard`, or -1 without one.
  int64_t Applied(NodeId node, ShardId shard) const;
  // `node`'s replica has applied within a few entries of the shard's furthest replica.
  bool CaughtUp(NodeId node, ShardId shard) const;

  SimCluster* const cluster_;
  const FaultOptions opts_;
  SeededRandom rng_;
  std::vector<std::string>* const violations_;
  std::vector<Action> actions_;
  std::vector<std::string> split_keys_;
  int64_t stop_nanos_ = 0;
  uint64_t generation_ = 0;  // bumped by HealAll: scheduled ends of older faults do nothing
  bool sequence_ = false;    // a membership sequence is in progress
  FaultStats stats_;
  // Node callbacks hold a weak reference: a node stopping after the scheduler is gone (at the
  // end of a run) must not call into it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tessera::sim

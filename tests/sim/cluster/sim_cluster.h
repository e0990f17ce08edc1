// SimCluster: the simulated machines. N Multi-Raft nodes in polled mode on one thread, each over
// its own memory engine (its disk: it survives crashes, minus what was never synced) and its
// snapshot directories (under a temporary data directory of the run, removed with the cluster),
// on one SimClock, talking through a SimNet (Raft batches) and a SimSnapshotNet (snapshots). The
// shards are bootstrapped statically, each on `replicas` of the nodes, and tile the key space.
//
// Driving (RunUntil): repeat { run the events due now; poll every live node until none has work
// (bounded); advance the clock to the next event or tick }. Nothing else moves time, so a run is
// a function of the seed.
//
// Single-threaded; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "multiraft/node.h"
#include "multiraft/snapshot_dirs.h"
#include "storage/engine.h"
#include "tests/sim/cluster/event_queue.h"
#include "tests/sim/cluster/sim_net.h"
#include "tests/sim/cluster/sim_snapshots.h"
#include "tests/sim/cluster/trace.h"

namespace tessera::sim {

using multiraft::Node;
using multiraft::ShardDescriptor;

struct ClusterOptions {
  int nodes = 3;     // ids 1..nodes
  int shards = 3;    // bootstrapped shards tiling the key space
  int replicas = 0;  // replicas of each bootstrapped shard (consecutive nodes); 0: every node
  int workers = 2;
  int apply_threads = 1;  // NodeOptions::apply_threads (lanes, run by Poll); 0: on the workers
  int tick_ms = 10;
  int election_ticks = 10;
  int heartbeat_ticks = 2;
  bool lease_reads = true;
  int write_timeout_ms = 1000;
  // NodeOptions::sync_log. Off only to show that the simulator catches what it costs.
  bool sync_log = true;
  // Raft log GC (NodeOptions): small, so that followers behind catch up by snapshot.
  int log_gc_interval_ms = 10'000;
  uint64_t log_gc_threshold = 50;
  uint64_t log_gc_count_limit = 10'000;
  // Hibernation (NodeOptions), scaled to the simulation's 10 ms ticks; 0 turns it off.
  int hibernate_after_ms = 0;
  int node_heartbeat_interval_ms = 50;
  int node_dead_after_ms = 200;
  // Bound on node polls in a run: a run that polls more is stuck in busy work (a livelock, or
  // traffic that never ends). RunUntil then returns at once; the caller reports it.
  // Determined by counts, not wall time, so that it replays.
  uint64_t max_polls = 2'000'000;
};

// The key-space prefix of bootstrapped shard i (1-based): shard i covers [prefix(i),
// prefix(i+1)), the first from the beginning of the key space, the last to its end.
std::string ShardPrefix(uint64_t i);

class SimCluster {
 public:
  // Opens and bootstraps every node at simulated time 0. Asserts on failure (a broken setup is
  // not a finding).
  SimCluster(const ClusterOptions& opts, uint64_t seed, Trace* trace);
  ~SimCluster();
  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;

  const ClusterOptions& options() const { return opts_; }
  int64_t now() const { return clock_.NowNanos(); }
  EventQueue& events() { return events_; }
  SimNet& net() { return net_; }
  SimSnapshotNet& snapshot_net() { return snap_net_; }
  // The node's snapshot directories (on its disk: kept across crashes).
  const multiraft::SnapshotDirs& snapshot_dirs(NodeId id) const { return *slot(id).snap_dirs; }
  Trace& trace() { return *trace_; }
  const std::vector<NodeId>& node_ids() const { return ids_; }
  const std::vector<ShardDescriptor>& bootstrap_shards() const { return shards_; }

  // The node while it is up; nullptr while it is down.
  Node* node(NodeId id) const { return slot(id).node.get(); }
  bool up(NodeId id) const { return node(id) != nullptr; }
  // The node's engine: always there (its disk).
  storage::Engine* engine(NodeId id) const { return slot(id).engine.get(); }
  // How many times the node was opened (1 after the bootstrap); grows at every restart.
  uint64_t incarnation(NodeId id) const { return slot(id).incarnation; }
  std::vector<NodeId> UpNodes() const;

  // A machine crash: the node stops (requests in flight are answered as the node answers them
  // when stopping), its engine loses every write not yet synced, and it is down.
  // REQUIRES: up(id).
  void Crash(NodeId id);
  // Opens the node again from its engine (recovery). Its error is a finding: the caller reports
  // it. REQUIRES: !up(id).
  Status Restart(NodeId id);

  // Runs the simulation until simulated time `until`.
  void RunUntil(int64_t until_nanos);
  // Runs until `done()` holds, checking every `every_nanos`, but not past `deadline_nanos`.
  // Returns done().
  bool RunUntil(const std::function<bool()>& done, int64_t deadline_nanos, int64_t every_nanos);

  // The poll budget (ClusterOptions::max_polls) is spent: the run cannot go on.
  bool exhausted() const { return stats_.polls >= opts_.max_polls; }

  struct Stats {
    uint64_t steps = 0, polls = 0, crashes = 0, restarts = 0, busy_instants = 0;
    // Replicas that fell asleep (hibernation), summed over the nodes' lives.
    uint64_t hibernations = 0;
  };
  const Stats& stats() const { return stats_; }
  // stats().hibernations plus what the running nodes counted so far.
  uint64_t Hibernations() const;

 private:
  struct Slot {
    std::unique_ptr<storage::Engine> engine;
    std::unique_ptr<Node> node;
    uint64_t incarnation = 0;
    std::string data_dir;
    std::unique_ptr<multiraft::SnapshotDirs> snap_dirs;  // reopened at every restart
  };
  Slot& slot(NodeId id) { return slots_.at(id.value() - 1); }
  const Slot& slot(NodeId id) const { return slots_.at(id.value() - 1); }
  Result<std::unique_ptr<Node>> OpenNode(NodeId id);
  void Step(int64_t limit_nanos);
  void PollUntilQuiet();

  const ClusterOptions opts_;
  const uint64_t seed_;
  Trace* const trace_;
  SimClock clock_;
  EventQueue events_;
  SeededRandom net_rng_;
  SimNet net_;
  SimSnapshotNet snap_net_;
  std::string data_dir_;  // the run's temporary directory
  std::vector<NodeId> ids_;
  std::vector<ShardDescriptor> shards_;
  std::vector<Slot> slots_;
  Stats stats_;
};

}  // namespace tessera::sim
